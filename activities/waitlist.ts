/**
 * The waitlist workflow's activities (workflows/waitlist.ts), built over injected clients like the
 * reservation's. Each reads the day's waitlist stream, runs the waitlist decider (domain/reservation/
 * waitlist.ts: the rules) and carries out on the table ledger what the decision means: an offer holds the
 * freed table for its diner, a lapsed or withdrawn offer gives it back before the next entry's hold.
 *
 * Order and idempotency: the ledger step comes before the waitlist events are appended, so an offer is
 * recorded only once its table is held (a table someone booked in between is simply not offered). Every
 * hold is under the offer's own reservation id (`offerReservationId`: the entry and which of its offers),
 * which the reservation takes when the diner accepts, so placement finds the table already held. Event ids
 * are derived from the stream version they are written at, so a retried append after a lost answer is a
 * no-op. One workflow per stream runs these one at a time, so nothing else writes the stream meanwhile.
 */
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Snapshot } from '../eventstore/command-handler';
import type { EventStore } from '../eventstore/types';
import { deterministicEventId } from '../eventstore/envelope';
import { DomainError, isDomainError } from '../domain/errors';
import { availableStarts, ledgerStreamId, type LedgerBooking, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import { reservationDecider, reservationStreamId, type ReservationEvent } from '../domain/reservation/reservation';
import { DEFAULT_POLICY, type RestaurantReplica } from '../domain/reservation/restaurant';
import {
  lapsedOffers,
  positionOf,
  waitlistDecider,
  waitlistStreamId,
  withinWindow,
  type FreedTable,
  type WaitlistCommand,
  type WaitlistEvent,
  type WaitlistOffer,
  type WaitlistState,
} from '../domain/reservation/waitlist';
import { bookableStarts, checkBookable } from '../domain/time/slots';
import { formatInZone, MINUTE_MS, turnEnd } from '../domain/time/zoned-time';
import { requestUpdate, reservationWorkflowId, SA, type ReservationRequest } from '../workflows/messages';
import type { WaitlistActivities, WaitlistWorkflowInput } from '../workflows/waitlist-messages';
import type { ReservationServiceEvent, RestaurantReader } from './reservation';
import { toFailure } from './context';
import { ledgerWriter, type LedgerWriter } from './ledgers';

/** The reservation an entry's n-th offer holds its table under, and becomes when accepted. */
export const offerReservationId = (streamId: string, entryId: string, n: number): string => deterministicEventId(`waitlist-offer:${streamId}:${entryId}:${n}`);

export interface WaitlistActivityDeps {
  store: EventStore<ReservationServiceEvent>;
  restaurants: RestaurantReader;
  /** The Temporal client that starts an accepted offer's reservation workflow, and its task queue. */
  temporal: () => Promise<Client>;
  taskQueue: string;
  now?: () => Date;
  /** The process's table ledgers, shared with the reservation's activities so both take turns in one lane per ledger. */
  ledgers?: LedgerWriter;
}

/** How long placing an accepted offer's reservation may take before the activity is retried. */
const BOOK_DEADLINE_MS = 20_000;

export function createWaitlistActivities(deps: WaitlistActivityDeps): WaitlistActivities {
  const now = deps.now ?? (() => new Date());
  const waitlists = deps.store as unknown as EventStore<WaitlistEvent>;
  const reservations = deps.store as unknown as EventStore<ReservationEvent>;
  const ledgers = deps.ledgers ?? ledgerWriter(deps.store as unknown as EventStore<LedgerEvent>, { maxAttempts: 10 });

  async function restaurantOf(restaurantId: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(restaurantId);
    if (!r) throw toFailure(new DomainError('NOT_FOUND', `Restaurant ${restaurantId} does not exist.`));
    // a replica written before the waitlist's policy fields existed reads with their defaults
    return { ...r, policy: { ...DEFAULT_POLICY, ...r.policy } };
  }

  /** The instant a step decides as of: the workflow's, so retries decide the same; else this clock. */
  const clockOf = (day: { at?: string }): Date => (day.at ? new Date(day.at) : now());

  async function read(day: WaitlistWorkflowInput): Promise<Snapshot<WaitlistState>> {
    const events = await waitlists.readStream(waitlistStreamId(day.restaurantId, day.openingDate));
    return { state: events.reduce(waitlistDecider.evolve, waitlistDecider.initialState()), version: events.at(-1)?.version ?? 0 };
  }

  /**
   * Decides `command` on the stream and carries out each event's ledger step in order: a lapsed, withdrawn
   * or expired offer releases its hold; a new offer holds its table. An offer whose table cannot be held
   * (booked meanwhile) is dropped with everything decided after it; the rest is appended. `known`: the
   * stream as the caller just read it (or as the previous decision left it), so it is not read again.
   */
  async function decide(day: WaitlistWorkflowInput, restaurant: RestaurantReplica, command: WaitlistCommand, known?: Snapshot<WaitlistState>): Promise<Snapshot<WaitlistState>> {
    const streamId = waitlistStreamId(day.restaurantId, day.openingDate);
    const ledgerId = ledgerStreamId(day.restaurantId, day.openingDate);
    const { state, version } = known ?? (await read(day));
    const decided = waitlistDecider.decide(command, state);
    let after = state;
    const kept: WaitlistEvent[] = [];
    for (const event of decided) {
      const entry = after.entries[event.data.entryId];
      if (entry && event.type === 'WaitlistOffered') {
        const held = await hold(restaurant, ledgerId, offerReservationId(streamId, entry.entryId, (entry.offers ?? 0) + 1), entry, event.data);
        if (!held) break;
        // of a freed combination the ledger may hold one table, or a smaller set: the offer names what it holds
        event.data.tableId = held.tableId;
      } else if (entry?.offer && (event.type === 'WaitlistOfferExpired' || event.type === 'WaitlistWithdrawn' || event.type === 'WaitlistEntryExpired')) {
        const reservationId = offerReservationId(streamId, entry.entryId, entry.offers ?? 1);
        await ledgers.apply(ledgerId, reservationId, { type: 'ReleaseTable', reservationId, reason: `waitlist-${event.type === 'WaitlistWithdrawn' ? 'withdrawn' : 'lapsed'}` });
      }
      kept.push(event);
      after = waitlistDecider.evolve(after, event);
    }
    if (kept.length === 0) return { state, version };
    await waitlists.append(
      streamId,
      kept.map((e, i) => ({ ...e, eventId: deterministicEventId(`${streamId}:${version + i + 1}`), metadata: { actor: `workflow:${streamId}` } })),
      { expectedVersion: version === 0 ? 'no_stream' : version },
    );
    return { state: after, version: version + kept.length };
  }

  /** Holds the offered table for the entry's party and turn: the booking held, or undefined when it is not free any more. */
  async function hold(restaurant: RestaurantReplica, ledgerId: string, reservationId: string, entry: { partySize: number; customerId: string }, offer: WaitlistOffer): Promise<LedgerBooking | undefined> {
    const start = new Date(offer.start);
    try {
      const ledger = await ledgers.apply(ledgerId, reservationId, {
        type: 'HoldTable',
        reservationId,
        partySize: entry.partySize,
        start: offer.start,
        end: formatInZone(turnEnd(start, offer.freed.turnMinutes), restaurant.timezone),
        tables: restaurant.tables,
        onlyTables: offer.freed.tableIds ?? [offer.freed.tableId],
        customerId: entry.customerId,
      });
      return ledger.bookings[reservationId];
    } catch (err) {
      if (isDomainError(err, 'NO_TABLE')) return undefined;
      throw err;
    }
  }

  /** A decision whose refusal is an answer to the workflow (non-retryable), anything else a retried failure. */
  async function answered<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toFailure(err);
    }
  }

  /**
   * The interval a freed table is free for: from the freed turn's start until the next booking of any of
   * its tables, or the end of the day's last turn (the last start the restaurant offers, plus the turn).
   */
  function freedInterval(restaurant: RestaurantReplica, ledger: LedgerState, day: WaitlistWorkflowInput, tableIds: string[], start: string, end: string, at: Date) {
    const endMs = Date.parse(end);
    // the first start on the restaurant's grid at or after the freed one (a no-show frees the rest of a turn
    // from the minute it is marked), so an offered start is one the restaurant offers; the advance notice
    // was the diner's to meet when joining, not the offer's
    const fromMs = Date.parse(start);
    const grid = bookableStarts({ restaurant, date: day.openingDate, now: new Date(fromMs - restaurant.policy.minAdvanceMinutes * MINUTE_MS), partySize: 1 });
    const from = grid.find((s) => s.getTime() >= fromMs);
    if (!from || from.getTime() >= endMs) return undefined;
    let until: number | undefined;
    for (const b of Object.values(ledger.bookings)) {
      const tables = b.tableIds ?? [b.tableId];
      const s = Date.parse(b.start);
      if (s >= endMs && tables.some((t) => tableIds.includes(t)) && (until === undefined || s < until)) until = s;
    }
    if (until === undefined) {
      const starts = bookableStarts({ restaurant, date: day.openingDate, now: at, partySize: 1 });
      const last = starts.at(-1);
      until = Math.max(endMs, last ? turnEnd(last, restaurant.policy.turnMinutes).getTime() : endMs);
    }
    return { from: formatInZone(from, restaurant.timezone), until: formatInZone(new Date(until), restaurant.timezone) };
  }

  return {
    async loadWaitlist(day) {
      return (await read(day)).state;
    },

    async joinWaitlist({ entry, ...day }) {
      return answered(async () => {
        const restaurant = await restaurantOf(day.restaurantId);
        const stream = await read(day);
        if (stream.state.entries[entry.entryId]) {
          // a retried join: the decider answers it (no-op, or a conflict when the id is reused differently)
          const { state: after } = await decide(day, restaurant, { type: 'JoinWaitlist', ...entry }, stream);
          return { state: after, position: positionOf(after, entry.entryId) ?? 0, created: false };
        }
        const start = new Date(entry.start);
        const at = clockOf(day);
        checkBookable({ restaurant, start, partySize: entry.partySize, now: at });
        // a table free now within the entry's window: book it instead of waiting (the nearest start first)
        const ledger = (await ledgers.read(ledgerStreamId(day.restaurantId, day.openingDate))).state;
        const window = { start: entry.start, flexMinutes: entry.flexMinutes };
        const candidates = bookableStarts({ restaurant, date: day.openingDate, now: at, partySize: entry.partySize }).filter((s) => withinWindow(window, s.toISOString()));
        const free = availableStarts(ledger, candidates, entry.partySize, restaurant.policy.turnMinutes, restaurant.tables).sort(
          (a, b) => Math.abs(a.getTime() - start.getTime()) - Math.abs(b.getTime() - start.getTime()) || a.getTime() - b.getTime(),
        );
        if (free[0]) {
          const slot = formatInZone(free[0], restaurant.timezone);
          throw new DomainError('SLOT_AVAILABLE', `A table for ${entry.partySize} is free at ${slot}: book it instead of waiting.`, {
            start: slot,
            alternatives: free.slice(0, 3).map((s) => formatInZone(s, restaurant.timezone)),
          });
        }
        const { state: after } = await decide(day, restaurant, { type: 'JoinWaitlist', ...entry, start: formatInZone(start, restaurant.timezone) }, stream);
        return { state: after, position: positionOf(after, entry.entryId) ?? 0, created: true };
      });
    },

    async offerFreedTable({ freed, ...day }) {
      const restaurant = await restaurantOf(day.restaurantId);
      const tableIds = [...new Set([freed.tableId, ...(freed.tableIds ?? [])])];
      const tables = restaurant.tables.filter((t) => tableIds.includes(t.id));
      // a table the restaurant no longer has is not offered
      if (tables.length !== tableIds.length) return (await read(day)).state;
      const ledger = (await ledgers.read(ledgerStreamId(day.restaurantId, day.openingDate))).state;
      const at = clockOf(day);
      const interval = freedInterval(restaurant, ledger, day, tableIds, freed.start, freed.end, at);
      if (!interval) return (await read(day)).state; // no start the restaurant offers is left in it
      const table: FreedTable = {
        tableId: freed.tableId,
        ...(tableIds.length > 1 ? { tableIds } : {}),
        seats: tables.reduce((sum, t) => sum + t.seats, 0),
        ...interval,
        turnMinutes: restaurant.policy.turnMinutes,
        offerMinutes: restaurant.policy.waitlistOfferMinutes,
      };
      try {
        return (await decide(day, restaurant, { type: 'TableFreed', ...table, now: at })).state;
      } catch (err) {
        // already offered (a second freeing of a table whose offer is live): nothing to add
        if (isDomainError(err, 'TABLE_OFFERED')) return (await read(day)).state;
        throw toFailure(err);
      }
    },

    async acceptOffer({ entryId, customerId, ...day }) {
      return answered(async () => {
        const restaurant = await restaurantOf(day.restaurantId);
        const streamId = waitlistStreamId(day.restaurantId, day.openingDate);
        const stream = await read(day);
        const entry = stream.state.entries[entryId];
        if (!entry) throw new DomainError('NOT_FOUND', 'There is no such waitlist entry.', { entryId });
        // the offer's hold id; a retry after the acceptance was recorded names the same reservation
        const reservationId = entry.reservationId ?? offerReservationId(streamId, entryId, entry.offers ?? 1);
        const start = entry.offer?.start;
        const { state: after } = await decide(day, restaurant, { type: 'AcceptOffer', entryId, customerId, reservationId, now: clockOf(day) }, stream);
        const booked = start ?? (await acceptedStart(day, entryId));
        return { state: after, reservationId, start: booked };
      });
    },

    async bookOffer({ entryId, reservationId, start, ...day }) {
      const restaurant = await restaurantOf(day.restaurantId);
      const entry = (await read(day)).state.entries[entryId];
      if (!entry || entry.reservationId !== reservationId) throw toFailure(new DomainError('NOT_OFFERED', 'The offer was not accepted.', { entryId }));
      const request: ReservationRequest = {
        reservationId,
        restaurantId: day.restaurantId,
        customerId: entry.customerId,
        partySize: entry.partySize,
        start: new Date(start).toISOString(),
        requestHash: `waitlist:${entryId}`,
        heldByOffer: true,
      };
      const client = await deps.temporal();
      const startOp = new WithStartWorkflowOperation('reservationWorkflow', {
        workflowId: reservationWorkflowId(reservationId),
        taskQueue: deps.taskQueue,
        args: [request],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: SA.restaurantId, value: day.restaurantId },
          { key: SA.customerId, value: entry.customerId },
          { key: SA.start, value: new Date(start) },
          { key: SA.partySize, value: entry.partySize },
          { key: SA.status, value: 'placing' },
        ],
        memo: { restaurantName: restaurant.name, waitlistEntryId: entryId },
        staticSummary: `Waitlist offer accepted: party of ${entry.partySize}`,
      });
      try {
        const placed = await client.withDeadline(Date.now() + BOOK_DEADLINE_MS, () =>
          client.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash: request.requestHash }], startWorkflowOperation: startOp }),
        );
        return { status: placed.status };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          // placement refused the held table (the restaurant gone, say): give the table back and fail for good,
          // rather than retry a refusal while the day's waitlist waits behind this step
          const ledgerId = ledgerStreamId(day.restaurantId, day.openingDate);
          await ledgers.apply(ledgerId, reservationId, { type: 'ReleaseTable', reservationId, reason: 'waitlist-booking-refused' });
          const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
          throw ApplicationFailure.create({ type: cause?.type ?? 'PLACEMENT_FAILED', message: cause?.message ?? String(err), nonRetryable: true });
        }
        // its run already closed (a retry long after): the stored reservation answers
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const events = await reservations.readStream(reservationStreamId(reservationId));
        const state = events.reduce(reservationDecider.evolve, reservationDecider.initialState());
        if (state.status === 'none') throw err;
        return { status: state.status };
      }
    },

    async withdrawEntry({ entryId, customerId, ...day }) {
      return answered(async () => (await decide(day, await restaurantOf(day.restaurantId), { type: 'WithdrawEntry', entryId, customerId, now: clockOf(day) })).state);
    },

    async settleDue(day) {
      return answered(async () => {
        const restaurant = await restaurantOf(day.restaurantId);
        const at = clockOf(day);
        // one read: each decision goes on from the stream as the one before it left it
        let stream = await read(day);
        for (const entryId of lapsedOffers(stream.state, at)) stream = await decide(day, restaurant, { type: 'OfferLapsed', entryId, now: at }, stream);
        return (await decide(day, restaurant, { type: 'ExpireDue', now: at }, stream)).state;
      });
    },
  };

  /** The start an accepted offer booked (from its acceptance event). */
  async function acceptedStart(day: WaitlistWorkflowInput, entryId: string): Promise<string> {
    const events = await waitlists.readStream(waitlistStreamId(day.restaurantId, day.openingDate));
    const accepted = events.find((e) => e.type === 'WaitlistOfferAccepted' && e.data.entryId === entryId);
    if (!accepted || accepted.type !== 'WaitlistOfferAccepted') throw new Error(`no acceptance recorded for entry ${entryId}`);
    return accepted.data.start;
  }
}
