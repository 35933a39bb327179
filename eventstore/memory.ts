import { checkExpected, checkLimits, findRetry, toEnvelopes } from './envelope';
import type {
  AppendOptions,
  AppendRequest,
  AppendResult,
  DomainEvent,
  EventStore,
  NewEvent,
  ReadOptions,
  ServiceName,
  StoredEvent,
} from './types';

type Listener<E extends DomainEvent> = (events: StoredEvent<E>[]) => void;

/**
 * In-memory event store for unit tests, passing the same contract as DynamoDB (testing/contract.ts): gapless
 * versions, expected-version checks, idempotent retries by event id, DynamoDB's limits, and `appendMany`
 * all or nothing (every request is checked before any is written). No I/O.
 */
export class InMemoryEventStore<E extends DomainEvent = DomainEvent> implements EventStore<E> {
  private readonly streams = new Map<string, StoredEvent<E>[]>();
  private readonly log: StoredEvent<E>[] = [];
  private readonly listeners: Listener<E>[] = [];

  constructor(
    readonly service: ServiceName,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Called after each write with the events it wrote (a stand-in for the table's stream). */
  subscribe(listener: Listener<E>): void {
    this.listeners.push(listener);
  }

  async append(streamId: string, events: NewEvent<E>[], opts: AppendOptions): Promise<AppendResult<E>> {
    return this.appendMany([{ streamId, events, ...opts }]);
  }

  async appendMany(requests: AppendRequest<E>[]): Promise<AppendResult<E>> {
    checkLimits(requests as AppendRequest[]);
    const retried = requests.map((r) => findRetry(r, this.streams.get(r.streamId) ?? []));
    if (retried.every((r) => r !== undefined)) {
      const events = retried.flat() as StoredEvent<E>[];
      return { versions: this.versionsOf(requests), events, alreadyStored: true };
    }
    // validate everything first: all or nothing
    const planned = requests.map((r) => {
      const current = this.streams.get(r.streamId)?.length ?? 0;
      checkExpected(r.streamId, r.expectedVersion, current);
      return toEnvelopes(this.service, r, current, this.now);
    });
    const written: StoredEvent<E>[] = [];
    requests.forEach((r, i) => {
      const stream = this.streams.get(r.streamId) ?? [];
      stream.push(...planned[i]!);
      this.streams.set(r.streamId, stream);
      written.push(...planned[i]!);
    });
    this.log.push(...written);
    for (const l of this.listeners) l(written);
    return { versions: this.versionsOf(requests), events: written, alreadyStored: false };
  }

  async readStream(streamId: string, opts: ReadOptions = {}): Promise<StoredEvent<E>[]> {
    const from = opts.fromVersion ?? 1;
    return (this.streams.get(streamId) ?? []).filter((e) => e.version >= from).map((e) => structuredClone(e));
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.streams.get(streamId)?.length ?? 0;
  }

  async *readAll(): AsyncIterable<StoredEvent<E>> {
    for (const e of [...this.log]) yield structuredClone(e);
  }

  private versionsOf(requests: AppendRequest<E>[]): Record<string, number> {
    return Object.fromEntries(requests.map((r) => [r.streamId, this.streams.get(r.streamId)?.length ?? 0]));
  }
}
