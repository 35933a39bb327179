/**
 * The reservation lifecycle's rules as pure predicates, each written once: the decider (reservation.ts)
 * enforces them on the stream, the workflow's update validators call them to refuse a request before it
 * is accepted, the activities ask them whether a reservation has ended or still holds its table, and the
 * API whether a repeated request is the same booking. No I/O and no clock: times come in as arguments.
 * Imports nothing heavy, so the workflow bundle can take it.
 *
 * Refusals name the reservation's status as `reservationStatus` (never `status`, which in a problem body
 * is the HTTP status).
 */
import { DomainError } from '../errors';

export const RESERVATION_STATUSES = ['pending', 'accepted', 'seated', 'rejected', 'expired', 'cancelled', 'completed', 'no-show'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

const FINAL: ReadonlySet<string> = new Set<ReservationStatus>(['rejected', 'expired', 'cancelled', 'completed', 'no-show']);

export const isFinal = (status: string): boolean => FINAL.has(status);

/**
 * Whether a reservation in this recorded status rightly occupies its table on the ledger. Compensation
 * releases a table only when this is false: a pending, accepted or seated reservation keeps its table
 * whatever else failed (releasing it would let someone else book the same table: a double booking).
 */
export const holdsTable = (status: string): boolean => status === 'pending' || status === 'accepted' || status === 'seated' || status === 'completed';

/**
 * The status each reservation event leaves behind (null: the status stays as it was). `evolve`, the
 * activities, the workflow and the diner's list projection all read the status from here.
 */
export const STATUS_AFTER = {
  ReservationRequested: 'pending',
  ReservationAccepted: 'accepted',
  ReservationRejected: 'rejected',
  ReservationExpired: 'expired',
  ReservationCancelled: 'cancelled',
  ReminderDue: null,
  ReservationSeated: 'seated',
  ReservationNoShow: 'no-show',
  ReservationCompleted: 'completed',
} as const satisfies Record<string, ReservationStatus | null>;
export type ReservationEventType = keyof typeof STATUS_AFTER;

/** The status after an event of this type, given the status before it (unknown types change nothing). */
export function statusAfter<S extends string>(eventType: string, before: S): ReservationStatus | S {
  const next = (STATUS_AFTER as Record<string, ReservationStatus | null | undefined>)[eventType];
  return next ?? before;
}

/**
 * The refusal of anything asked of a reservation that has ended (`isFinal`; also a request whose run ended
 * without placing it): nothing leaves a final status. `wanted`: what was asked, e.g. 'cancelled', named in
 * the message when given.
 */
export function finalRefusal(status: string, wanted?: string): DomainError {
  return new DomainError('ALREADY_FINAL', `The reservation is already ${status}${wanted ? ` and cannot be ${wanted}` : ''}.`, { reservationStatus: status });
}

/** What a repeated request must match to be the same booking: the customer, the party and the start instant. */
export interface Booking {
  customerId: string;
  partySize: number;
  /** ISO 8601; compared as an instant, whatever offset it is written with. */
  start: string;
}

export const sameBooking = (a: Booking, b: Booking): boolean =>
  a.customerId === b.customerId && a.partySize === b.partySize && Date.parse(a.start) === Date.parse(b.start);

/** The last instant a customer may cancel (epoch ms, inclusive): the start less the restaurant's cutoff. */
export const customerCutoffAt = (start: number, cancellationCutoffMinutes: number): number => start - cancellationCutoffMinutes * 60_000;

/** Only the restaurant's owner accepts or rejects a request. */
export function ownerRefusal(role: string): DomainError | undefined {
  return role === 'owner' ? undefined : new DomainError('FORBIDDEN', 'Only the restaurant owner may do this.');
}

/** Only a pending reservation can be accepted, rejected or expire. */
export function pendingRefusal(status: string, wanted: string): DomainError | undefined {
  if (status === 'pending') return undefined;
  return new DomainError('NOT_PENDING', `Only a pending reservation can be ${wanted}; this one is ${status}.`, { reservationStatus: status });
}

/** Only an accepted reservation gets its reminder or completes. */
export function acceptedRefusal(status: string, wanted: string): DomainError | undefined {
  if (status === 'accepted') return undefined;
  return new DomainError('NOT_ACCEPTED', `Only an accepted reservation can be ${wanted}; this one is ${status}.`, { reservationStatus: status });
}

/** The reason of a rejection, trimmed; a blank one is refused (the diner is told why). */
export function rejectionReason(reason: string | undefined): string | DomainError {
  const r = (reason ?? '').trim();
  return r === '' ? new DomainError('REASON_REQUIRED', 'Say why the reservation is rejected.') : r;
}

export interface CancelQuestion {
  status: string;
  by: 'customer' | 'owner';
  /** When the cancellation is asked for, and the reservation's start (epoch ms). */
  at: number;
  start: number;
  /** The restaurant's policy: a customer may cancel until start − this many minutes (inclusive). */
  cancellationCutoffMinutes: number;
}

/**
 * Why a cancellation is refused, or undefined when it may go ahead: nothing leaves a final status, nobody
 * cancels a reservation that has started (or whose party is seated), and a customer cancels only up to the cutoff (the owner any time
 * before the start).
 */
export function cancellationRefusal(q: CancelQuestion): DomainError | undefined {
  if (isFinal(q.status)) return finalRefusal(q.status, 'cancelled');
  // a party seated early (before the start) is at its table: its turn has begun
  if (q.status === 'seated' || q.at >= q.start) return new DomainError('ALREADY_STARTED', 'The reservation has already started and can no longer be cancelled.');
  if (q.by === 'customer' && q.at > customerCutoffAt(q.start, q.cancellationCutoffMinutes)) {
    return new DomainError(
      'PAST_CUTOFF',
      `Reservations can be cancelled up to ${q.cancellationCutoffMinutes} minutes before the start; please call the restaurant.`,
      { cancellationCutoffMinutes: q.cancellationCutoffMinutes },
    );
  }
  return undefined;
}
