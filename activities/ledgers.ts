/**
 * The table ledgers as this worker process writes them: one lane per ledger, and a cache of the ledger
 * states it has seen. Ledger commands go through the command handler; what is added here is only where
 * the handler starts (the cached state) and the order in which this process sends them.
 */
import { Mutex } from 'async-mutex';
import { LRUCache } from 'lru-cache';
import { handleCommand, type Snapshot } from '../eventstore/command-handler';
import { deterministicEventId } from '../eventstore/envelope';
import type { EventStore, StoredEvent } from '../eventstore/types';
import { ledgerDecider, type LedgerCommand, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';

/** Every event of a reservation happens at most once per stream, so its id is derived from the two. */
export const reservationEventId = (reservationId: string, type: string): string => deterministicEventId(`${reservationId}:${type}`);

/** Who wrote an event: the reservation's workflow. */
export const workflowActor = (reservationId: string) => ({ actor: `workflow:reservation-${reservationId}` });

export interface LedgerWriter {
  /**
   * Applies a ledger command for a reservation, in this process's lane for that ledger; bounded retries on
   * a conflict with another process. `turn`: the running activity's deadline and cancellation; a command
   * whose activity ran out of time while it waited is not run.
   */
  apply(ledgerId: string, reservationId: string, command: LedgerCommand, turn?: { deadline: number; signal: AbortSignal }): Promise<LedgerState>;
  /** The ledger as the stream holds it now (reads only what this process has not seen yet). */
  read(ledgerId: string): Promise<Snapshot<LedgerState>>;
  /** The ledger as this process last saw it (no read), the empty ledger when never seen. */
  seen(ledgerId: string): LedgerState;
}

export function ledgerWriter(store: EventStore<LedgerEvent>, opts: { maxAttempts: number }): LedgerWriter {
  /**
   * Ledger states this process has seen, so a booking reads only the ledger events it has not seen yet
   * (the ledger of a busy evening grows with every booking), and often none at all: the first attempt
   * decides on the cached state and appends at its version. A stale entry is harmless: the append's
   * expected version refuses it, and the next attempt reads what it missed.
   */
  const cache = new LRUCache<string, Snapshot<LedgerState>>({ max: 10_000 });

  /**
   * One lane per ledger in this process: its commands run one after another, each deciding on the state the
   * one before it left (cached, no read) and appending once. Without it, N bookings of one busy evening in
   * one worker race each other: every round one append wins and the others read and decide again (N²
   * reads and refused appends). Other processes are still kept out by the append's expected version.
   */
  const lanes = new Map<string, Mutex>();
  async function inLane<T>(key: string, run: () => Promise<T>): Promise<T> {
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = new Mutex()));
    try {
      return await lane.runExclusive(run);
    } finally {
      if (!lane.isLocked() && lanes.get(key) === lane) lanes.delete(key);
    }
  }

  async function read(ledgerId: string): Promise<Snapshot<LedgerState>> {
    const cached = cache.get(ledgerId) ?? { version: 0, state: ledgerDecider.initialState() };
    const fresh = (await store.readStream(ledgerId, { fromVersion: cached.version + 1 })) as StoredEvent<LedgerEvent>[];
    const next = { version: fresh.at(-1)?.version ?? cached.version, state: fresh.reduce(ledgerDecider.evolve, cached.state) };
    cache.set(ledgerId, next);
    return next;
  }

  return {
    read,
    seen: (ledgerId) => cache.get(ledgerId)?.state ?? ledgerDecider.initialState(),
    apply(ledgerId, reservationId, command, turn) {
      return inLane(ledgerId, async () => {
        // its retry is queued behind: running both would only lengthen the queue
        if (turn && (turn.signal.aborted || Date.now() > turn.deadline)) throw new Error(`ledger ${ledgerId}: the activity ran out of time waiting for its turn`);
        const cached = cache.get(ledgerId);
        const { state } = await handleCommand(store, ledgerDecider, ledgerId, command, {
          maxAttempts: opts.maxAttempts,
          read: () => read(ledgerId),
          // the first attempt decides on what this process last saw; a refusal (NO_TABLE) only ever comes
          // from a state just read
          ...(cached ? { known: { ...cached, fresh: false } } : {}),
          eventId: (e) => reservationEventId(reservationId, e.type),
          metadata: workflowActor(reservationId),
          onState: (s) => cache.set(ledgerId, s),
        });
        return state;
      });
    },
  };
}
