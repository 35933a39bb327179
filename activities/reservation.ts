/**
 * The reservation workflow's activities, built by a factory over injected clients (tests pass an
 * in-memory store and replica, workers pass DynamoDB and MongoDB).
 *
 * Idempotency: every event id is derived from the reservation id and the event type (each happens at most
 * once per reservation), and each activity first looks at what the stream already holds, so a retried
 * activity never appends twice. Table holds and reservation events are appended in one atomic batch across
 * the reservation stream and the restaurant's ledger stream of that date.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ConcurrencyError, type EventStore, type StoredEvent } from '../eventstore/types';
import { deterministicEventId } from '../eventstore/envelope';
import { DomainError } from '../domain/errors';
import {
  ledgerDecider,
  ledgerStreamId,
  nearestFreeStarts,
  type LedgerCommand,
  type LedgerEvent,
  type LedgerState,
} from '../domain/reservation/ledger';
import {
  reservationDecider,
  reservationStreamId,
  type ReservationCommand,
  type ReservationEvent,
  type ReservationState,
} from '../domain/reservation/reservation';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { holdsTable, isFinal } from '../domain/reservation/rules';
import { bookableStarts, checkBookable, formatInZone, openingDateOf, turnEnd } from '../domain/time/slots';
import { FAILURE, type Placement, type Refusal, type ReservationActivities, type ReservationRequest, type ReservationStatus } from '../workflows/messages';

export type ReservationServiceEvent = ReservationEvent | LedgerEvent;

export interface RestaurantReader {
  /** `minVersion`: the replica version the caller already decided on; a copy at least that new will do. */
  get(restaurantId: string, minVersion?: number): Promise<RestaurantReplica | null>;
}

export interface ReservationActivityDeps {
  store: EventStore<ReservationServiceEvent>;
  restaurants: RestaurantReader;
  now?: () => Date;
  /** Bounded retries when another booking wins the ledger stream first. */
  maxLedgerAttempts?: number;
  /** The activity's attempt number (1 the first time); default: Temporal's activity context, else 1. */
  attempt?: () => number;
}

/**
 * Which try of its step this is, 1 for the first. A remote run of placement comes only after local runs
 * failed (or, before the local-placement patch, ran alone: reading the stored state first costs one read),
 * so it never counts as a first try, whatever its own attempt number says.
 */
function activityAttempt(): number {
  try {
    const { attempt, isLocal } = Context.current().info;
    return isLocal ? attempt : attempt + 1;
  } catch {
    return 1; // called outside an activity (tests, scripts)
  }
}

const MINUTE = 60_000;

/** When the running activity's attempt times out, and its cancellation; none outside an activity. */
function turnLimit(): { deadline: number; signal: AbortSignal } | undefined {
  try {
    const c = Context.current();
    return { deadline: Date.now() + c.info.startToCloseTimeoutMs, signal: c.cancellationSignal };
  } catch {
    return undefined;
  }
}

type ExistingReservation = Exclude<ReservationState, { status: 'none' }>;

function fold<S, E>(decider: { initialState: () => S; evolve: (s: S, e: E) => S }, events: readonly E[]): S {
  return events.reduce(decider.evolve, decider.initialState());
}

function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, details: [err.details ?? {}], nonRetryable: true });
  }
  return err;
}

