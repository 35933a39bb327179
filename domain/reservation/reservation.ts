/**
 * The reservation's lifecycle, one stream per reservation (`reservationStreamId`).
 *
 *   (none) ──Request──▶ pending ──Accept──▶ accepted ──Complete──▶ completed ◀──Complete, CompleteEarly──┐
 *                         │  ├──Reject──▶ rejected       ├──MarkReminderDue (stays accepted)           │
 *                         │  └──Expire──▶ expired        ├──Seat──▶ seated ──────────────────────────────┘
 *                         │                              └──MarkNoShow──▶ no-show
 *                         └──────Cancel (also from accepted)──▶ cancelled
 *
 * rejected, expired, cancelled, completed and no-show are final: nothing leaves them (the 2020 system let a
 * rejected reservation be cancelled, which re-released its table; that is refused here with ALREADY_FINAL).
 *
 * With `acceptance: 'auto'` a request is accepted in the same decision: it yields Requested and
 * Accepted{by:'auto'}, which the activities append as two conditional writes, one after the other. A run
 * that stops between them leaves the reservation pending; the same request run again (`requestOf`) is
 * then the one way to finish it: the decider answers a repeated request of a pending auto reservation
 * with its acceptance. The workflow is told 'accepted' only once both are stored, so it never starts an
 * expiry timer for an auto reservation.
 *
 * Bookability (opening hours, advance window, party size) is checked by the caller with `checkBookable`
 * before the table is held: it needs the restaurant's replica and the current time, this stream needs
 * neither. Cancellation needs the time and the cutoff, so the command carries them. The rules themselves
 * (pending only, the cutoff, the status each event leaves) are written once in rules.ts, the floor's (seat,
 * no-show, complete early: each in its window, on the instant the command carries) in floor.ts.
 */
import type { Decider } from '../../eventstore/command-handler';
import type { DomainEvent } from '../../eventstore/types';
import { DomainError } from '../errors';
import { parseInstant } from '../time/zoned-time';
import { completeEarlyRefusal, noShowRefusal, seatRefusal } from './floor';
import { acceptedRefusal, cancellationRefusal, pendingRefusal, rejectionReason, sameBooking, statusAfter, type ReservationEventType, type ReservationStatus } from './rules';

export { RESERVATION_STATUSES, type ReservationStatus } from './rules';

export const reservationStreamId = (reservationId: string): string => `reservation-${reservationId}`;
export type Acceptance = 'manual' | 'auto';

// ---- events

export interface ReservationDetails {
  reservationId: string;
  restaurantId: string;
  customerId: string;
  partySize: number;
  /** ISO 8601 with the restaurant's offset, e.g. 2026-03-29T19:30:00+02:00; the turn is [start, end). */
  start: string;
  end: string;
  /** The table, or the first of the combined tables. */
  tableId: string;
  /** Combined tables: every table the reservation takes (`tableId` among them); absent for one table. */
  tableIds?: string[];
  name?: string;
  phone?: string;
  notes?: string;
  acceptance: Acceptance;
  /**
   * The opening day whose ledger holds the table (`ledgerStreamId(restaurantId, openingDate)`), recorded at
   * placement so later ledger steps go to the same stream even if the restaurant's timezone or hours change.
   * Absent on reservations recorded before it existed.
   */
  openingDate?: string;
  /** The restaurant's name when it was booked, so the diner's list reads without another lookup. */
  restaurantName?: string;
  /** Manual acceptance: when an undecided request expires (ISO, never past the start). */
  decideBy?: string;
}

export type ReservationRequested = DomainEvent<'ReservationRequested', ReservationDetails>;
export type ReservationAccepted = DomainEvent<'ReservationAccepted', { by: 'owner' | 'auto' }>;
export type ReservationRejected = DomainEvent<'ReservationRejected', { reason: string }>;
export type ReservationExpired = DomainEvent<'ReservationExpired', Record<string, never>>;
export type ReservationCancelled = DomainEvent<'ReservationCancelled', { by: 'customer' | 'owner'; reason?: string }>;
export type ReminderDue = DomainEvent<'ReminderDue', { start: string }>;
/** `early`: the owner ended a seated party's turn before its end (the table was given back then). */
export type ReservationCompleted = DomainEvent<'ReservationCompleted', { early?: true; at?: string }>;
/** `at`: when the owner seated the party, or marked it a no-show (ISO, the instant the command carried). */
export type ReservationSeated = DomainEvent<'ReservationSeated', { at: string }>;
export type ReservationNoShow = DomainEvent<'ReservationNoShow', { at: string }>;

