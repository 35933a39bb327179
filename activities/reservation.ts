/**
 * The reservation workflow's activities, built by a factory over injected clients (tests pass an
 * in-memory store and replica, workers pass DynamoDB and MongoDB).
 *
 * Idempotency: every event id is derived from the reservation id and the event type (each happens at most
 * once per reservation), and each activity first looks at what the stream already holds, so a retried
 * activity never appends twice. Table holds and reservation events are appended in one atomic batch across
 * the reservation stream and the restaurant's ledger stream of that date.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ConcurrencyError, type EventStore, type NewEvent, type StoredEvent } from '../eventstore/types';
import { deterministicEventId } from '../eventstore/envelope';
import { DomainError } from '../domain/errors';
import {
  ledgerDecider,
  ledgerStreamId,
  availableStarts,
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
import { bookableStarts, checkBookable, formatInZone, openingDateOf, turnEnd, addDays } from '../domain/time/slots';
import { FAILURE, type Placement, type ReservationActivities, type ReservationRequest, type ReservationStatus } from '../workflows/messages';

export type ReservationServiceEvent = ReservationEvent | LedgerEvent;

export interface RestaurantReader {
  get(restaurantId: string): Promise<RestaurantReplica | null>;
}

export interface ReservationActivityDeps {
  store: EventStore<ReservationServiceEvent>;
  restaurants: RestaurantReader;
  now?: () => Date;
  /** Bounded retries when another booking wins the ledger stream first. */
  maxLedgerAttempts?: number;
}

const MINUTE = 60_000;

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

