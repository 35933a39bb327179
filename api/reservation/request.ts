/**
 * POST /reservations: a request drives one Temporal workflow per reservation by Update-with-Start, and is
 * answered within its deadline: 201/200 placed, 202 under way (poll the Location), 503 + Retry-After when
 * it provably never started. The start rules are checked here first only to answer fast, with the nearest
 * alternatives; the workflow's activity decides again on its own clock.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WithStartWorkflowOperation, WorkflowFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { HttpProblem, RETRY_AFTER_SECONDS, conflict, notFound } from '../problem';
import { bearerSecurity, requireCaller } from '../context';
import { deterministicEventId } from '../../eventstore/envelope';
import { DomainError, isDomainError, type DomainErrorCode } from '../../domain/errors';
import { nearestFreeStarts } from '../../domain/reservation/ledger';
import { nameInitials, reservationStartMetadata } from '../../domain/reservation/labels';
import { sameBooking, type Booking } from '../../domain/reservation/rules';
import type { RestaurantReplica } from '../../domain/reservation/restaurant';
import { bookableStarts, checkBookable } from '../../domain/time/slots';
import { addDays, formatInZone, localDateOf, parseStart } from '../../domain/time/zoned-time';
import { reservationWorkflow } from '../../workflows/reservation';
import { FAILURE, SA, requestUpdate, reservationWorkflowId, type ReservationRequest, type ReservationWorkflowState } from '../../workflows/messages';
import { CONSISTENCY_HEADER, nextToken } from './consistency';
import type { RouteContext } from './context';
import { TRANSIENT, applicationFailureIn, refusalProblem, sendUnavailable, workflowProblem } from './failures';
import { createBodySchema, createResponses, idempotencyHeaders, type CreateBody } from './schemas';
import { LOOKUP_MS, withinDeadline } from './temporal-calls';

/** Refusals of a start time that come with the nearest starts the diner could take instead. */
const START_RULES: ReadonlySet<string> = new Set(['CLOSED_THAT_DAY', 'BETWEEN_SERVICES', 'TURN_PAST_CLOSING', 'OFF_SLOT_GRID', 'IN_THE_PAST', 'TOO_EARLY', 'TOO_LATE']);

/** What an Idempotency-Key's earlier request was, to compare a repeated one with. */
interface KeyedRequest extends Booking {
  requestHash: string;
}

/** The refusal of a reservation that has ended (rules.ts `finalRefusal`). */
const isFinalRefusal = (code: string): boolean => code === ('ALREADY_FINAL' satisfies DomainErrorCode);

