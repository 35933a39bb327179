/**
 * Everything the API (client) and the reservation workflow share: the workflow id scheme,
 * input/output types, typed update and query definitions and the search attribute keys. Importing this
 * file pulls in no Node builtins, so both sides can use it.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { Outcome } from '../domain/reservation/outcomes';
import type { Placement } from '../domain/reservation/placement';
import type { ReservationStatus } from '../domain/reservation/reservation';
import stack from '../platform/local-stack.json';

export const reservationWorkflowId = (reservationId: string): string => `reservation-${reservationId}`;

export type { Outcome, Placement, ReservationStatus };

export interface ReservationRequest {
  reservationId: string;
  restaurantId: string;
  customerId: string;
  partySize: number;
  /** ISO 8601 instant. */
  start: string;
  name?: string;
  phone?: string;
  notes?: string;
  /** Hash of the request body under an Idempotency-Key: a reused key with another body is refused. */
  requestHash: string;
  /**
   * The reservation id was made up for this request (no Idempotency-Key), so nothing of it is stored yet
   * and a first placement attempt need not look. Absent: look first (a key may name an older reservation).
   */
  newId?: boolean;
  /**
   * ISO instant at which the API stops waiting and answers. A run that starts after it (its start landed
   * only after the API had answered 503) withdraws itself without placing anything, so a client told
   * "not placed" never finds a reservation later. Absent on runs started before this existed.
   */
  answerBy?: string;
  /**
   * The version of the restaurant's replica the API checked the rules on: placement decides on a replica
   * at least that new (a cached copy when it has one). Absent: the worker's usual short cache.
   */
  restaurantVersion?: number;
  /**
   * The table is already held on the ledger under this reservation id, by a waitlist offer the diner
   * accepted (workflows/waitlist.ts): placement takes that hold. The booking window (advance notice, slot
   * grid) was checked when the diner joined; an offer may come later than the notice a fresh booking needs.
   */
  heldByOffer?: boolean;
}

/** A run whose placement cannot begin within this long after `answerBy` withdraws (the diner has moved on). */
export const PLACEMENT_WINDOW_MS = 5 * 60_000;

/** A rule said no (no free table, too late, unknown restaurant…): an answer, not a failure. */
export interface Refusal {
  refused: { code: string; message: string; details: Record<string, unknown> };
}

export interface PlacementResult extends Placement {
  reservationId: string;
  /** False when this call found an existing reservation (same Idempotency-Key and body). */
  created: boolean;
}

export interface Actor {
  userId: string;
  role: 'customer' | 'owner';
}

export interface DecisionInput {
  actor: Actor;
  reason?: string;
}

export interface StatusResult {
  reservationId: string;
  status: ReservationStatus;
}

/**
 * A run's status while nothing is recorded of its request, or when nothing ever will be: 'placing' until
 * placement answers, 'not-placed' when it was refused or withdrawn. After that, the recorded status.
 */
export const UNPLACED_STATUSES = ['placing', 'not-placed'] as const;
export type UnplacedStatus = (typeof UNPLACED_STATUSES)[number];

export interface ReservationWorkflowState {
  reservationId: string;
  status: ReservationStatus | UnplacedStatus;
  placement?: Placement;
  history: Array<{ type: string; at: string }>;
  /** The request's body hash, so a reused Idempotency-Key can be checked after the run has closed. */
  requestHash?: string;
  /** Why it was not placed (status 'not-placed'): the rule's code, message and details. */
  refusal?: Refusal['refused'];
  /** Steps that failed for good and were left for an operator (e.g. a reminder that could not be sent). */
  alerts?: string[];
}

/** Update-with-Start's first step; also the idempotent re-request of the same reservation. */
export const requestUpdate = defineUpdate<PlacementResult, [{ requestHash: string }]>('request');
export const acceptUpdate = defineUpdate<StatusResult, [DecisionInput]>('accept');
export const rejectUpdate = defineUpdate<StatusResult, [DecisionInput]>('reject');
export const cancelUpdate = defineUpdate<StatusResult, [DecisionInput]>('cancel');
/** The floor (owner only): the party is seated, did not come, or leaves before the end of its turn. */
export const seatUpdate = defineUpdate<StatusResult, [DecisionInput]>('seat');
export const noShowUpdate = defineUpdate<StatusResult, [DecisionInput]>('noShow');
export const completeEarlyUpdate = defineUpdate<StatusResult, [DecisionInput]>('completeEarly');
export const stateQuery = defineQuery<ReservationWorkflowState>('state');

/** Search attribute types as platform/local-stack.json spells them (the CLI's names), and as the SDK does. */
export const SA_TYPES = { Keyword: 'KEYWORD', Datetime: 'DATETIME', Int: 'INT' } as const;
type Declared = keyof typeof stack.searchAttributes;

/**
 * A search attribute declared in platform/local-stack.json (the one declaration: the stack, the compose
 * check and the test server read it too), with the type this code uses it as; a mismatch fails at load.
 */
function declared<T extends keyof typeof SA_TYPES>(name: Declared, type: T) {
  if (stack.searchAttributes[name] !== type) throw new Error(`search attribute ${name} is declared as ${stack.searchAttributes[name]}, used as ${type}`);
  return defineSearchAttributeKey(name, SA_TYPES[type]);
}

export const SA = {
  restaurantId: declared('RestaurantId', 'Keyword'),
  customerId: declared('CustomerId', 'Keyword'),
  status: declared('ReservationStatus', 'Keyword'),
  start: declared('ReservationStart', 'Datetime'),
  partySize: declared('PartySize', 'Int'),
} as const;

/**
 * The failure types the workflow raises of its own; the API maps them to HTTP statuses. A rule's refusal
 * carries its domain code instead (domain/errors.ts), and the API maps that by the code's kind.
 */
export const FAILURE = {
  keyReused: 'IDEMPOTENCY_KEY_REUSED',
  /** The run withdrew its request without placing it (see `answerBy`). */
  withdrawn: 'REQUEST_WITHDRAWN',
  /** Placement failed for good because its dependencies stayed down. */
  placementFailed: 'PLACEMENT_FAILED',
} as const;

/** The activities the workflow calls (implemented in activities/reservation.ts). */
export interface ReservationActivities {
  placeReservation(request: ReservationRequest): Promise<Placement | Refusal>;
  recordOutcome(input: {
    reservationId: string;
    outcome: Outcome;
    actor?: Actor;
    reason?: string;
    /**
     * Cancel and the floor's steps: when the workflow accepted the request (ISO, on the placement's clock)
     * and the policy the reservation was placed under (the cancellation cutoff, the seating allowance, the
     * no-show grace), so the decider decides as the workflow's validator did, on every retry.
     */
    at?: string;
    cancellationCutoffMinutes?: number;
    seatEarlyMinutes?: number;
    noShowGraceMinutes?: number;
  }): Promise<{ status: ReservationStatus; at: string }>;
  /**
   * Compensation: gives back the reservation's table unless its recorded status says it rightly holds it
   * (pending or accepted: releasing it then would let the table be booked twice). A no-op when none is held.
   * Returns what was done and the recorded status ('none' when nothing was recorded).
   */
  releaseTable(input: { reservationId: string; restaurantId: string; start: string; reason: string }): Promise<{ released: boolean; status: string }>;
}
