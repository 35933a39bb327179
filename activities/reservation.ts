/**
 * The reservation workflow's activities, built by a factory over injected clients (tests pass an
 * in-memory store and replica, workers pass DynamoDB and MongoDB). Each is a thin adapter: it reads what
 * it needs, runs domain commands through the command handler and answers in the workflow's terms. The
 * rules are the deciders' (domain/reservation/), the deadlines and ledger choice domain/reservation/placement.ts.
 *
 * Idempotency: every event id is derived from the reservation id and the event type (each happens at most
 * once per reservation), and each activity first looks at what the stream already holds, so a retried
 * activity never appends twice. A placement writes the table hold to the restaurant's ledger of that
 * opening day, then the reservation's events to its own stream: separate conditional writes, not one
 * transaction. A placement that dies between them leaves a hold that its retry, or the workflow's
 * compensation (`releaseTable`), settles.
 */
import { handleCommand, type HandleOptions, type Snapshot } from '../eventstore/command-handler';
import type { EventStore, StoredEvent } from '../eventstore/types';
import { DomainError } from '../domain/errors';
import { ledgerStreamId, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import { ledgerStepAfter, OUTCOME_EVENT, outcomeCommand } from '../domain/reservation/outcomes';
import { alternatives, decideBy, ledgerIdFor, ledgerIdOfReservation, openingDateFor, placementOf } from '../domain/reservation/placement';
import {
  requestOf,
  reservationDecider,
  reservationStreamId,
  type RequestReservation,
  type ReservationCommand,
  type ReservationEvent,
  type ReservationState,
} from '../domain/reservation/reservation';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { finalRefusal, holdsTable, isFinal } from '../domain/reservation/rules';
import { checkBookable } from '../domain/time/slots';
import { formatInZone, turnEnd } from '../domain/time/zoned-time';
import { type Placement, type Refusal, type ReservationActivities, type ReservationRequest } from '../workflows/messages';
import { activityAttempt, toFailure, turnLimit } from './context';
import { ledgerWriter, reservationEventId, workflowActor, type LedgerWriter } from './ledgers';

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
  /** The process's table ledgers (one lane and cache per ledger, shared with the waitlist's activities). */
  ledgers?: LedgerWriter;
}

interface ReservationRead extends Snapshot<ReservationState> {
  events: StoredEvent<ReservationEvent>[];
}

const refusalOf = (err: DomainError): Refusal => ({ refused: { code: err.code, message: err.message, details: err.details ?? {} } });

