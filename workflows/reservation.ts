/**
 * One workflow per reservation (id `reservation-<reservationId>`). It only orchestrates: every state
 * change is an event appended by an idempotent activity; the rules live in the deciders the activities
 * run. Started by Update-with-Start, so the API learns the placement (table held, pending or accepted) in
 * one round trip.
 *
 *   placing ─▶ pending ─(accept)─▶ accepted ─(reminder timer)─▶ … ─(end of turn)─▶ completed
 *                 │  ├─(reject)─▶ rejected
 *                 │  └─(decision timeout)─▶ expired
 *                 └──────────(cancel, before the start)─▶ cancelled
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  FAILURE,
  SA,
  acceptUpdate,
  cancelUpdate,
  rejectUpdate,
  requestUpdate,
  stateQuery,
  type DecisionInput,
  type Placement,
  type ReservationActivities,
  type ReservationRequest,
  type ReservationStatus,
  type ReservationWorkflowState,
  type StatusResult,
} from './messages';

const activities = proxyActivities<ReservationActivities>({
  // short activities: a task lost with a crashed worker is retried elsewhere after this long
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 20 },
});

export async function reservationWorkflow(request: ReservationRequest): Promise<ReservationWorkflowState> {
  const state: ReservationWorkflowState = { reservationId: request.reservationId, status: 'placing', history: [] };
  let placedAt = 0;
  let placementFailure: ApplicationFailure | undefined;
  let requests = 0;
  // Update handlers run activities; one at a time, so a decision and the expiry timer never interleave.
  let busy = false;

  const status = (): ReservationWorkflowState['status'] => state.status;
  const elapsed = () => Date.now() - placedAt;

  const setStatus = (next: ReservationStatus, type: string, at: string) => {
    state.status = next;
    state.history.push({ type, at });
    upsertSearchAttributes([{ key: SA.status, value: next }]);
  };

  /** Runs one outcome under the lock; re-checks the rule after waiting, since the state may have moved on. */
  const decide = async (
    outcome: 'accept' | 'reject' | 'cancel',
    input: DecisionInput,
    allowed: () => void,
    next: ReservationStatus,
    type: string,
  ): Promise<StatusResult> => {
    await condition(() => !busy);
    allowed();
    busy = true;
    try {
      const r = await activities.recordOutcome({ reservationId: request.reservationId, outcome, actor: input.actor, reason: input.reason });
      setStatus(next, type, r.at);
      return { reservationId: request.reservationId, status: state.status as ReservationStatus };
    } finally {
      busy = false;
    }
  };

  const mustBePending = () => {
    if (state.status !== 'pending') {
      throw ApplicationFailure.create({ type: FAILURE.notPending, message: `The reservation is ${state.status}, not pending.`, nonRetryable: true });
    }
  };
  const mustBeOwner = (input: DecisionInput) => {
    if (input.actor.role !== 'owner') {
      throw ApplicationFailure.create({ type: FAILURE.forbidden, message: 'Only the restaurant owner may do this.', nonRetryable: true });
    }
  };
  const mayCancel = (input: DecisionInput) => () => {
    if (state.status !== 'pending' && state.status !== 'accepted') {
      throw ApplicationFailure.create({ type: FAILURE.alreadyFinal, message: `The reservation is already ${state.status}.`, nonRetryable: true });
    }
    const p = state.placement!;
    if (elapsed() >= p.startInMs) {
      throw ApplicationFailure.create({ type: FAILURE.alreadyFinal, message: 'The reservation has already started.', nonRetryable: true });
    }
    if (input.actor.role === 'customer' && elapsed() > p.customerCutoffInMs) {
      throw ApplicationFailure.create({
        type: FAILURE.pastCutoff,
        message: 'It is too late to cancel online: the cancellation cutoff has passed. Please call the restaurant.',
        nonRetryable: true,
      });
    }
  };

  setHandler(stateQuery, () => state);

  setHandler(
    requestUpdate,
    async () => {
      const created = requests++ === 0;
      await condition(() => state.placement !== undefined || placementFailure !== undefined);
      if (placementFailure) throw placementFailure;
      return { ...state.placement!, reservationId: request.reservationId, created };
    },
    {
      validator: ({ requestHash }) => {
        if (requestHash !== request.requestHash) {
          throw ApplicationFailure.create({
            type: FAILURE.keyReused,
            message: 'This Idempotency-Key was already used for a different request body.',
            nonRetryable: true,
          });
        }
      },
    },
  );

  const ownerAndPending = (input: DecisionInput) => {
    mustBeOwner(input);
    mustBePending();
  };
  setHandler(acceptUpdate, (input) => decide('accept', input, mustBePending, 'accepted', 'ReservationAccepted'), { validator: ownerAndPending });
  setHandler(rejectUpdate, (input) => decide('reject', input, mustBePending, 'rejected', 'ReservationRejected'), { validator: ownerAndPending });
  setHandler(cancelUpdate, (input) => decide('cancel', input, mayCancel(input), 'cancelled', 'ReservationCancelled'), {
    validator: (input) => mayCancel(input)(),
  });

  /** The request's end when it was not placed: the waiting request update gets `failure`. */
  const notPlaced = async (failure: ApplicationFailure) => {
    placementFailure = failure;
    state.status = 'not-placed';
    await condition(allHandlersFinished);
    return state;
  };

  // ---- placement: validate against the replica, hold a table, append requested (+ accepted when auto)
  let placement: Placement;
  try {
    const placed = await activities.placeReservation(request);
    if ('refused' in placed) {
      const { code, message, details } = placed.refused;
      return await notPlaced(ApplicationFailure.create({ type: code, message, details: [details], nonRetryable: true }));
    }
    placement = placed;
  } catch {
    // placement failed for good after its retries, possibly after holding a table: give it back
    await activities.releaseTable({ reservationId: request.reservationId, restaurantId: request.restaurantId, start: request.start, reason: 'placement-failed' });
    return await notPlaced(ApplicationFailure.create({ message: 'The reservation could not be placed; please try again.', nonRetryable: true }));
  }
  placedAt = Date.now();
  state.placement = placement;
  const placedIso = new Date(placedAt).toISOString();
  state.history.push({ type: 'ReservationRequested', at: placedIso });
  if (placement.status === 'accepted') state.history.push({ type: 'ReservationAccepted', at: placedIso });
  state.status = placement.status;
  upsertSearchAttributes([{ key: SA.status, value: placement.status }]);

  const waitWhile = (s: ReservationStatus, untilMs: number) => condition(() => state.status !== s && !busy, Math.max(untilMs - elapsed(), 0));

  try {
    // ---- manual acceptance: the owner decides before the deadline, or the request expires
    if (status() === 'pending') {
      const moved = await waitWhile('pending', placement.decisionTimeoutMs);
      if (!moved) {
        await condition(() => !busy);
        if (status() === 'pending') {
          busy = true;
          try {
            const r = await activities.recordOutcome({ reservationId: request.reservationId, outcome: 'expire' });
            setStatus('expired', 'ReservationExpired', r.at);
          } finally {
            busy = false;
          }
        }
      }
    }

    // ---- accepted: a reminder before the start, then completion at the end of the turn
    if (status() === 'accepted' && placement.reminderInMs <= placement.startInMs) {
      const moved = await waitWhile('accepted', placement.reminderInMs);
      // the timer may fire while a cancel is being recorded: let it finish, then look again
      if (!moved) await condition(() => !busy);
      if (!moved && status() === 'accepted') {
        busy = true;
        try {
          await activities.recordOutcome({ reservationId: request.reservationId, outcome: 'reminder' });
          state.history.push({ type: 'ReminderDue', at: new Date().toISOString() });
        } finally {
          busy = false;
        }
      }
    }
    if (status() === 'accepted') {
      const moved = await waitWhile('accepted', placement.endInMs);
      if (!moved) await condition(() => !busy);
      if (!moved && status() === 'accepted') {
        const r = await activities.recordOutcome({ reservationId: request.reservationId, outcome: 'complete' });
        setStatus('completed', 'ReservationCompleted', r.at);
      }
    }
  } catch (err) {
    // a later step failed for good: give the table back so it is not held forever, then fail visibly
    log.error('reservation step failed; releasing its table', { workflowId: workflowInfo().workflowId, error: String(err) });
    await activities.releaseTable({ reservationId: request.reservationId, restaurantId: request.restaurantId, start: request.start, reason: 'compensation' });
    throw err;
  }

  await condition(allHandlersFinished);
  return state;
}
