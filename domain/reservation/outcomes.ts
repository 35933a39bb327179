/**
 * The lifecycle steps the workflow records after placement ("outcomes"), each as the reservation command
 * it runs, the event it leaves and the ledger step that follows it. Imports only types and rules.ts, so
 * the workflow bundle can take it.
 */
import type { LedgerCommand } from './ledger';
import type { Placement } from './placement';
import type { ReservationCommand } from './reservation';
import type { ReservationEventType } from './rules';

export type Outcome = 'accept' | 'reject' | 'expire' | 'cancel' | 'reminder' | 'complete';

/** The event each outcome records (at most once per reservation: its id is derived from this type). */
export const OUTCOME_EVENT = {
  accept: 'ReservationAccepted',
  reject: 'ReservationRejected',
  expire: 'ReservationExpired',
  cancel: 'ReservationCancelled',
  reminder: 'ReminderDue',
  complete: 'ReservationCompleted',
} as const satisfies Record<Outcome, ReservationEventType>;

export interface OutcomeInput {
  by?: 'customer' | 'owner';
  reason?: string;
  /** Cancel: the instant the request was accepted, and the cutoff the reservation was placed under. */
  at?: Date;
  cancellationCutoffMinutes?: number;
}

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
  }
}

/** What the table ledger does after an outcome: confirm on acceptance, release when the reservation ends unused. */
export function ledgerStepAfter(outcome: Outcome, reservationId: string): LedgerCommand | undefined {
  if (outcome === 'accept') return { type: 'ConfirmTable', reservationId };
  if (outcome === 'reject' || outcome === 'expire' || outcome === 'cancel') return { type: 'ReleaseTable', reservationId, reason: outcome };
  return undefined;
}

/** The customer's cancellation cutoff a placement was made under, in minutes (the inverse of `placementOf`). */
export const cutoffMinutesOf = (p: Pick<Placement, 'startInMs' | 'customerCutoffInMs'>): number => (p.startInMs - p.customerCutoffInMs) / 60_000;

/** The instant the placement was made, on the clock it was made by (epoch ms): its deadlines count from here. */
export const placedAtOf = (p: Pick<Placement, 'start' | 'startInMs'>): number => Date.parse(p.start) - p.startInMs;