export function createReservationActivities(deps: ReservationActivityDeps): ReservationActivities {
  const now = deps.now ?? (() => new Date());
  const maxAttempts = deps.maxLedgerAttempts ?? 10;
  const attemptOf = deps.attempt ?? activityAttempt;
  // one store, two kinds of stream: each decider sees only its own events
  const reservations = deps.store as unknown as EventStore<ReservationEvent>;
  const ledgers = deps.ledgers ?? ledgerWriter(deps.store as unknown as EventStore<LedgerEvent>, { maxAttempts });

  async function restaurantOf(restaurantId: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(restaurantId);
    if (!r) throw toFailure(new DomainError('NOT_FOUND', `Restaurant ${restaurantId} does not exist.`));
    return r;
  }

  async function readReservation(reservationId: string): Promise<ReservationRead> {
    const events = await reservations.readStream(reservationStreamId(reservationId));
    return { events, state: events.reduce(reservationDecider.evolve, reservationDecider.initialState()), version: events.at(-1)?.version ?? 0 };
  }

  /**
   * Runs a reservation command, one conditional write per event (each event id deterministic, so after a
   * crash or retry the ones already stored are skipped). `known`: the stream as this activity just read it,
   * or "new" for a reservation being placed under a made-up id.
   */
  async function onReservation(reservationId: string, command: ReservationCommand, known: Snapshot<ReservationState>): Promise<ReservationState> {
    const opts: HandleOptions<ReservationState, ReservationEvent> = {
      maxAttempts,
      known: { ...known, fresh: true },
      oneAtATime: true,
      eventId: (e) => reservationEventId(reservationId, e.type),
      metadata: workflowActor(reservationId),
    };
    return (await handleCommand(reservations, reservationDecider, reservationStreamId(reservationId), command, opts)).state;
  }

  const onLedger = (ledgerId: string, reservationId: string, command: Parameters<typeof ledgers.apply>[2]) =>
    ledgers.apply(ledgerId, reservationId, command, turnLimit());

  /**
   * Records a request on the reservation's stream and answers its placement. The one path that finishes an
   * automatic acceptance: the decider accepts a repeated request of a pending auto reservation (see
   * `requestOf`), and a reservation accepted by this call then has its table confirmed on `ledgerId`
   * (skipped when `tableConfirmed`: the hold booked it confirmed at once).
   */
  async function recordRequest(
    command: RequestReservation,
    known: Snapshot<ReservationState>,
    ledgerId: string,
    tableConfirmed: boolean,
    restaurant: RestaurantReplica,
  ): Promise<Placement> {
    const state = await onReservation(command.reservationId, command, known);
    if (state.status === 'none') throw new Error('reservation was not recorded');
    if (state.status === 'accepted' && known.state.status !== 'accepted' && !tableConfirmed) {
      await onLedger(ledgerId, command.reservationId, { type: 'ConfirmTable', reservationId: command.reservationId });
    }
    return placementOf(state, restaurant, now());
  }

  return {
    async placeReservation(request: ReservationRequest): Promise<Placement | Refusal> {
      // a replica at least as new as the one the API checked the rules on (a cached one, usually)
      // (a retry may run long after the API's check: it reads the current replica, not the minute-old copy)
      const restaurant = await deps.restaurants.get(request.restaurantId, attemptOf() > 1 ? undefined : request.restaurantVersion);
      if (!restaurant) return refusalOf(new DomainError('NOT_FOUND', `Restaurant ${request.restaurantId} does not exist.`));

      // A made-up id on a first attempt has nothing stored: no read. Otherwise (a retry, or an id from an
      // Idempotency-Key) what is stored decides: a placed reservation is answered as it is, whatever the
      // clock or the restaurant's rules say now.
      let known: Snapshot<ReservationState> = { state: reservationDecider.initialState(), version: 0 };
      if (!request.newId || attemptOf() > 1) {
        known = await readReservation(request.reservationId);
        const r = known.state;
        if (r.status !== 'none') {
          // a key reused after the reservation ended: never a new placement of a final reservation
          if (isFinal(r.status)) return refusalOf(finalRefusal(r.status));
          // the stored request, run again: a no-op, or it finishes an automatic acceptance an earlier
          // attempt left undone
          return await recordRequest(requestOf(r), known, ledgerIdOfReservation(r, restaurant), false, restaurant);
        }
      }
      const start = new Date(request.start);
      try {
        // a table held by an accepted waitlist offer was checked against the booking window when its diner
        // joined; the hold below is then the offer's own (the ledger answers a repeated hold with it)
        if (!request.heldByOffer) checkBookable({ restaurant, start, partySize: request.partySize, now: now() });
        const startIso = formatInZone(start, restaurant.timezone);
        const endIso = formatInZone(turnEnd(start, restaurant.policy.turnMinutes), restaurant.timezone);
        const openingDate = openingDateFor(restaurant, start);
        const ledgerId = ledgerStreamId(restaurant.restaurantId, openingDate);
        const auto = restaurant.policy.acceptance === 'auto';
        // 1. hold a table on the ledger, confirmed at once when the restaurant accepts automatically
        //    (the contended step: optimistic concurrency, bounded retries)
        let ledger: LedgerState;
        try {
          ledger = await onLedger(ledgerId, request.reservationId, {
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
          if (!(err instanceof DomainError && err.code === 'NO_TABLE')) throw err;
          // an answer, not a failure: the request is refused with the nearest free starts (from the ledger
          // state the refusal was decided on)
          const offered = alternatives(restaurant, { start, partySize: request.partySize, ledger: ledgers.seen(ledgerId), now: now() });
          return refusalOf(new DomainError('NO_TABLE', `No table for ${request.partySize} is free at ${startIso}.`, { alternatives: offered }));
        }
        const booking = ledger.bookings[request.reservationId];
        if (!booking) throw new Error(`the ledger holds no table for ${request.reservationId}`);
        // 2. record the request on the reservation's own stream (+ accepted at once when auto)
        return await recordRequest(
          {
            type: 'RequestReservation',
            reservationId: request.reservationId,
            restaurantId: request.restaurantId,
            customerId: request.customerId,
            partySize: request.partySize,
            // a table held by a waitlist offer: the turn it holds (the policy's turn may have changed since)
            start: request.heldByOffer ? booking.start : startIso,
            end: request.heldByOffer ? booking.end : endIso,
            tableId: booking.tableId,
            ...(booking.tableIds ? { tableIds: booking.tableIds } : {}),
            ...(request.name ? { name: request.name } : {}),
            ...(request.phone ? { phone: request.phone } : {}),
            ...(request.notes ? { notes: request.notes } : {}),
            acceptance: restaurant.policy.acceptance,
            openingDate,
            restaurantName: restaurant.name,
            ...(auto ? {} : { decideBy: decideBy(restaurant, start, now()) }),
          },
          known,
          ledgerId,
          booking.status === 'confirmed',
          restaurant,
        );
      } catch (err) {
        if (err instanceof DomainError) return refusalOf(err);
        throw err;
      }
    },

    async recordOutcome({ reservationId, outcome, actor, reason, at: askedAt, cancellationCutoffMinutes, seatEarlyMinutes, noShowGraceMinutes }) {
      const res = await readReservation(reservationId);
      if (res.state.status === 'none') throw toFailure(new DomainError('NOT_FOUND', 'No such reservation.'));
      const restaurant = await restaurantOf(res.state.restaurantId);
      const at = now();
      // the end of the turn and an early end share their event: only an early one answers a retried early end
      const already = res.events.find((e) => e.type === OUTCOME_EVENT[outcome] && (outcome !== 'complete-early' || (e.type === 'ReservationCompleted' && e.data.early)));
      const command = outcomeCommand(outcome, {
        by: actor?.role === 'owner' ? 'owner' : 'customer',
        ...(reason ? { reason } : {}),
        // a cancellation is decided at the instant the workflow accepted it, under the cutoff the reservation
        // was placed with, so every retry decides the same; runs started before the workflow passed them
        // checked the cutoff themselves (cutoff 0 here, as then)
        at: askedAt ? new Date(askedAt) : at,
        cancellationCutoffMinutes: cancellationCutoffMinutes ?? 0,
        // the floor's steps likewise, under the policy the workflow asked them with
        ...(seatEarlyMinutes !== undefined ? { seatEarlyMinutes } : {}),
        ...(noShowGraceMinutes !== undefined ? { noShowGraceMinutes } : {}),
      });
      const ledgerStep = ledgerStepAfter(outcome, reservationId);
      try {
        // a retry after the event was stored skips the append but still finishes the ledger step
        const state = already ? res.state : await onReservation(reservationId, command, res);
        if (ledgerStep) await onLedger(ledgerIdOfReservation(res.state, restaurant), reservationId, ledgerStep);
        return { status: state.status === 'none' ? 'pending' : state.status, at: already ? already.metadata.occurredAt : at.toISOString() };
      } catch (err) {
        throw toFailure(err);
      }
    },

    async releaseTable({ reservationId, restaurantId, start, reason }) {
      // the recorded status decides: a reservation that is pending or accepted rightly holds its table
      const { state } = await readReservation(reservationId);
      if (state.status !== 'none' && holdsTable(state.status)) return { released: false, status: state.status };
      const restaurant = await restaurantOf(restaurantId);
      const ledgerId = state.status !== 'none' ? ledgerIdOfReservation(state, restaurant) : ledgerIdFor(restaurant, new Date(start));
      const held = (await ledgers.read(ledgerId)).state.bookings[reservationId] !== undefined;
      if (held) await onLedger(ledgerId, reservationId, { type: 'ReleaseTable', reservationId, reason });
      return { released: held, status: state.status };
    },
  };
}