export function createReservationActivities(deps: ReservationActivityDeps): ReservationActivities {
  const now = deps.now ?? (() => new Date());
  const maxAttempts = deps.maxLedgerAttempts ?? 10;
  const attemptOf = deps.attempt ?? activityAttempt;
  const { store } = deps;

  async function restaurantOf(restaurantId: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(restaurantId);
    if (!r) throw ApplicationFailure.create({ type: FAILURE.notFound, message: `Restaurant ${restaurantId} does not exist.`, nonRetryable: true });
    return r;
  }

  async function readReservation(reservationId: string) {
    const events = (await store.readStream(reservationStreamId(reservationId))) as StoredEvent<ReservationEvent>[];
    return { events, state: fold(reservationDecider, events), version: events.at(-1)?.version ?? 0 };
  }

  /** The opening day a new booking at `start` belongs to, by the restaurant's hours and zone now. */
  function openingDateFor(restaurant: RestaurantReplica, start: Date): string {
    // a booking lives on the ledger of its opening day: turns never cross from one opening day's
    // hours into another's, so one stream decides every overlap (no cross-stream race at midnight)
    return openingDateOf(restaurant, start) ?? formatInZone(start, restaurant.timezone).slice(0, 10);
  }

  function ledgerIdOf(restaurant: RestaurantReplica, start: Date): string {
    return ledgerStreamId(restaurant.restaurantId, openingDateFor(restaurant, start));
  }

  /**
   * The ledger an existing reservation's table is on: the opening day recorded at placement, so a later
   * change of the restaurant's timezone or hours cannot send a confirm or release to another day's ledger
   * (and leave a hold that never goes away). Reservations recorded before the field existed: computed.
   */
  function ledgerIdOfReservation(r: ExistingReservation, restaurant: RestaurantReplica): string {
    return r.openingDate ? ledgerStreamId(r.restaurantId, r.openingDate) : ledgerIdOf(restaurant, new Date(r.start));
  }

  function placementOf(r: ExistingReservation, restaurant: RestaurantReplica): Placement {
    const t = now().getTime();
    const start = Date.parse(r.start);
    const { policy } = restaurant;
    return {
      status: r.status === 'accepted' ? 'accepted' : 'pending',
      tableId: r.tableId,
      start: r.start,
      end: r.end,
      restaurantName: restaurant.name,
      timezone: restaurant.timezone,
      ownerId: restaurant.ownerId,
      // the deadline recorded with the request (what the owner is shown), else the policy's from now
      decisionTimeoutMs: Math.max(0, r.decideBy ? Date.parse(r.decideBy) - t : Math.min(policy.decisionTimeoutMinutes * MINUTE, start - t)),
      reminderInMs: start - policy.reminderMinutesBefore * MINUTE - t,
      endInMs: Date.parse(r.end) - t,
      customerCutoffInMs: start - policy.cancellationCutoffMinutes * MINUTE - t,
      startInMs: start - t,
    };
  }

  /** Up to `count` bookable starts of the same opening day nearest to `start` with a free table (for 409 answers). */
  function alternatives(restaurant: RestaurantReplica, start: Date, partySize: number, ledger: LedgerState, count = 3): string[] {
    const date = openingDateOf(restaurant, start);
    if (!date) return [];
    // the ledger is that opening day's: its bookable starts are the candidates
    const candidates = bookableStarts({ restaurant, date, now: now(), partySize });
    return nearestFreeStarts(ledger, candidates, { start, partySize, turnMinutes: restaurant.policy.turnMinutes, tables: restaurant.tables, count }).map((s) =>
      formatInZone(s, restaurant.timezone),
    );
  }

  /**
   * Ledger states this process has seen, so a booking reads only the ledger events it has not seen yet
   * (the ledger of a busy evening grows with every booking), and often none at all: the first attempt
   * decides on the cached state and appends at its version. A stale entry is harmless: the append's
   * expected version refuses it, and the next attempt reads what it missed.
   */
  const ledgers = new Map<string, { version: number; state: LedgerState }>();
  function remember(ledgerId: string, entry: { version: number; state: LedgerState }) {
    ledgers.delete(ledgerId);
    ledgers.set(ledgerId, entry);
    if (ledgers.size > 10_000) ledgers.delete(ledgers.keys().next().value as string);
  }
  async function ledgerState(ledgerId: string): Promise<{ version: number; state: LedgerState }> {
    const cached = ledgers.get(ledgerId) ?? { version: 0, state: ledgerDecider.initialState() };
    const fresh = (await store.readStream(ledgerId, { fromVersion: cached.version + 1 })) as StoredEvent<LedgerEvent>[];
    const next = { version: fresh.at(-1)?.version ?? cached.version, state: fresh.reduce(ledgerDecider.evolve, cached.state) };
    remember(ledgerId, next);
    return next;
  }

  const idFor = (reservationId: string, type: string) => deterministicEventId(`${reservationId}:${type}`);

  /**
   * Applies a ledger command: decide against the ledger, append its (single) event at the version decided
   * on, and on a conflict read what was missed and decide again — bounded, never unbounded. One conditional
   * PutItem per attempt: no multi-item transaction on the contended stream. The first attempt may use this
   * process's cached state; a refusal (NO_TABLE) only ever comes from a state just read.
   */
  async function applyToLedger(ledgerId: string, reservationId: string, command: LedgerCommand): Promise<LedgerState> {
    const turn = turnLimit();
    return inLane(ledgerId, () => {
      // a command whose activity timed out (or was cancelled) while it waited is not run: its retry is queued
      // behind, and running both would only lengthen the queue
      if (turn && (turn.signal.aborted || Date.now() > turn.deadline)) throw new Error(`ledger ${ledgerId}: the activity ran out of time waiting for its turn`);
      return applyToLedgerNow(ledgerId, reservationId, command);
    });
  }

  /**
   * One lane per ledger in this process: its commands run one after another, each deciding on the state the
   * one before it left (cached, no read) and appending once. Without it, N bookings of one busy evening in
   * one worker race each other: every round one append wins and the others read and decide again (N²
   * reads and refused appends). Other processes are still kept out by the append's expected version.
   */
  const lanes = new Map<string, Promise<unknown>>();
  function inLane<T>(key: string, run: () => Promise<T>): Promise<T> {
    const before = lanes.get(key) ?? Promise.resolve();
    const mine = before.then(run, run);
    const tail = mine.catch(() => undefined);
    lanes.set(key, tail);
    void tail.then(() => {
      if (lanes.get(key) === tail) lanes.delete(key);
    });
    return mine;
  }

  async function applyToLedgerNow(ledgerId: string, reservationId: string, command: LedgerCommand): Promise<LedgerState> {
    for (let attempt = 1; ; attempt++) {
      const cached = attempt === 1 ? ledgers.get(ledgerId) : undefined;
      const { version, state } = cached ?? (await ledgerState(ledgerId));
      let decided: LedgerEvent[];
      try {
        decided = ledgerDecider.decide(command, state);
      } catch (err) {
        if (cached) continue; // maybe only stale: decide again on what the stream holds now
        throw err;
      }
      if (decided.length === 0) {
        if (cached) continue; // "already done" must not come from a stale cache either
        return state;
      }
      try {
        await store.append(
          ledgerId,
          decided.map((e) => ({ ...e, eventId: idFor(reservationId, e.type), metadata: { actor: `workflow:reservation-${reservationId}` } })),
          // the version came from this process's own reads and appends of the stream
          { expectedVersion: version === 0 ? 'no_stream' : version, versionSeen: true },
        );
        const next = decided.reduce(ledgerDecider.evolve, state);
        remember(ledgerId, { version: version + decided.length, state: next });
        return next;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
      }
    }
  }

  /**
   * Appends a reservation's new events one conditional PutItem at a time, each at the version it expects.
   * Every event id is deterministic, so after a crash or retry the ones already stored are skipped.
   * `known` is the stream as the caller last saw it (a read, or "new" for a reservation being placed):
   * the first attempt trusts it and a conflict or an already-stored event sends the next one to read.
   */
  async function appendToReservation(
    reservationId: string,
    decide: (r: ReservationState) => ReservationEvent[],
    known?: { state: ReservationState; version: number; events?: readonly StoredEvent<ReservationEvent>[] },
  ): Promise<ReservationState> {
    for (let attempt = 1; ; attempt++) {
      const res = attempt === 1 && known ? known : await readReservation(reservationId);
      const stored = new Set((res.events ?? []).map((e) => e.eventId));
      const todo = decide(res.state).filter((e) => !stored.has(idFor(reservationId, e.type)));
      let state = res.state;
      let version = res.version;
      let retried = false;
      try {
        for (const e of todo) {
          const r = await store.append(
            reservationStreamId(reservationId),
            [{ ...e, eventId: idFor(reservationId, e.type), metadata: { actor: `workflow:reservation-${reservationId}` } }],
            { expectedVersion: version === 0 ? 'no_stream' : version, versionSeen: true },
          );
          // stored by an earlier attempt: what else is there is unknown here, so read it next time round
          if (r.alreadyStored) {
            retried = true;
            break;
          }
          version += 1;
          state = reservationDecider.evolve(state, e);
        }
        if (!retried) return state;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
      }
      if (attempt >= maxAttempts) throw new Error(`reservation ${reservationId}: gave up after ${attempt} attempts`);
    }
  }

  return {

    async placeReservation(request: ReservationRequest): Promise<Placement | Refusal> {
      // a replica at least as new as the one the API checked the rules on (a cached one, usually)
      // (a retry may run long after the API's check: it reads the current replica, not the minute-old copy)
      const restaurant = await deps.restaurants.get(request.restaurantId, attemptOf() > 1 ? undefined : request.restaurantVersion);
      if (!restaurant) return { refused: { code: FAILURE.notFound, message: `Restaurant ${request.restaurantId} does not exist.`, details: {} } };

      // A made-up id on a first attempt has nothing stored: no read. Otherwise (a retry, or an id from an
      // Idempotency-Key) what is stored decides: a placed reservation is answered as it is, whatever the
      // clock or the restaurant's rules say now.
      let known: { state: ReservationState; version: number; events?: readonly StoredEvent<ReservationEvent>[] } = {
        state: reservationDecider.initialState(),
        version: 0,
      };
      if (!request.newId || attemptOf() > 1) {
        known = await readReservation(request.reservationId);
        const r = known.state;
        if (r.status !== 'none' && isFinal(r.status)) {
          // a key reused after the reservation ended: never a new placement of a final reservation
          return { refused: { code: FAILURE.alreadyFinal, message: `The reservation is already ${r.status}.`, details: { reservationStatus: r.status } } };
        }
        if (r.status === 'pending' && r.acceptance === 'auto') {
          // an earlier attempt stopped between the request and its automatic acceptance: finish it
          const state = await appendToReservation(request.reservationId, (x) => (x.status === 'pending' ? reservationDecider.decide({ type: 'AcceptReservation', by: 'auto' }, x) : []), known);
          await applyToLedger(ledgerIdOfReservation(r, restaurant), request.reservationId, { type: 'ConfirmTable', reservationId: request.reservationId });
          if (state.status !== 'none') return placementOf(state, restaurant);
        } else if (r.status !== 'none') {
          return placementOf(r, restaurant);
        }
      }
      const start = new Date(request.start);
      try {
        checkBookable({ restaurant, start, partySize: request.partySize, now: now() });
        const end = turnEnd(start, restaurant.policy.turnMinutes);
        const startIso = formatInZone(start, restaurant.timezone);
        const endIso = formatInZone(end, restaurant.timezone);
        const openingDate = openingDateFor(restaurant, start);
        const ledgerId = ledgerStreamId(restaurant.restaurantId, openingDate);
        const auto = restaurant.policy.acceptance === 'auto';
        // 1. hold a table on the ledger, confirmed at once when the restaurant accepts automatically
        //    (the contended step: optimistic concurrency, bounded retries)
        let ledger: LedgerState;
        try {
          ledger = await applyToLedger(ledgerId, request.reservationId, {
            type: 'HoldTable',
            reservationId: request.reservationId,
            partySize: request.partySize,
            start: startIso,
            end: endIso,
            tables: restaurant.tables,
            confirm: auto,
            customerId: request.customerId,
            maxPerCustomer: restaurant.policy.maxBookingsPerCustomerPerDay,
          });
        } catch (err) {
          if (err instanceof DomainError && err.code === 'NO_TABLE') {
            // an answer, not a failure: the request is refused with the nearest free starts (from the
            // ledger state the refusal was decided on)
            const seen = ledgers.get(ledgerId)?.state ?? ledgerDecider.initialState();
            return {
              refused: {
                code: FAILURE.noTable,
                message: `No table for ${request.partySize} is free at ${startIso}.`,
                details: { alternatives: alternatives(restaurant, start, request.partySize, seen) },
              },
            };
          }
          throw err;
        }
        const booking = ledger.bookings[request.reservationId];
        if (!booking) throw new Error(`the ledger holds no table for ${request.reservationId}`);
        // 2. record the request on the reservation's own stream (+ accepted at once when auto)
        const state = await appendToReservation(
          request.reservationId,
          (r) =>
            r.status === 'pending' && r.acceptance === 'auto'
              ? // stored by an earlier run of this step that stopped before its automatic acceptance: finish it
                reservationDecider.decide({ type: 'AcceptReservation', by: 'auto' }, r)
              : r.status !== 'none'
                ? []
                : reservationDecider.decide(
                  {
                    type: 'RequestReservation',
                    reservationId: request.reservationId,
                    restaurantId: request.restaurantId,
                    customerId: request.customerId,
                    partySize: request.partySize,
                    start: startIso,
                    end: endIso,
                    tableId: booking.tableId,
                    ...(request.name ? { name: request.name } : {}),
                    ...(request.phone ? { phone: request.phone } : {}),
                    ...(request.notes ? { notes: request.notes } : {}),
                    acceptance: restaurant.policy.acceptance,
                    openingDate,
                    restaurantName: restaurant.name,
                    ...(auto
                      ? {}
                      : { decideBy: formatInZone(new Date(Math.min(now().getTime() + restaurant.policy.decisionTimeoutMinutes * MINUTE, start.getTime())), restaurant.timezone) }),
                  },
                  r,
                ),
          known,
        );
        if (state.status === 'none') throw new Error('reservation was not recorded');
        // 3. an accepted reservation has a confirmed table (already so when it was booked at once)
        if (state.status === 'accepted' && booking.status !== 'confirmed') {
          await applyToLedger(ledgerId, request.reservationId, { type: 'ConfirmTable', reservationId: request.reservationId });
        }
        return placementOf(state, restaurant);
      } catch (err) {
        if (err instanceof DomainError) return { refused: { code: err.code, message: err.message, details: err.details ?? {} } };
        throw err;
      }
    },

    async recordOutcome({ reservationId, outcome, actor, reason }) {
      const res = await readReservation(reservationId);
      if (res.state.status === 'none') throw ApplicationFailure.create({ type: FAILURE.notFound, message: 'No such reservation.', nonRetryable: true });
      const restaurant = await restaurantOf(res.state.restaurantId);
      const at = now();
      const eventType = {
        accept: 'ReservationAccepted',
        reject: 'ReservationRejected',
        expire: 'ReservationExpired',
        cancel: 'ReservationCancelled',
        reminder: 'ReminderDue',
        complete: 'ReservationCompleted',
      }[outcome];
      const already = res.events.find((e) => e.type === eventType);
      const command: ReservationCommand =
        outcome === 'accept'
          ? { type: 'AcceptReservation' }
          : outcome === 'reject'
            ? { type: 'RejectReservation', reason: reason ?? '' }
            : outcome === 'expire'
              ? { type: 'ExpireReservation' }
              : outcome === 'cancel'
                ? {
                    type: 'CancelReservation',
                    by: actor?.role === 'owner' ? 'owner' : 'customer',
                    at,
                    // the workflow checked the cutoff when the request arrived; a retry must not fail on it
                    cancellationCutoffMinutes: 0,
                    ...(reason ? { reason } : {}),
                  }
                : outcome === 'reminder'
                  ? { type: 'MarkReminderDue' }
                  : { type: 'CompleteReservation' };
      const ledgerCommand: LedgerCommand | undefined =
        outcome === 'accept'
          ? { type: 'ConfirmTable', reservationId }
          : outcome === 'reject' || outcome === 'expire' || outcome === 'cancel'
            ? { type: 'ReleaseTable', reservationId, reason: outcome }
            : undefined;
      try {
        // a retry after the event was stored skips the append but still finishes the ledger step
        const state = already ? res.state : await appendToReservation(reservationId, (r) => reservationDecider.decide(command, r), res);
        if (ledgerCommand) await applyToLedger(ledgerIdOfReservation(res.state, restaurant), reservationId, ledgerCommand);
        const when = already ? already.metadata.occurredAt : at.toISOString();
        return { status: (state.status === 'none' ? 'pending' : state.status) as ReservationStatus, at: when };
      } catch (err) {
        throw toFailure(err);
      }
    },

    async releaseTable({ reservationId, restaurantId, start, reason }) {
      // the recorded status decides: a reservation that is pending or accepted rightly holds its table
      const { state } = await readReservation(reservationId);
      if (state.status !== 'none' && holdsTable(state.status)) return { released: false, status: state.status };
      const restaurant = await restaurantOf(restaurantId);
      const ledgerId = state.status !== 'none' ? ledgerIdOfReservation(state, restaurant) : ledgerIdOf(restaurant, new Date(start));
      const held = (await ledgerState(ledgerId)).state.bookings[reservationId] !== undefined;
      if (held) await applyToLedger(ledgerId, reservationId, { type: 'ReleaseTable', reservationId, reason });
      return { released: held, status: state.status };
    },
  };
}