export function requestRoute(ctx: RouteContext) {
  const { deps, now } = ctx;

  /**
   * A start refused by a rule, with `alternatives`: the nearest starts the restaurant offers around it
   * (its local day and the days either side) that have a table free for the party, like a 409 NO_TABLE.
   */
  async function withAlternatives(err: unknown, restaurant: RestaurantReplica, start: Date, partySize: number): Promise<unknown> {
    if (!isDomainError(err) || !START_RULES.has(err.code)) return err;
    const own = localDateOf(start, restaurant.timezone);
    const dates = [addDays(own, -1), own, addDays(own, 1)];
    const [ledgers, candidates] = [
      await Promise.all(dates.map((d) => deps.queries.ledger(restaurant.restaurantId, d))),
      dates.flatMap((date) => bookableStarts({ restaurant, date, now: now(), partySize })),
    ];
    const alternatives = nearestFreeStarts(ledgers, candidates, { start, partySize, turnMinutes: restaurant.policy.turnMinutes, tables: restaurant.tables }).map((s) =>
      formatInZone(s, restaurant.timezone),
    );
    return new DomainError(err.code, err.message, { ...(err.details ?? {}), alternatives });
  }

  /**
   * The answer to a request whose Idempotency-Key names a reservation that already exists, from what was
   * stored (never a new placement): 200 with the reservation as it stands now, the same refusal again, or
   * 409 when the key was used for a different body.
   */
  async function storedOutcome(reply: FastifyReply, reservationId: string, request: KeyedRequest) {
    const handle = deps.temporal.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(reservationId));
    const closed = await withinDeadline(deps.temporal, LOOKUP_MS, () => handle.result());
    const run: ReservationWorkflowState | undefined = 'value' in closed ? closed.value : undefined;
    const reused = () => conflict('This Idempotency-Key was already used for a different request body.', { code: FAILURE.keyReused });
    if (run?.requestHash !== undefined && run.requestHash !== request.requestHash) throw reused();
    // (a run started after an earlier one failed refuses a final reservation: that answer is the stream's)
    if (run?.status === 'not-placed' && run.refusal && !isFinalRefusal(run.refusal.code)) {
      throw refusalProblem(run.refusal.code, run.refusal.message, run.refusal.details) ?? new HttpProblem(422, run.refusal.message, { code: run.refusal.code });
    }
    // from the stream, not the read model: the answer must reflect the latest recorded status
    const view = await ctx.findReservation(reservationId);
    if (!view) throw 'error' in closed && !(closed.error instanceof WorkflowFailedError) ? closed.error : notFound(`Reservation ${reservationId} does not exist.`);
    // a run that failed, or one from before the hash was kept, has no hash: the stored request itself must match
    if (run?.requestHash === undefined && !sameBooking(view, request)) {
      throw reused();
    }
    return reply
      .status(200)
      .header('location', `/reservations/${reservationId}`)
      .header(CONSISTENCY_HEADER, nextToken(reservationId, reply.request.headers[CONSISTENCY_HEADER]))
      .send({ reservationId, status: view.status, tableId: view.tableId, start: view.start, end: view.end });
  }

  return (app: FastifyInstance) => {
    app.post<{ Body: CreateBody; Headers: { 'idempotency-key'?: string } }>(
      '/reservations',
      {
        schema: {
          summary: 'Request a reservation (pending, or accepted at once when the restaurant auto-accepts)',
          tags: ['reservations'],
          security: bearerSecurity,
          headers: idempotencyHeaders,
          body: createBodySchema,
          response: createResponses,
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const body = request.body;
        const restaurant = await ctx.restaurantOr404(body.restaurantId);
        const parsed = parseStart(body.start, restaurant.timezone);
        if (isDomainError(parsed)) throw parsed;
        // fail fast on the rules; the workflow's activity checks them again against its own clock
        try {
          checkBookable({ restaurant, start: parsed.instant, partySize: body.partySize, now: now() });
        } catch (err) {
          throw await withAlternatives(err, restaurant, parsed.instant, body.partySize);
        }

        const key = request.headers['idempotency-key'];
        const requestHash = createHash('sha256')
          .update(JSON.stringify([caller.userId, body.restaurantId, body.partySize, parsed.instant.toISOString(), body.name ?? '', body.phone ?? '', body.notes ?? '']))
          .digest('hex');
        const reservationId = key ? deterministicEventId(`idempotency:${caller.userId}:${key}`) : randomUUID();
        const input: ReservationRequest = {
          reservationId,
          restaurantId: body.restaurantId,
          customerId: caller.userId,
          partySize: body.partySize,
          start: parsed.instant.toISOString(),
          // the diner's own name unless they booked under another: the owner's list always names someone
          ...(body.name || caller.name ? { name: body.name || caller.name } : {}),
          ...(body.phone ? { phone: body.phone } : {}),
          ...(body.notes ? { notes: body.notes } : {}),
          requestHash,
          ...(key ? {} : { newId: true }),
          restaurantVersion: restaurant.version,
          // a run that starts only after this API has answered withdraws itself (see the 503 below)
          answerBy: new Date(Date.now() + ctx.budget(reply.elapsedTime)).toISOString(),
        };
        const startOp = new WithStartWorkflowOperation(reservationWorkflow, {
          workflowId: reservationWorkflowId(reservationId),
          taskQueue: deps.taskQueue,
          args: [input],
          // a retry while the run is open joins it; after it closed, a completed run answers from what it
          // stored (below) and only a failed one (withdrawn, dependencies down) may be run again
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [
            { key: SA.restaurantId, value: body.restaurantId },
            { key: SA.customerId, value: caller.userId },
            { key: SA.start, value: parsed.instant },
            { key: SA.partySize, value: body.partySize },
            // 'pending' only once a table is held: the Web UI's pending list never shows requests in flight
            { key: SA.status, value: 'placing' },
          ],
          memo: { restaurantName: restaurant.name },
          // the Temporal Web UI's detail page shows these (Summary & Details) for the run instead of its bare id
          ...reservationStartMetadata({
            reservationId,
            restaurantId: body.restaurantId,
            restaurantName: restaurant.name,
            timezone: restaurant.timezone,
            partySize: body.partySize,
            start: parsed.instant,
            // initials only: the static details stay in Temporal, an operator's tool, with the run
            guestInitials: nameInitials(input.name),
            acceptance: restaurant.policy.acceptance,
          }),
        });
        // the SDK resolves this once the server has answered the start: then the run exists for sure
        let seenStart = false;
        startOp.workflowHandle().then(
          () => (seenStart = true),
          () => undefined,
        );
        const outcome = await withinDeadline(deps.temporal, Math.max(0, Date.parse(input.answerBy!) - Date.now()), () =>
          deps.temporal.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash }], startWorkflowOperation: startOp }),
        );
        if ('value' in outcome) {
          const placed = outcome.value;
          return reply
            .status(placed.created ? 201 : 200)
            .header('location', `/reservations/${reservationId}`)
            .header(CONSISTENCY_HEADER, nextToken(reservationId, request.headers[CONSISTENCY_HEADER]))
            .send({ reservationId, status: placed.status, tableId: placed.tableId, start: placed.start, end: placed.end });
        }
        const stored = { requestHash, customerId: caller.userId, partySize: body.partySize, start: input.start };
        const { error } = outcome;
        if (error instanceof WorkflowExecutionAlreadyStartedError) return storedOutcome(reply, reservationId, stored);
        const failure = applicationFailureIn(error);
        if (failure?.type) {
          // a key naming a reservation that has ended (its run is gone): the stored reservation answers
          if (isFinalRefusal(failure.type) && key) return storedOutcome(reply, reservationId, stored);
          if (TRANSIENT.has(failure.type)) return sendUnavailable(reply, request, failure.message, { code: failure.type });
          throw workflowProblem(error);
        }
        // No answer in time (no worker polling, Temporal slow or down) or a transport failure: whether the
        // run exists decides what is true. Started → it goes on: 202 and where to look. Not started → it
        // never will (a start landing after `answerBy` withdraws itself): 503, nothing was booked.
        // (Not covered: the start landed before `answerBy`, its answer was lost, and the describe fails too.)
        const started =
          seenStart || 'value' in (await withinDeadline(deps.temporal, LOOKUP_MS, () => deps.temporal.workflow.getHandle(reservationWorkflowId(reservationId)).describe()));
        if (started) {
          return reply
            .status(202)
            .header('location', `/reservations/${reservationId}`)
            .header('retry-after', String(RETRY_AFTER_SECONDS))
            .header(CONSISTENCY_HEADER, nextToken(reservationId, request.headers[CONSISTENCY_HEADER]))
            .send({ reservationId, status: 'placing' });
        }
        request.log.warn({ err: error, reservationId }, 'reservation request not started within its deadline');
        return sendUnavailable(reply, request, 'The reservation service is busy or unavailable; nothing was booked. Please try again shortly.', {
          code: 'UNAVAILABLE',
        });
      },
    );
  };
}
