/**
 * Where a reservation lives and when its steps fall due: which opening day's ledger holds its table, when
 * an undecided request expires, when the reminder is due, when a customer may no longer cancel, and which
 * starts to offer instead when no table is free. Pure: the restaurant and the time come in as arguments.
 */
import { DEFAULT_NO_SHOW_GRACE_MINUTES, DEFAULT_SEAT_EARLY_MINUTES } from './floor';
import { nearestFreeStarts, ledgerStreamId, type LedgerState } from './ledger';
import type { ReservationDetails, ReservationStatus } from './reservation';
import type { RestaurantReplica } from './restaurant';
import { customerCutoffAt } from './rules';
import { bookableStarts, openingDateOf } from '../time/slots';
import { formatInZone } from '../time/zoned-time';

const MINUTE = 60_000;

/** What placement decided, with every later deadline as a delay from placement (the workflow's timers). */
export interface Placement {
  status: 'pending' | 'accepted';
  tableId: string;
  start: string;
  end: string;
  restaurantName: string;
  timezone: string;
  ownerId: string;
  /** ms from placement until an undecided request expires (never past the start). */
  decisionTimeoutMs: number;
  /** ms from placement until the reminder is due (<= 0: due at once). */
  reminderInMs: number;
  /** ms from placement until the turn ends and the reservation completes. */
  endInMs: number;
  /** ms from placement after which a customer may no longer cancel. */
  customerCutoffInMs: number;
  /** ms from placement until the start (the owner may cancel until then). */
  startInMs: number;
  /** Combined tables: every table taken (`tableId` the first). */
  tableIds?: string[];
  /**
   * The opening day whose ledger (and waitlist) the reservation is on, and the floor's policy it was placed
   * under. Absent from placements made before they existed: see `openingDateOfPlacement`, and floor.ts's
   * defaults.
   */
  openingDate?: string;
  seatEarlyMinutes?: number;
  noShowGraceMinutes?: number;
}

/**
 * A placement's opening day: the one recorded, else the local date of its start (written in the
 * restaurant's offset, so its first ten characters are that date).
 */
export const openingDateOfPlacement = (p: Pick<Placement, 'openingDate' | 'start'>): string => p.openingDate ?? p.start.slice(0, 10);

/**
 * The opening day a booking at `start` belongs to, by the restaurant's hours and zone: turns never cross
 * from one opening day's hours into another's, so one ledger stream decides every overlap (no cross-stream
 * race at midnight). A start outside the hours falls on its local date.
 */
export function openingDateFor(restaurant: RestaurantReplica, start: Date): string {
  return openingDateOf(restaurant, start) ?? formatInZone(start, restaurant.timezone).slice(0, 10);
}

/** The ledger a new booking at `start` goes to. */
export function ledgerIdFor(restaurant: RestaurantReplica, start: Date): string {
  return ledgerStreamId(restaurant.restaurantId, openingDateFor(restaurant, start));
}

/**
 * The ledger an existing reservation's table is on: the opening day recorded at placement, so a later
 * change of the restaurant's timezone or hours cannot send a confirm or release to another day's ledger
 * (and leave a hold that never goes away). Reservations recorded before the field existed: computed.
 */
export function ledgerIdOfReservation(r: Pick<ReservationDetails, 'restaurantId' | 'openingDate' | 'start'>, restaurant: RestaurantReplica): string {
  return r.openingDate ? ledgerStreamId(r.restaurantId, r.openingDate) : ledgerIdFor(restaurant, new Date(r.start));
}

/** When a request made at `now` expires undecided (epoch ms): the policy's timeout, never past the start. */
export const expiryAt = (now: number, decisionTimeoutMinutes: number, start: number): number => Math.min(now + decisionTimeoutMinutes * MINUTE, start);

/** Manual acceptance: when a request made at `now` expires undecided (`expiryAt`), in the restaurant's zone. */
export function decideBy(restaurant: RestaurantReplica, start: Date, now: Date): string {
  return formatInZone(new Date(expiryAt(now.getTime(), restaurant.policy.decisionTimeoutMinutes, start.getTime())), restaurant.timezone);
}

/** The instants of a placed reservation's steps (epoch ms). */
export interface Deadlines {
  /** An undecided request expires (pending only). */
  expiry: number;
  reminder: number;
  customerCutoff: number;
  start: number;
  end: number;
}

/**
 * When each step of a reservation falls due, seen at `now`: the expiry recorded with the request (what the
 * owner was shown), else the policy's from now, never past the start; the reminder and the customer's
 * cancellation cutoff by the policy.
 */
export function deadlines(
  r: Pick<ReservationDetails, 'start' | 'end' | 'decideBy'>,
  policy: Pick<RestaurantReplica['policy'], 'decisionTimeoutMinutes' | 'reminderMinutesBefore' | 'cancellationCutoffMinutes'>,
  now: Date,
): Deadlines {
  const start = Date.parse(r.start);
  return {
    expiry: r.decideBy ? Date.parse(r.decideBy) : expiryAt(now.getTime(), policy.decisionTimeoutMinutes, start),
    reminder: start - policy.reminderMinutesBefore * MINUTE,
    customerCutoff: customerCutoffAt(start, policy.cancellationCutoffMinutes),
    start,
    end: Date.parse(r.end),
  };
}

/** A recorded reservation as the workflow's placement: its table, and each deadline as a delay from `now`. */
export function placementOf(
  r: Pick<ReservationDetails, 'tableId' | 'tableIds' | 'start' | 'end' | 'decideBy' | 'openingDate'> & { status: ReservationStatus },
  restaurant: RestaurantReplica,
  now: Date,
): Placement {
  const t = now.getTime();
  const d = deadlines(r, restaurant.policy, now);
  return {
    status: r.status === 'accepted' ? 'accepted' : 'pending',
    tableId: r.tableId,
    ...(r.tableIds ? { tableIds: r.tableIds } : {}),
    openingDate: r.openingDate ?? openingDateFor(restaurant, new Date(r.start)),
    seatEarlyMinutes: restaurant.policy.seatEarlyMinutes ?? DEFAULT_SEAT_EARLY_MINUTES,
    noShowGraceMinutes: restaurant.policy.noShowGraceMinutes ?? DEFAULT_NO_SHOW_GRACE_MINUTES,
    start: r.start,
    end: r.end,
    restaurantName: restaurant.name,
    timezone: restaurant.timezone,
    ownerId: restaurant.ownerId,
    decisionTimeoutMs: Math.max(0, d.expiry - t),
    reminderInMs: d.reminder - t,
    endInMs: d.end - t,
    customerCutoffInMs: d.customerCutoff - t,
    startInMs: d.start - t,
  };
}

/**
 * Up to `count` bookable starts of the same opening day nearest to `start` with a free table on `ledger`
 * (that opening day's), in the restaurant's zone: what a NO_TABLE refusal offers instead.
 */
export function alternatives(
  restaurant: RestaurantReplica,
  q: { start: Date; partySize: number; ledger: LedgerState; now: Date; count?: number },
): string[] {
  const date = openingDateOf(restaurant, q.start);
  if (!date) return [];
  const candidates = bookableStarts({ restaurant, date, now: q.now, partySize: q.partySize });
  return nearestFreeStarts(q.ledger, candidates, {
    start: q.start,
    partySize: q.partySize,
    turnMinutes: restaurant.policy.turnMinutes,
    tables: restaurant.tables,
    count: q.count ?? 3,
  }).map((s) => formatInZone(s, restaurant.timezone));
}
