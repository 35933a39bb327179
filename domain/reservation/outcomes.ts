/**
 * The lifecycle steps the workflow records after placement ("outcomes"), each as the reservation command
 * it runs, the event it leaves and the ledger step that follows it. Imports only types, rules.ts and
 * floor.ts, so the workflow bundle can take it.
 */
import { DEFAULT_NO_SHOW_GRACE_MINUTES, DEFAULT_SEAT_EARLY_MINUTES } from './floor';
import type { LedgerCommand } from './ledger';
import type { Placement } from './placement';
import type { ReservationCommand } from './reservation';
import type { ReservationEventType } from './rules';

export type Outcome = 'accept' | 'reject' | 'expire' | 'cancel' | 'reminder' | 'complete' | 'seat' | 'no-show' | 'complete-early';

/**
 * The event each outcome records (at most once per reservation: its id is derived from this type). The end
 * of the turn and an early end record the same event, so at most one of them is ever stored.
 */
export const OUTCOME_EVENT = {
  accept: 'ReservationAccepted',
  reject: 'ReservationRejected',
  expire: 'ReservationExpired',
  cancel: 'ReservationCancelled',
  reminder: 'ReminderDue',
  complete: 'ReservationCompleted',
  seat: 'ReservationSeated',
  'no-show': 'ReservationNoShow',
  'complete-early': 'ReservationCompleted',
} as const satisfies Record<Outcome, ReservationEventType>;

export interface OutcomeInput {
  by?: 'customer' | 'owner';
  reason?: string;
  /**
   * Cancel and the floor's steps: the instant the request was accepted; the cutoff (cancel), the early
   * allowance (seat) and the grace (no-show) the reservation was placed under.
   */
  at?: Date;
  cancellationCutoffMinutes?: number;
  seatEarlyMinutes?: number;
  noShowGraceMinutes?: number;
}

const askedAt = (input: OutcomeInput, outcome: Outcome): Date => {
  if (!input.at) throw new Error(`${outcome} needs the instant it was asked for`);
  return input.at;
};

/** The reservation command an outcome runs. */
export function outcomeCommand(outcome: Outcome, input: OutcomeInput): ReservationCommand {
  switch (outcome) {
    case 'accept':
      return { type: 'AcceptReservation' };
    case 'reject':
      return { type: 'RejectReservation', reason: input.reason ?? '' };
    case 'expire':
      return { type: 'ExpireReservation' };
    case 'cancel':
      if (!input.at || input.cancellationCutoffMinutes === undefined) throw new Error('a cancellation needs the instant it was asked for and the cutoff');
      return {
        type: 'CancelReservation',
        by: input.by ?? 'customer',
        at: input.at,
        cancellationCutoffMinutes: input.cancellationCutoffMinutes,
        ...(input.reason ? { reason: input.reason } : {}),
      };
    case 'reminder':
      return { type: 'MarkReminderDue' };
    case 'complete':
      return { type: 'CompleteReservation' };
    case 'seat':
      return { type: 'SeatReservation', at: askedAt(input, outcome), seatEarlyMinutes: input.seatEarlyMinutes ?? DEFAULT_SEAT_EARLY_MINUTES };
    case 'no-show':
      return { type: 'MarkNoShow', at: askedAt(input, outcome), noShowGraceMinutes: input.noShowGraceMinutes ?? DEFAULT_NO_SHOW_GRACE_MINUTES };
    case 'complete-early':
      return { type: 'CompleteReservationEarly', at: askedAt(input, outcome) };
  }
}

/** Why each outcome that ends a reservation unused (or early) gives its table back: the ledger's reason. */
export const RELEASE_REASON = {
  reject: 'reject',
  expire: 'expire',
  cancel: 'cancel',
  'no-show': 'no-show',
  'complete-early': 'completed-early',
} as const satisfies Partial<Record<Outcome, string>>;

/** Whether the outcome gives the table back (what the waitlist is told of). */
export const releasesTable = (outcome: Outcome): outcome is keyof typeof RELEASE_REASON => Object.hasOwn(RELEASE_REASON, outcome);

/**
 * What the table ledger does after an outcome: confirm on acceptance, release when the reservation ends
 * unused (a no-show frees the rest of its turn) or early. A turn that runs to its end keeps its booking.
 */
export function ledgerStepAfter(outcome: Outcome, reservationId: string): LedgerCommand | undefined {
  if (outcome === 'accept') return { type: 'ConfirmTable', reservationId };
  if (releasesTable(outcome)) return { type: 'ReleaseTable', reservationId, reason: RELEASE_REASON[outcome] };
  return undefined;
}

/** The customer's cancellation cutoff a placement was made under, in minutes (the inverse of `placementOf`). */
export const cutoffMinutesOf = (p: Pick<Placement, 'startInMs' | 'customerCutoffInMs'>): number => (p.startInMs - p.customerCutoffInMs) / 60_000;

/** The instant the placement was made, on the clock it was made by (epoch ms): its deadlines count from here. */
export const placedAtOf = (p: Pick<Placement, 'start' | 'startInMs'>): number => Date.parse(p.start) - p.startInMs;
