/**
 * The event store's contract. Every service writes only through an `EventStore` and every consumer
 * reads only `StoredEvent`s. Two implementations pass one contract suite: DynamoDB (`dynamodb.ts`)
 * and in-memory (`memory.ts`).
 */

export type ServiceName = 'catalog' | 'reservation' | 'auth';

/** A domain event as deciders produce it: a discriminated union member `{ type, data }`. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

export interface EventMetadata {
  occurredAt: string;
  correlationId?: string;
  causationId?: string;
  /** Who caused it: a user id, `system`, or a workflow id. */
  actor?: string;
  schemaVersion: number;
}

/** What a writer hands to `append`. `eventId` should be deterministic when the writer may retry. */
export type NewEvent<E extends DomainEvent = DomainEvent> = E & {
  eventId?: string;
  metadata?: Partial<EventMetadata>;
};

/** The envelope: what is stored, streamed, published and consumed. */
export type StoredEvent<E extends DomainEvent = DomainEvent> = E & {
  eventId: string;
  streamId: string;
  /** 1, 2, 3… per stream, no gaps. */
  version: number;
  metadata: EventMetadata;
  service: ServiceName;
};

/** A number (the stream's current version), `no_stream` (must not exist yet) or `any`. */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendRequest<E extends DomainEvent = DomainEvent> {
  streamId: string;
  events: NewEvent<E>[];
  expectedVersion: ExpectedVersion;
}

export type AppendOptions = Pick<AppendRequest, 'expectedVersion'>;

export interface AppendResult<E extends DomainEvent = DomainEvent> {
  /** Version of each stream after the append, keyed by stream id. */
  versions: Record<string, number>;
  events: StoredEvent<E>[];
  /** True when every event was already stored (an idempotent retry): nothing was written. */
  alreadyStored: boolean;
}

export interface ReadOptions {
  /** First version to return (inclusive), default 1. */
  fromVersion?: number;
}

export interface EventStore<E extends DomainEvent = DomainEvent> {
  readonly service: ServiceName;
  /** Appends atomically to one stream. */
  append(streamId: string, events: NewEvent<E>[], opts: AppendOptions): Promise<AppendResult<E>>;
  /** Appends atomically to several streams (all or nothing). */
  appendMany(requests: AppendRequest<E>[]): Promise<AppendResult<E>>;
  /** A stream from a version, strongly consistent, all pages. */
  readStream(streamId: string, opts?: ReadOptions): Promise<StoredEvent<E>[]>;
  /** Current version of a stream, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /** The whole history of the service, for replay; per-stream order is preserved. */
  readAll(): AsyncIterable<StoredEvent<E>>;
}

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual}`);
  }
}

export class EventStoreLimitError extends Error {
  override readonly name = 'EventStoreLimitError';
}

/** DynamoDB's limits, enforced by every implementation so behaviour is the same everywhere. */
export const LIMITS = { maxItemsPerTransaction: 100, maxItemBytes: 400 * 1024 } as const;

export async function aggregate<S, E extends DomainEvent>(
  store: EventStore<E>,
  streamId: string,
  evolve: (state: S, event: StoredEvent<E>) => S,
  initial: S,
): Promise<{ state: S; version: number }> {
  const events = await store.readStream(streamId);
  let state = initial;
  for (const e of events) state = evolve(state, e);
  return { state, version: events.length === 0 ? 0 : events[events.length - 1]!.version };
}