export function createReservationActivities(deps: ReservationActivityDeps): ReservationActivities & {
  /** Up to `count` bookable starts nearest to `start` with a free table (for 409 answers). */
  alternatives(restaurant: RestaurantReplica, start: Date, partySize: number, ledger: LedgerState, count?: number): string[];
} {
  const now = deps.now ?? (() => new Date());
  const maxAttempts = deps.maxLedgerAttempts ?? 10;
  const { store } = deps;

  async function restaurantOf(restaurantId: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(restaurantId);
    if (!r) throw ApplicationFailure.create({ type: 'NOT_FOUND', message: `Restaurant ${restaurantId} does not exist.`, nonRetryable: true });
    return r;
  }

  async function readReservation(reservationId: string) {
    const events = (await store.readStream(reservationStreamId(reservationId))) as StoredEvent<ReservationEvent>[];
    return { events, state: fold(reservationDecider, events), version: events.at(-1)?.version ?? 0 };
  }

  function ledgerIdOf(restaurant: RestaurantReplica, start: Date): string {
    // a booking lives on the ledger of its opening day: turns never cross from one opening day's
    // hours into another's, so one stream decides every overlap (no cross-stream race at midnight)
    const date = openingDateOf(restaurant, start) ?? formatInZone(start, restaurant.timezone).slice(0, 10);
    return ledgerStreamId(restaurant.restaurantId, date);
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
      decisionTimeoutMs: Math.max(0, Math.min(policy.decisionTimeoutMinutes * MINUTE, start - t)),
      reminderInMs: start - policy.reminderMinutesBefore * MINUTE - t,
      endInMs: Date.parse(r.end) - t,
      customerCutoffInMs: start - policy.cancellationCutoffMinutes * MINUTE - t,
      startInMs: start - t,
    };
  }

  function alternatives(restaurant: RestaurantReplica, start: Date, partySize: number, ledger: LedgerState, count = 3): string[] {
    const date = openingDateOf(restaurant, start);
    if (!date) return [];
    const candidates = [addDays(date, -1), date, addDays(date, 1)].flatMap((d) =>
      d === date ? bookableStarts({ restaurant, date: d, now: now(), partySize }) : [],
    );
    const free = availableStarts(ledger, candidates, partySize, restaurant.policy.turnMinutes, restaurant.tables);
    return free
      .filter((s) => s.getTime() !== start.getTime())
      .sort((a, b) => Math.abs(a.getTime() - start.getTime()) - Math.abs(b.getTime() - start.getTime()) || a.getTime() - b.getTime())
      .slice(0, count)
      .sort((a, b) => a.getTime() - b.getTime())
      .map((s) => formatInZone(s, restaurant.timezone));
  }

  /**
   * Decides against the reservation stream and the ledger stream together and appends both in one batch,
   * re-reading when another booking got to the ledger first (bounded). Returns the reservation's state.
   */
  async function appendWithLedger(
    reservationId: string,
    ledgerId: string,
    decide: (r: ReservationState, ledger: LedgerState) => { reservation: ReservationEvent[]; ledger: LedgerEvent[] },
  ): Promise<ReservationState> {
    for (let attempt = 1; ; attempt++) {
      const [res, ledgerEvents] = await Promise.all([
        readReservation(reservationId),
        store.readStream(ledgerId) as Promise<StoredEvent<LedgerEvent>[]>,
      ]);
      const ledgerVersion = ledgerEvents.at(-1)?.version ?? 0;
      const decided = decide(res.state, fold(ledgerDecider, ledgerEvents));
      if (decided.reservation.length === 0 && decided.ledger.length === 0) return res.state;
      const withIds = <E extends ReservationServiceEvent>(events: E[]): NewEvent<E>[] =>
        events.map((e) => ({ ...e, eventId: deterministicEventId(`${reservationId}:${e.type}`), metadata: { actor: `workflow:reservation-${reservationId}` } }));
      try {
        await store.appendMany([
          ...(decided.reservation.length
            ? [{ streamId: reservationStreamId(reservationId), events: withIds(decided.reservation), expectedVersion: res.version === 0 ? ('no_stream' as const) : res.version }]
            : []),
          ...(decided.ledger.length
            ? [{ streamId: ledgerId, events: withIds(decided.ledger), expectedVersion: ledgerVersion === 0 ? ('no_stream' as const) : ledgerVersion }]
            : []),
        ]);
        return decided.reservation.reduce(reservationDecider.evolve, res.state);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
        // someone else appended (another booking on the ledger, or our own earlier try): decide again
      }
    }
  }

  return {
    alternatives,

    async placeReservation(request: ReservationRequest): Promise<Placement> {
      const restaurant = await restaurantOf(request.restaurantId);
      const existing = await readReservation(request.reservationId);
      if (existing.state.status !== 'none') return placementOf(existing.state, restaurant);

      const start = new Date(request.start);
      try {
        checkBookable({ restaurant, start, partySize: request.partySize, now: now() });
        const end = turnEnd(start, restaurant.policy.turnMinutes);
        const startIso = formatInZone(start, restaurant.timezone);
        const endIso = formatInZone(end, restaurant.timezone);
        const ledgerId = ledgerIdOf(restaurant, start);
        const state = await appendWithLedger(request.reservationId, ledgerId, (r, ledger) => {
          if (r.status !== 'none') return { reservation: [], ledger: [] };
          const held = ledgerDecider.decide(
            { type: 'HoldTable', reservationId: request.reservationId, partySize: request.partySize, start: startIso, end: endIso, tables: restaurant.tables },
            ledger,
          );
          const tableId = held[0]?.type === 'TableHeld' ? held[0].data.tableId : ledger.bookings[request.reservationId]?.tableId;
          if (!tableId) throw new Error('the ledger decided no table and no error');
          const requested = reservationDecider.decide(
            {
              type: 'RequestReservation',
              reservationId: request.reservationId,
              restaurantId: request.restaurantId,
              customerId: request.customerId,
              partySize: request.partySize,
              start: startIso,
              end: endIso,
              tableId,
              ...(request.name ? { name: request.name } : {}),
              ...(request.phone ? { phone: request.phone } : {}),
              ...(request.notes ? { notes: request.notes } : {}),
              acceptance: restaurant.policy.acceptance,
            },
            r,
          );
          // auto acceptance confirms the table in the same batch
          const confirmed = requested.some((e) => e.type === 'ReservationAccepted')
            ? ledgerDecider.decide({ type: 'ConfirmTable', reservationId: request.reservationId }, held.reduce(ledgerDecider.evolve, ledger))
            : [];
          return { reservation: requested, ledger: [...held, ...confirmed] };
        }).catch(async (err: unknown) => {
          if (err instanceof DomainError && err.code === 'NO_TABLE') {
            const ledger = fold(ledgerDecider, (await store.readStream(ledgerId)) as StoredEvent<LedgerEvent>[]);
            throw ApplicationFailure.create({
              type: FAILURE.noTable,
              message: `No table for ${request.partySize} is free at ${startIso}.`,
              details: [{ alternatives: alternatives(restaurant, start, request.partySize, ledger) }],
              nonRetryable: true,
            });
          }
          throw err;
        });
        if (state.status === 'none') throw new Error('reservation was not recorded');
        return placementOf(state, restaurant);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async recordOutcome({ reservationId, outcome, actor, reason }) {
      const res = await readReservation(reservationId);
      if (res.state.status === 'none') throw ApplicationFailure.create({ type: 'NOT_FOUND', message: 'No such reservation.', nonRetryable: true });
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
      if (already) return { status: res.state.status, at: already.metadata.occurredAt };

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
        const state = await appendWithLedger(reservationId, ledgerIdOf(restaurant, new Date(res.state.start)), (r, ledger) => {
          const reservation = reservationDecider.decide(command, r);
          return { reservation, ledger: reservation.length && ledgerCommand ? ledgerDecider.decide(ledgerCommand, ledger) : [] };
        });
        return { status: (state.status === 'none' ? 'pending' : state.status) as ReservationStatus, at: at.toISOString() };
      } catch (err) {
        throw toFailure(err);
      }
    },

    async releaseTable({ reservationId, reason }) {
      const res = await readReservation(reservationId);
      if (res.state.status === 'none') return;
      const restaurant = await restaurantOf(res.state.restaurantId);
      const ledgerId = ledgerIdOf(restaurant, new Date(res.state.start));
      for (let attempt = 1; ; attempt++) {
        const events = (await store.readStream(ledgerId)) as StoredEvent<LedgerEvent>[];
        const decided = ledgerDecider.decide({ type: 'ReleaseTable', reservationId, reason }, fold(ledgerDecider, events));
        if (decided.length === 0) return;
        try {
          await store.append(
            ledgerId,
            decided.map((e) => ({ ...e, eventId: deterministicEventId(`${reservationId}:${e.type}`) })),
            { expectedVersion: events.at(-1)?.version ?? 'no_stream' },
          );
          return;
        } catch (err) {
          if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
        }
      }
    },
  };
}
