import { aggregate, ConcurrencyError, type DomainEvent, type EventStore, type NewEvent, type StoredEvent } from './types';

export interface Decider<C, S, E extends DomainEvent> {
  initialState: () => S;
  evolve: (state: S, event: E) => S;
  decide: (command: C, state: S) => E[];
}

export interface HandleResult<S, E extends DomainEvent> {
  state: S;
  version: number;
  events: StoredEvent<E>[];
}

/** A stream's state as of a version. */
export interface Snapshot<S> {
  state: S;
  version: number;
}

export interface HandleOptions<S, E extends DomainEvent> {
  /** Attempts in all (reads and decisions), default 5; the last conflict is rethrown. */
  maxAttempts?: number;
  metadata?: NewEvent<E>['metadata'];
  /** A client-supplied version (If-Match): any other version is a conflict, and a conflict is not retried. */
  expectedVersion?: number;
  /** How the stream's current state is read; default: the whole stream through `evolve`. */
  read?: () => Promise<Snapshot<S>>;
  /**
   * Where the first attempt starts instead of reading: a state this process read or wrote itself. With
   * `fresh: false` (a cache that may be behind) a refusal or an empty decision is not trusted from it: the
   * stream is read and decided again; a stale version is refused by the append either way.
   */
  known?: Snapshot<S> & { fresh: boolean };
  /** Deterministic event ids for a writer that may retry: the store skips an event it already holds. */
  eventId?: (event: E) => string;
  /**
   * Append the decided events one at a time, each a single conditional write (no multi-item transaction),
   * instead of together. Not atomic: after a crash between two of them, the retry's decision sees the first
   * and decides what is left.
   */
  oneAtATime?: boolean;
  /** Told each state this handler read or appended, e.g. to keep a cache of the stream. */
  onState?: (snapshot: Snapshot<S>) => void;
}

/**
 * Read → decide → append with the version read. On a concurrency conflict, re-read and decide again,
 * at most `maxAttempts` times (never unbounded); the last conflict is rethrown.
 */
export async function handleCommand<C, S, E extends DomainEvent>(
  store: EventStore<E>,
  decider: Decider<C, S, E>,
  streamId: string,
  command: C,
  opts: HandleOptions<S, E> = {},
): Promise<HandleResult<S, E>> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const read = opts.read ?? (() => aggregate(store, streamId, decider.evolve, decider.initialState()));
  const prepare = (e: E): NewEvent<E> => ({ ...e, ...(opts.eventId ? { eventId: opts.eventId(e) } : {}), metadata: opts.metadata }) as NewEvent<E>;
  for (let attempt = 1; ; attempt++) {
    const known = attempt === 1 ? opts.known : undefined;
    const current = known ?? (await read());
    if (!known) opts.onState?.(current);
    const { state, version } = current;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, opts.expectedVersion, version);
    }
    const trusted = !known || known.fresh;
    let decided: E[];
    try {
      decided = decider.decide(command, state);
    } catch (err) {
      if (!trusted) continue; // maybe only stale: decide again on what the stream holds now
      throw err;
    }
    if (decided.length === 0) {
      if (!trusted) continue; // "already done" must not come from a stale cache either
      return { state, version, events: [] };
    }
    try {
      const batches = opts.oneAtATime ? decided.map((e) => [e]) : [decided];
      let now = { state, version };
      const events: StoredEvent<E>[] = [];
      let unknown = false;
      for (const batch of batches) {
        const result = await store.append(streamId, batch.map(prepare), {
          expectedVersion: now.version === 0 ? 'no_stream' : now.version,
        });
        if (result.alreadyStored) {
          // stored by an earlier try: what else the stream holds is unknown here, so read it next round
          unknown = true;
          break;
        }
        now = { state: batch.reduce(decider.evolve, now.state), version: result.versions[streamId]! };
        events.push(...result.events);
        opts.onState?.(now);
      }
      if (!unknown) return { ...now, events };
      if (attempt >= maxAttempts) throw new Error(`stream ${streamId}: gave up after ${attempt} attempts`);
    } catch (err) {
      // a client-supplied version (If-Match) is not retried: the client must re-read
      if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts || opts.expectedVersion !== undefined) throw err;
    }
  }
}