// every event type has its entry in the status map (rules.ts STATUS_AFTER), and nothing else does
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _statusMapCoversEveryEvent: Same<ReservationEvent['type'], ReservationEventType> = true;
void _statusMapCoversEveryEvent;

export type ReservationEvent =
  | ReservationRequested
  | ReservationAccepted
  | ReservationRejected
  | ReservationExpired
  | ReservationCancelled
  | ReminderDue
  | ReservationSeated
  | ReservationNoShow
  | ReservationCompleted;

// ---- commands

export interface RequestReservation extends ReservationDetails {
  type: 'RequestReservation';
}
/** The owner accepts (an automatic acceptance is decided with the request: see `request`). */
export interface AcceptReservation {
  type: 'AcceptReservation';
}
export interface RejectReservation {
  type: 'RejectReservation';
  reason: string;
}
export interface ExpireReservation {
  type: 'ExpireReservation';
}
export interface CancelReservation {
  type: 'CancelReservation';
  by: 'customer' | 'owner';
  /**
   * When the cancellation was asked for (passed in: the domain never reads the clock). The workflow passes
   * the instant it accepted the request, so a retried command decides exactly as the first try did.
   */
  at: Date;
  /** The restaurant's policy: a customer may cancel until start − this many minutes (inclusive). */
  cancellationCutoffMinutes: number;
  reason?: string;
}
export interface MarkReminderDue {
  type: 'MarkReminderDue';
}
/** The end of the turn: an accepted or seated reservation completes (the workflow's timer). */
export interface CompleteReservation {
  type: 'CompleteReservation';
}
/**
 * The owner seats the party (floor.ts `seatRefusal`). `at`: when it was asked, passed in like a
 * cancellation's, so a retry decides the same; `seatEarlyMinutes`: the policy the reservation was placed under.
 */
export interface SeatReservation {
  type: 'SeatReservation';
  at: Date;
  seatEarlyMinutes: number;
}
/** The owner marks the party a no-show (floor.ts `noShowRefusal`): final, and its table is given back. */
export interface MarkNoShow {
  type: 'MarkNoShow';
  at: Date;
  noShowGraceMinutes: number;
}
/** The owner ends a seated party's turn before its end (floor.ts `completeEarlyRefusal`). */
export interface CompleteReservationEarly {
  type: 'CompleteReservationEarly';
  at: Date;
}

export type ReservationCommand =
  | RequestReservation
  | AcceptReservation
  | RejectReservation
  | ExpireReservation
  | CancelReservation
  | MarkReminderDue
  | CompleteReservation
  | SeatReservation
  | MarkNoShow
  | CompleteReservationEarly;

// ---- state

export type ReservationState =
  | { status: 'none' }
  | (ReservationDetails & {
      status: ReservationStatus;
      acceptedBy?: 'owner' | 'auto';
      rejectionReason?: string;
      cancelledBy?: 'customer' | 'owner';
      cancellationReason?: string;
      reminderDue: boolean;
      /** When the party was seated, or marked a no-show (ISO). */
      seatedAt?: string;
      noShowAt?: string;
      completedEarly?: boolean;
    });

type Existing = Exclude<ReservationState, { status: 'none' }>;

// ---- decider

