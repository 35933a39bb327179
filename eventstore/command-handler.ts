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

/**
 * Read → decide → append with the version read. On a concurrency conflict, re-read and decide again,
 * at most `maxAttempts` times (never unbounded); the last conflict is rethrown.
 */
export async function handleCommand<C, S, E extends DomainEvent>(
  store: EventStore<E>,
  decider: Decider<C, S, E>,
  streamId: string,
  command: C,
  opts: { maxAttempts?: number; metadata?: NewEvent<E>['metadata']; expectedVersion?: number } = {},
): Promise<HandleResult<S, E>> {
  const maxAttempts = opts.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const { state, version } = await aggregate(store, streamId, decider.evolve, decider.initialState());
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, opts.expectedVersion, version);
    }
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { state, version, events: [] };
    try {
      const result = await store.append(
        streamId,
        decided.map((e) => ({ ...e, metadata: opts.metadata }) as NewEvent<E>),
        { expectedVersion: version === 0 ? 'no_stream' : version },
      );
      return { state: decided.reduce(decider.evolve, state), version: result.versions[streamId]!, events: result.events };
    } catch (err) {
      // a client-supplied version (If-Match) is not retried: the client must re-read
      if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts || opts.expectedVersion !== undefined) throw err;
    }
  }
}
