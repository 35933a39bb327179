/**
 * The floor on the night (issue 14): the owner seats a party, marks it a no-show, or ends a seated party's
 * turn early. Pure predicates in the shape of rules.ts (a DomainError, or undefined when the step may go
 * ahead); no clock: every instant comes in as epoch ms. The decider (reservation.ts) enforces them on the
 * stream, the workflow's update validators ask them first on the placement's clock.
 *
 * A step asked before its window opens is NOT_YET (409: it will be allowed later, unlike the booking
 * window's TOO_EARLY), after it closes PAST_CUTOFF; details carry the instants of the window. Ending early a
 * reservation that is not seated is NOT_SEATED.
 */
import { DomainError } from '../errors';
import { acceptedRefusal, finalRefusal, isFinal } from './rules';

const MINUTE = 60_000;

/** The floor's statuses, after 'accepted' (rules.ts RESERVATION_STATUSES). */
export const SEATED = 'seated';
export const NO_SHOW = 'no-show';

/** How long before the start the owner may seat a party unless the policy says otherwise. */
export const DEFAULT_SEAT_EARLY_MINUTES = 30;
/** How long after the start a party that has not come may be marked a no-show (issue 14: default 15). */
export const DEFAULT_NO_SHOW_GRACE_MINUTES = 15;

const iso = (ms: number): string => new Date(ms).toISOString();

export interface SeatQuestion {
  status: string;
  /** The reservation's turn [start, end) and the instant the owner asks (epoch ms). */
  start: number;
  end: number;
  now: number;
  seatEarlyMinutes?: number;
}

/** The first instant a party may be seated (epoch ms, inclusive): the start less the early allowance. */
export const seatFromAt = (start: number, seatEarlyMinutes: number = DEFAULT_SEAT_EARLY_MINUTES): number => start - seatEarlyMinutes * MINUTE;

/**
 * Why seating is refused, or undefined: only an accepted reservation is seated, from start − seatEarlyMinutes
 * (inclusive) until the end of its turn (exclusive; at the end the turn is over).
 */
export function seatRefusal(q: SeatQuestion): DomainError | undefined {
  if (isFinal(q.status)) return finalRefusal(q.status, SEATED);
  const notAccepted = acceptedRefusal(q.status, SEATED);
  if (notAccepted) return notAccepted;
  const from = seatFromAt(q.start, q.seatEarlyMinutes);
  if (q.now < from) {
    return new DomainError('NOT_YET', `The party can be seated from ${iso(from)}.`, { seatFrom: iso(from), seatUntil: iso(q.end) });
  }
  if (q.now >= q.end) {
    return new DomainError('PAST_CUTOFF', 'The reservation’s turn has ended; it can no longer be seated.', { seatFrom: iso(from), seatUntil: iso(q.end) });
  }
  return undefined;
}

export interface NoShowQuestion {
  status: string;
  start: number;
  now: number;
  noShowGraceMinutes?: number;
}

/** The first instant a party may be marked a no-show (epoch ms, exclusive bound: strictly after it). */
export const noShowAfterAt = (start: number, noShowGraceMinutes: number = DEFAULT_NO_SHOW_GRACE_MINUTES): number =>
  start + noShowGraceMinutes * MINUTE;

/**
 * Why a no-show is refused, or undefined: only an accepted reservation (not seated, not ended), and only
 * strictly after start + grace, so a party arriving on the last minute of the grace is never marked.
 */
export function noShowRefusal(q: NoShowQuestion): DomainError | undefined {
  if (isFinal(q.status)) return finalRefusal(q.status, 'marked a no-show');
  const notAccepted = acceptedRefusal(q.status, 'marked a no-show');
  if (notAccepted) return notAccepted;
  const after = noShowAfterAt(q.start, q.noShowGraceMinutes);
  if (q.now <= after) {
    return new DomainError('NOT_YET', `The party can be marked a no-show after ${iso(after)}.`, { noShowAfter: iso(after) });
  }
  return undefined;
}

export interface CompleteEarlyQuestion {
  status: string;
  now: number;
  end: number;
}

/**
 * Why ending a turn early is refused, or undefined: only a seated reservation, and only before its end (at
 * the end it completes on its own).
 */
export function completeEarlyRefusal(q: CompleteEarlyQuestion): DomainError | undefined {
  if (isFinal(q.status)) return finalRefusal(q.status, 'completed early');
  if (q.status !== SEATED) {
    return new DomainError('NOT_SEATED', `Only a seated reservation can be completed early; this one is ${q.status}.`, { reservationStatus: q.status });
  }
  if (q.now >= q.end) {
    return new DomainError('PAST_CUTOFF', 'The reservation’s turn has ended; it completes on its own.', { end: iso(q.end) });
  }
  return undefined;
}

/** An interval [start, end) in epoch ms. */
export interface Interval {
  start: number;
  end: number;
}

/**
 * What a no-show marked at `now` frees for the ledger and the waitlist: the rest of the turn, from now
 * (never before the start) to its end. Null when nothing is left of the turn.
 */
export function freedByNoShow(q: { start: number; end: number; now: number }): Interval | null {
  const start = Math.max(q.now, q.start);
  return start < q.end ? { start, end: q.end } : null;
}

/** A past reservation's outcome, as an owner's list reads it. */
export interface PastOutcome {
  customerId: string;
  restaurantId: string;
  status: string;
}

/** How many times this diner did not come to this restaurant (what the owner's list shows beside them). */
export function noShowCount(history: readonly PastOutcome[], customerId: string, restaurantId: string): number {
  return history.filter((h) => h.status === NO_SHOW && h.customerId === customerId && h.restaurantId === restaurantId).length;
}