export const reservationDecider: Decider<ReservationCommand, ReservationState, ReservationEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'ReservationRequested') return { ...event.data, status: statusAfter(event.type, 'none'), reminderDue: false };
    if (state.status === 'none') return state; // nothing else can happen to a reservation that does not exist
    const status = statusAfter(event.type, state.status);
    switch (event.type) {
      case 'ReservationAccepted':
        return { ...state, status, acceptedBy: event.data.by };
      case 'ReservationRejected':
        return { ...state, status, rejectionReason: event.data.reason };
      case 'ReservationCancelled':
        return {
          ...state,
          status,
          cancelledBy: event.data.by,
          ...(event.data.reason !== undefined ? { cancellationReason: event.data.reason } : {}),
        };
      case 'ReminderDue':
        return { ...state, reminderDue: true };
      case 'ReservationSeated':
        return { ...state, status, seatedAt: event.data.at };
      case 'ReservationNoShow':
        return { ...state, status, noShowAt: event.data.at };
      case 'ReservationCompleted':
        return { ...state, status, ...(event.data?.early ? { completedEarly: true } : {}) };
      case 'ReservationExpired':
        return { ...state, status };
    }
  },

  decide(command, state) {
    if (command.type === 'RequestReservation') return request(command, state);
    if (state.status === 'none') {
      throw new DomainError('NOT_FOUND', 'There is no such reservation.');
    }
    switch (command.type) {
      case 'AcceptReservation':
        refuseIf(pendingRefusal(state.status, 'accepted'));
        return [{ type: 'ReservationAccepted', data: { by: 'owner' } }];
      case 'RejectReservation': {
        refuseIf(pendingRefusal(state.status, 'rejected'));
        const reason = rejectionReason(command.reason);
        if (reason instanceof DomainError) throw reason;
        return [{ type: 'ReservationRejected', data: { reason } }];
      }
      case 'ExpireReservation':
        refuseIf(pendingRefusal(state.status, 'expired'));
        return [{ type: 'ReservationExpired', data: {} }];
      case 'CancelReservation':
        return cancel(command, state);
      case 'MarkReminderDue':
        refuseIf(acceptedRefusal(state.status, 'reminded'));
        if (state.reminderDue) return []; // a retried timer must not remind twice
        return [{ type: 'ReminderDue', data: { start: state.start } }];
      case 'CompleteReservation':
        // the end of the turn, seated or not (a party never seated and never marked keeps its table to the end)
        if (state.status !== 'seated') refuseIf(acceptedRefusal(state.status, 'completed'));
        return [{ type: 'ReservationCompleted', data: {} }];
      case 'SeatReservation':
        refuseIf(seatRefusal({ status: state.status, start: Date.parse(state.start), end: Date.parse(state.end), now: command.at.getTime(), seatEarlyMinutes: command.seatEarlyMinutes }));
        return [{ type: 'ReservationSeated', data: { at: command.at.toISOString() } }];
      case 'MarkNoShow':
        refuseIf(noShowRefusal({ status: state.status, start: Date.parse(state.start), now: command.at.getTime(), noShowGraceMinutes: command.noShowGraceMinutes }));
        return [{ type: 'ReservationNoShow', data: { at: command.at.toISOString() } }];
      case 'CompleteReservationEarly':
        refuseIf(completeEarlyRefusal({ status: state.status, end: Date.parse(state.end), now: command.at.getTime() }));
        return [{ type: 'ReservationCompleted', data: { early: true, at: command.at.toISOString() } }];
    }
  },
};

function request(command: RequestReservation, state: ReservationState): ReservationEvent[] {
  const { type: _type, ...details } = command;
  if (state.status !== 'none') {
    // A repeated request (same id, same booking) is a no-op, or finishes an automatic acceptance that was
    // interrupted after the request was recorded; anything else reusing the id is a conflict.
    if (sameBooking(state, details)) {
      return state.status === 'pending' && state.acceptance === 'auto' ? [autoAccepted()] : [];
    }
    throw new DomainError('ALREADY_EXISTS', `Reservation ${details.reservationId} already exists.`, {
      reservationId: details.reservationId,
    });
  }
  if (!Number.isInteger(details.partySize) || details.partySize < 1) {
    throw new DomainError('INVALID_PARTY_SIZE', 'The party size must be a whole number of at least 1.', { partySize: details.partySize });
  }
  const start = parseInstant(details.start);
  const end = parseInstant(details.end);
  if (!start || !end || end <= start) {
    throw new DomainError('INVALID_PERIOD', 'A reservation must end after it starts.', { start: details.start, end: details.end });
  }
  const requested: ReservationEvent = { type: 'ReservationRequested', data: withoutUndefined(details) };
  return details.acceptance === 'auto' ? [requested, autoAccepted()] : [requested];
}

const autoAccepted = (): ReservationEvent => ({ type: 'ReservationAccepted', data: { by: 'auto' } });

/**
 * The request a recorded reservation was made by. Decided again it changes nothing, except that it
 * finishes an automatic acceptance interrupted after the request (see `request`).
 */
export function requestOf(state: Existing): RequestReservation {
  const {
    status: _status,
    acceptedBy: _by,
    rejectionReason: _rr,
    cancelledBy: _cb,
    cancellationReason: _cr,
    reminderDue: _due,
    seatedAt: _sa,
    noShowAt: _ns,
    completedEarly: _ce,
    ...details
  } = state;
  return { type: 'RequestReservation', ...details };
}

function cancel(command: CancelReservation, state: Existing): ReservationEvent[] {
  const refused = cancellationRefusal({
    status: state.status,
    by: command.by,
    at: command.at.getTime(),
    start: Date.parse(state.start),
    cancellationCutoffMinutes: command.cancellationCutoffMinutes,
  });
  refuseIf(refused);
  const reason = command.reason?.trim();
  return [{ type: 'ReservationCancelled', data: { by: command.by, ...(reason ? { reason } : {}) } }];
}

function refuseIf(refused: DomainError | undefined): void {
  if (refused) throw refused;
}

/** Optional fields absent rather than `undefined`, so the event is the same after a JSON round trip. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
