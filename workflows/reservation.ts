/**
 * One workflow per reservation (id `reservation-<reservationId>`). It only orchestrates: timers and the
 * order of steps. Every state change is an event appended by an idempotent activity; the rules live in
 * domain/reservation/ (the deciders the activities run, and the same predicates in rules.ts that the
 * update validators ask). Started by Update-with-Start, so the API learns the placement (table held, pending or accepted) in
 * one round trip.
 *
 *   placing ─▶ pending ─(accept)─▶ accepted ─(reminder timer)─▶ … ─(end of turn)─▶ completed
 *                 │  ├─(reject)─▶ rejected        ├─(seat)─▶ seated ─(end of turn, or complete early)─▶ completed
 *                 │  └─(decision timeout)─▶ expired└─(no-show, after the grace)─▶ no-show
 *                 └──────────(cancel, before the start)─▶ cancelled
 *
 * An outcome that gives the table back (reject, expire, cancel, no-show, an early end) is told to the
 * restaurant's waitlist workflow of that opening day (workflows/waitlist-messages.ts), if one runs.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { refusal, refuse } from './refusals';
import { outcomeSummary, placementSummary, releaseSummary, reservationCurrentDetails, timerSummary, type TimerKind } from '../domain/reservation/labels';
import { completeEarlyRefusal, DEFAULT_NO_SHOW_GRACE_MINUTES, DEFAULT_SEAT_EARLY_MINUTES, freedByNoShow, noShowRefusal, seatRefusal } from '../domain/reservation/floor';
import { cutoffMinutesOf, OUTCOME_EVENT, placedAtOf, RELEASE_REASON, releasesTable, type Outcome } from '../domain/reservation/outcomes';
import { openingDateOfPlacement } from '../domain/reservation/placement';
import { cancellationRefusal, finalRefusal, ownerRefusal, pendingRefusal, rejectionReason, statusAfter } from '../domain/reservation/rules';
import { tableFreedSignal, waitlistWorkflowId, type TableFreedSignal } from './waitlist-messages';
import {
  FAILURE,
  PLACEMENT_WINDOW_MS,
  SA,
  acceptUpdate,
  cancelUpdate,
  completeEarlyUpdate,
  noShowUpdate,
  rejectUpdate,
  seatUpdate,
  requestUpdate,
  stateQuery,
  type DecisionInput,
  type Placement,
  type Refusal,
  type ReservationActivities,
  type ReservationRequest,
  type ReservationStatus,
  type ReservationWorkflowState,
  type StatusResult,
} from './messages';

const activities = proxyActivities<ReservationActivities>({
  // short activities: a task lost with a crashed worker is retried elsewhere after this long
  startToCloseTimeout: '10 seconds',
  // no attempt cap: a lifecycle step waits out an outage of its dependencies (the event store, the
  // replica) and goes on when they are back, instead of failing the booking after a few minutes; a rule's
  // refusal is non-retryable and fails at once (activity options are not part of replay)
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});


export async function reservationWorkflow(request: ReservationRequest): Promise<ReservationWorkflowState> {
  const state: ReservationWorkflowState = { reservationId: request.reservationId, status: 'placing', history: [], requestHash: request.requestHash };
  // Placement retries while its dependencies are down (a replica read, the event store) until shortly
  // before the start: a request the API answered 202 for is placed once they are back, not dropped.
  const placingOptions = {
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: Math.max(60_000, Date.parse(request.start) - Date.now()),
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  } as const;
  const placing = proxyActivities<ReservationActivities>(placingOptions);
  // Placement runs as a local activity: it is short, and the worker that took the first workflow task runs
  // it at once and answers the update in that same task (no activity task to dispatch, poll and complete,
  // no second workflow task). Local retries keep the workflow task open, so they get a minute; a longer
  // outage is waited out by the activity above (retried by the server, nothing added to the history per
  // attempt). Runs recorded before the patch place remotely only.
  const placingLocally = proxyLocalActivities<ReservationActivities>({ ...placingOptions, scheduleToCloseTimeout: '1 minute' });
  // Summaries (user metadata, for the Web UI) ride on the commands but are not compared on replay: runs
  // recorded without them replay unchanged (the replay test checks it), so they need no patch.
  const placeSummary = { summary: placementSummary(request.partySize) };
  const place = async (): Promise<Placement | Refusal> => {
    if (!patched('local-placement')) return await placing.placeReservation.executeWithOptions(placeSummary, [request]);
    try {
      return await placingLocally.placeReservation.executeWithOptions(placeSummary, [request]);
    } catch (err) {
      // a refusal is an answer, not a failure: what fails here is a dependency, or a non-retryable error
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) throw err;
      return await placing.placeReservation.executeWithOptions(placeSummary, [request]);
    }
  };
  let placedAt = 0;
  let placementFailure: ApplicationFailure | undefined;
  let requests = 0;
  // Steps that record an outcome (the updates' decisions and the timers' steps) run one at a time under this
  // lock, so a decision and a timer's step never interleave (as in Temporal's safe-message-handlers sample).
  const lock = new Mutex();

  const status = (): ReservationWorkflowState['status'] => state.status;
  const elapsed = () => Date.now() - placedAt;

  /**
   * The run's current details in the Web UI (status, table, the deadline that matters now), shown again
   * after every change. Not a command: it is read by the UI's metadata query, nothing goes to the history.
   */
  const showDetails = () => {
    const p = state.placement;
    const due = (ms: number | undefined) => (p && ms !== undefined ? placedAtOf(p) + ms : undefined);
    setCurrentDetails(
      reservationCurrentDetails({
        status: state.status,
        tableId: p?.tableId,
        timezone: p?.timezone,
        decisionDeadline: due(p?.decisionTimeoutMs),
        reminderAt: p && p.reminderInMs <= p.startInMs ? due(p.reminderInMs) : undefined,
        endAt: due(p?.endInMs),
        refusal: state.refusal,
        alerts: state.alerts,
      }),
    );
  };
  showDetails();

  /** Records what an outcome's activity did: the event in the history, the status it leaves, in visibility too. */
  const recorded = (outcome: Outcome, at: string) => {
    const type = OUTCOME_EVENT[outcome];
    const before = state.status;
    state.status = statusAfter(type, before);
    state.history.push({ type, at });
    if (state.status !== before) upsertSearchAttributes([{ key: SA.status, value: state.status }]);
    showDetails();
  };

  /**
   * The waitlist feed: signals sent to the restaurant's waitlist of that day after an outcome that gave the
   * table back, awaited before the run ends (a run that completed with a signal in flight would lose it).
   */
  const feeds: Array<Promise<void>> = [];
  /**
   * Tells the waitlist workflow of the reservation's opening day that its table is free (the whole turn,
   * or its rest after a no-show or an early end at `at`, on the placement's clock). No waitlist runs that
   * day: the signal fails, and nobody needed telling. Runs recorded before the feed send nothing.
   */
  const feedWaitlist = (outcome: Outcome, at?: number) => {
    const p = state.placement;
    if (!p || !releasesTable(outcome) || !patched('waitlist-feed')) return;
    const rest = at !== undefined && (outcome === 'no-show' || outcome === 'complete-early') ? freedByNoShow({ start: Date.parse(p.start), end: Date.parse(p.end), now: at }) : undefined;
    if (rest === null) return; // nothing left of the turn
    const freed: TableFreedSignal = {
      reservationId: request.reservationId,
      tableId: p.tableId,
      ...(p.tableIds ? { tableIds: p.tableIds } : {}),
      start: rest && rest.start > Date.parse(p.start) ? new Date(rest.start).toISOString() : p.start,
      end: p.end,
      reason: RELEASE_REASON[outcome],
    };
    feeds.push(
      getExternalWorkflowHandle(waitlistWorkflowId(request.restaurantId, openingDateOfPlacement(p)))
        .signal(tableFreedSignal, freed)
        .catch(() => undefined),
    );
  };

  /**
   * An instant of the workflow's (deterministic) clock on the clock the placement was made by, which the
   * placement's start and the decider are on. They are the same clock in production.
   */
  const onPlacementClock = (p: Placement, workflowTime: number): number => placedAtOf(p) + (workflowTime - placedAt);

  /**
   * Runs one decision under the lock; asks the rule again once it holds it, since the state may have moved on.
   * `extra`: what the activity needs to decide exactly as the rule was asked here.
   */
  const decide = async (
    outcome: 'accept' | 'reject' | 'cancel' | 'seat' | 'no-show' | 'complete-early',
    input: DecisionInput,
    allowed: () => void,
    extra: () => { at?: string; cancellationCutoffMinutes?: number; seatEarlyMinutes?: number; noShowGraceMinutes?: number } = () => ({}),
  ): Promise<StatusResult> => {
    // a decision that arrives while the request is still being placed (its client saw the reservation in
    // the stream a moment before the workflow did) waits for the placement instead of being refused
    await condition(() => state.status !== 'placing');
    return await lock.runExclusive(async () => {
      allowed();
      const asked = extra();
      const r = await activities.recordOutcome.executeWithOptions({ summary: outcomeSummary(outcome, input.actor.role) }, [
        { reservationId: request.reservationId, outcome, actor: input.actor, reason: input.reason, ...asked },
      ]);
      recorded(outcome, r.at);
      feedWaitlist(outcome, asked.at !== undefined ? Date.parse(asked.at) : undefined);
      return { reservationId: request.reservationId, status: state.status as ReservationStatus };
    });
  };

  // The rules are the domain's (domain/reservation/rules.ts); the workflow only asks them, on its own state
  // and clock, before an update is accepted, and again once it holds the lock.
  const mustBePending = (wanted: string) => () => {
    if (state.status !== 'placing') refuse(pendingRefusal(state.status, wanted)); // else decided after the placement (see `decide`)
  };
  /** `askedAt`: the workflow's time when the request arrived; the cancellation is decided as of then. */
  const mayCancel = (input: DecisionInput, askedAt: number) => () => {
    if (state.status === 'placing') return; // decided after the placement (see `decide`)
    const p = state.placement;
    if (!p || state.status === 'not-placed') throw refusal(finalRefusal(state.status));
    const at = onPlacementClock(p, askedAt);
    refuse(cancellationRefusal({ status: state.status, by: input.actor.role, at, start: Date.parse(p.start), cancellationCutoffMinutes: cutoffMinutesOf(p) }));
  };
  /** The cancellation as the workflow decided it, for the decider to decide the same on every retry. */
  const cancelAsked = (askedAt: number) => () => {
    const p = state.placement!;
    return { at: new Date(onPlacementClock(p, askedAt)).toISOString(), cancellationCutoffMinutes: cutoffMinutesOf(p) };
  };

  /**
   * The floor's steps (owner only), each asked of floor.ts on the placement's clock at `askedAt` under the
   * policy the reservation was placed under (floor.ts's defaults for placements made before it was recorded).
   */
  const floorRule = (step: 'seat' | 'no-show' | 'complete-early', askedAt: number) => () => {
    if (state.status === 'placing') return; // decided after the placement (see `decide`)
    const p = state.placement;
    if (!p || state.status === 'not-placed') throw refusal(finalRefusal(state.status));
    const now = onPlacementClock(p, askedAt);
    const start = Date.parse(p.start);
    const end = Date.parse(p.end);
    if (step === 'seat') refuse(seatRefusal({ status: state.status, start, end, now, seatEarlyMinutes: p.seatEarlyMinutes ?? DEFAULT_SEAT_EARLY_MINUTES }));
    else if (step === 'no-show') refuse(noShowRefusal({ status: state.status, start, now, noShowGraceMinutes: p.noShowGraceMinutes ?? DEFAULT_NO_SHOW_GRACE_MINUTES }));
    else refuse(completeEarlyRefusal({ status: state.status, end, now }));
  };
  /** The floor's step as the workflow decided it: the instant and the policy, for the decider to decide the same. */
  const floorAsked = (askedAt: number) => () => {
    const p = state.placement!;
    return {
      at: new Date(onPlacementClock(p, askedAt)).toISOString(),
      seatEarlyMinutes: p.seatEarlyMinutes ?? DEFAULT_SEAT_EARLY_MINUTES,
      noShowGraceMinutes: p.noShowGraceMinutes ?? DEFAULT_NO_SHOW_GRACE_MINUTES,
    };
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

  setHandler(acceptUpdate, (input) => decide('accept', input, mustBePending('accepted')), {
    validator: (input) => {
      refuse(ownerRefusal(input.actor.role));
      mustBePending('accepted')();
    },
  });
  setHandler(rejectUpdate, (input) => decide('reject', input, mustBePending('rejected')), {
    validator: (input) => {
      refuse(ownerRefusal(input.actor.role));
      mustBePending('rejected')();
      const reason = rejectionReason(input.reason);
      if (typeof reason !== 'string') throw refusal(reason);
    },
  });
  // the handler starts in the workflow task that accepted the update: it sees the time the validator saw
  const cancelAt = (input: DecisionInput, askedAt: number) => decide('cancel', input, mayCancel(input, askedAt), cancelAsked(askedAt));
  setHandler(cancelUpdate, (input) => cancelAt(input, Date.now()), { validator: (input) => mayCancel(input, Date.now())() });
  for (const [update, step] of [
    [seatUpdate, 'seat'],
    [noShowUpdate, 'no-show'],
    [completeEarlyUpdate, 'complete-early'],
  ] as const) {
    setHandler(update, (input) => decide(step, input, floorRule(step, Date.now()), floorAsked(Date.now())), {
      validator: (input) => {
        refuse(ownerRefusal(input.actor.role));
        floorRule(step, Date.now())();
      },
    });
  }

  /**
   * The request's end when it was not placed: the waiting request update gets the refusal, the run's
   * result keeps it (an Idempotency-Key reused after the run closed is answered from it), and Temporal
   * visibility shows `not-placed` instead of the status the run was started with.
   */
  const notPlaced = async (refused: { code: string; message: string; details: Record<string, unknown> }, opts: { transient?: boolean } = {}) => {
    placementFailure = ApplicationFailure.create({ type: refused.code, message: refused.message, details: [refused.details], nonRetryable: true });
    state.status = 'not-placed';
    state.refusal = refused;
    showDetails();
    const current = patched('not-placed-status');
    if (current) upsertSearchAttributes([{ key: SA.status, value: 'not-placed' }]);
    await condition(allHandlersFinished);
    // Not placed for a passing reason (withdrawn, dependencies down): the run FAILS, so the same
    // Idempotency-Key may start a fresh one (the API starts runs with ALLOW_DUPLICATE_FAILED_ONLY). A rule's
    // refusal completes: a retry with that key gets the same answer.
    if (opts.transient && current) throw placementFailure;
    return state;
  };

  // ---- a run that starts after the API gave up on it (it answered 503), or so late that the diner has
  //      moved on, withdraws without placing anything
  if (request.answerBy !== undefined) {
    const answerBy = Date.parse(request.answerBy);
    if (workflowInfo().startTime.getTime() > answerBy || Date.now() > answerBy + PLACEMENT_WINDOW_MS) {
      return await notPlaced({
        code: FAILURE.withdrawn,
        message: 'The request was withdrawn: it could not be placed in time. Nothing was booked; please try again.',
        details: {},
      }, { transient: true });
    }
  }

  // ---- placement: validate against the replica, hold a table, append requested (+ accepted when auto)
  let placement: Placement;
  try {
    const placed = await place();
    if ('refused' in placed) return await notPlaced(placed.refused);
    placement = placed;
  } catch {
    // placement failed for good (its dependencies were down until the start): give back a table it may
    // have held, unless the reservation was recorded and so rightly holds it (the activity checks)
    const r = await activities.releaseTable.executeWithOptions({ summary: releaseSummary('placement-failed') }, [
      { reservationId: request.reservationId, restaurantId: request.restaurantId, start: request.start, reason: 'placement-failed' },
    ]);
    if (r && !r.released && r.status !== 'none') log.error('ALERT: placement failed for good after the reservation was recorded; its table is kept', { workflowId: workflowInfo().workflowId, status: r.status });
    return await notPlaced({ code: FAILURE.placementFailed, message: 'The reservation could not be placed; please try again.', details: {} }, { transient: true });
  }
  placedAt = Date.now();
  state.placement = placement;
  const placedIso = new Date(placedAt).toISOString();
  state.history.push({ type: 'ReservationRequested', at: placedIso });
  if (placement.status === 'accepted') state.history.push({ type: OUTCOME_EVENT.accept, at: placedIso });
  state.status = placement.status;
  upsertSearchAttributes([{ key: SA.status, value: placement.status }]);
  showDetails();

  /**
   * Waits until the status leaves `s` (and no step holds the lock), or until `untilMs` after placement;
   * its timer is summarised as what falls due then, on the restaurant's clock.
   */
  const waitWhile = (s: ReservationStatus | readonly ReservationStatus[], untilMs: number, kind: TimerKind) =>
    condition(() => !([] as string[]).concat(s).includes(state.status) && !lock.isLocked(), Math.max(untilMs - elapsed(), 0), {
      summary: timerSummary(kind, placedAtOf(placement) + untilMs, placement.timezone),
    });
  /**
   * A timer's step: under the lock, and only if the status is still `s` once it holds it (the timer may
   * fire while a decision is being recorded: that one finishes first).
   */
  const timerStep = (s: ReservationStatus | readonly ReservationStatus[], outcome: Outcome) =>
    lock.runExclusive(async () => {
      if (!([] as string[]).concat(s).includes(status())) return;
      const r = await activities.recordOutcome.executeWithOptions({ summary: outcomeSummary(outcome) }, [{ reservationId: request.reservationId, outcome }]);
      recorded(outcome, r.at);
      feedWaitlist(outcome);
    });
  /** On the floor or about to be: the end of the turn completes either (a seated party keeps its table until then). */
  const untilTheEnd = ['accepted', 'seated'] as const;

  try {
    // ---- manual acceptance: the owner decides before the deadline, or the request expires
    if (status() === 'pending') {
      const moved = await waitWhile('pending', placement.decisionTimeoutMs, 'decision');
      if (!moved) await timerStep('pending', 'expire');
    }

    // ---- accepted: a reminder before the start, then completion at the end of the turn
    if (status() === 'accepted' && placement.reminderInMs <= placement.startInMs) {
      const moved = await waitWhile('accepted', placement.reminderInMs, 'reminder');
      if (!moved) {
        try {
          await timerStep('accepted', 'reminder');
        } catch (err) {
          // a reminder that cannot be recorded is not a reason to end the booking: alert an operator and
          // go on to the end of the turn with the table still taken (earlier runs failed here: keep them)
          if (!patched('reminder-failure-alerts')) throw err;
          const alert = `reminder could not be recorded: ${String(err)}`;
          (state.alerts ??= []).push(alert);
          showDetails();
          log.error(`ALERT: ${alert}`, { workflowId: workflowInfo().workflowId });
        }
      }
    }
    // (a party seated before the reminder skips it; runs recorded before seating existed never see 'seated')
    if (status() === 'accepted' || status() === 'seated') {
      const moved = await waitWhile(untilTheEnd, placement.endInMs, 'end');
      if (!moved) await timerStep(untilTheEnd, 'complete');
    }
  } catch (err) {
    // a later step failed for good: give the table back only if the recorded status says the reservation
    // no longer holds it (the activity asks the stream); a pending or accepted one keeps it. Fail visibly.
    const r = await activities.releaseTable.executeWithOptions({ summary: releaseSummary('compensation') }, [
      { reservationId: request.reservationId, restaurantId: request.restaurantId, start: request.start, reason: 'compensation' },
    ]);
    log.error(`ALERT: reservation step failed for good; table ${r && r.released ? 'released' : 'kept'}`, {
      workflowId: workflowInfo().workflowId,
      status: r?.status,
      error: String(err),
    });
    throw err;
  }

  await condition(allHandlersFinished);
  await Promise.all(feeds);
  return state;
}
