/**
 * POST /reservations/:id/{accept,reject,cancel} and the floor's {seated,no-show,complete}: each is an update
 * of the reservation's workflow, whose validators ask the domain's rules (domain/reservation/rules.ts: owner
 * only, pending only, the cancellation cutoff; floor.ts: each floor step in its window) on the workflow's
 * own state and clock; a refusal comes back as its domain code. Answered within the
 * deadline: 200 decided, 202 when the server has the update but it is not applied yet, 503 when it was
 * provably not delivered (a retry with the same Idempotency-Key is then safe).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError } from '@temporalio/common';
import { RETRY_AFTER_SECONDS } from '../problem';
import { bearerSecurity, requireCaller } from '../context';
import { deterministicEventId } from '../../eventstore/envelope';
import { finalRefusal, ownerRefusal } from '../../domain/reservation/rules';
import { acceptUpdate, cancelUpdate, completeEarlyUpdate, noShowUpdate, rejectUpdate, reservationWorkflowId, seatUpdate } from '../../workflows/messages';
import { CONSISTENCY_HEADER, nextToken } from './consistency';
import type { RouteContext } from './context';
import { applicationFailureIn, sendUnavailable, workflowProblem } from './failures';
import { errors, idParams, idempotencyHeaders, statusResultSchema } from './schemas';
import { LOOKUP_MS, UPDATE_STAGE_ADMITTED, withinDeadline } from './temporal-calls';

type Decision = 'accept' | 'reject' | 'cancel' | 'seated' | 'no-show' | 'complete';

const UPDATES = {
  accept: acceptUpdate,
  reject: rejectUpdate,
  cancel: cancelUpdate,
  seated: seatUpdate,
  'no-show': noShowUpdate,
  complete: completeEarlyUpdate,
} as const;

const SUMMARIES: Record<Decision, string> = {
  accept: 'Accept a pending reservation (owner only)',
  reject: 'Reject a pending reservation (owner only)',
  cancel: 'Cancel (the customer before the cutoff, the owner any time before the start)',
  seated: "Seat the party (owner only; from the policy's seatEarlyMinutes before the start until the end of the turn)",
  'no-show': "Mark the party a no-show (owner only; after the start plus the policy's noShowGraceMinutes): the table is free for the rest of the turn",
  complete: 'End a seated party’s turn early (owner only): the table is free again',
};

/** The floor's steps take no body (an empty object will do); a rejection needs a reason, the others may give one. */
const FLOOR: ReadonlySet<Decision> = new Set<Decision>(['seated', 'no-show', 'complete']);
const bodySchema = (name: Decision) =>
  FLOOR.has(name)
    ? { type: 'object', properties: {}, additionalProperties: false }
    : {
        type: 'object',
        properties: { reason: { type: 'string', minLength: name === 'reject' ? 1 : 0, maxLength: 500 } },
        ...(name === 'reject' ? { required: ['reason'] } : {}),
        additionalProperties: false,
      };

export function decisionRoutes(ctx: RouteContext) {
  const { deps } = ctx;

  const decision = (app: FastifyInstance, name: Decision) => {
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined; Headers: { 'idempotency-key'?: string } }>(
      `/reservations/:id/${name}`,
      {
        schema: {
          summary: SUMMARIES[name],
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          headers: idempotencyHeaders,
          body: bodySchema(name),
          response: { 200: statusResultSchema, 202: statusResultSchema, ...errors(400, 401, 403, 404, 409, 422, 503) },
        },
        // nothing in the body is required (all but reject): a POST without one is the same as `{}`
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const { id } = request.params;
        const { actor, reservation } = await ctx.roleOf(caller, id);
        // the domain's rule, asked here first to refuse without a Temporal call (the workflow's validator asks it too)
        const refused = name === 'cancel' ? undefined : ownerRefusal(actor.role);
        if (refused) throw refused;
        const handle = deps.temporal.workflow.getHandle(reservationWorkflowId(id));
        const reason = request.body?.reason;
        const key = request.headers['idempotency-key'];
        // with a key, a retried decision joins the first one (same update id) instead of being decided
        // twice; without one, a repeated decision is a new request (409 when it no longer applies)
        const updateId = key ? deterministicEventId(`decision:${caller.userId}:${id}:${name}:${key}`) : randomUUID();
        const outcome = await withinDeadline(deps.temporal, ctx.budget(reply.elapsedTime), () =>
          handle.executeUpdate(UPDATES[name], { args: [{ actor, ...(reason ? { reason } : {}) }], updateId }),
        );
        const token = nextToken(id, request.headers[CONSISTENCY_HEADER]);
        if ('value' in outcome) return reply.header(CONSISTENCY_HEADER, token).send(outcome.value);
        const { error } = outcome;
        // the run has ended: the reservation is final (its status is the recorded one)
        if (error instanceof WorkflowNotFoundError) {
          throw finalRefusal(reservation.status);
        }
        if (applicationFailureIn(error)) throw workflowProblem(error);
        // No answer in time. Only the server can say whether the decision reached it: if it knows the
        // update, the decision will be applied when the workflow's worker gets to it ("failed" would be
        // untrue): 202, look at the reservation. If it does not know it (or cannot be asked), nothing was
        // done: 503, and a retry with the same Idempotency-Key is safe.
        request.log.warn({ err: error, reservationId: id }, `${name} not decided within its deadline`);
        const known = await withinDeadline(deps.temporal, LOOKUP_MS, () =>
          deps.temporal.workflowService.pollWorkflowExecutionUpdate({
            namespace: ctx.namespace,
            updateRef: { workflowExecution: { workflowId: reservationWorkflowId(id) }, updateId },
            waitPolicy: { lifecycleStage: UPDATE_STAGE_ADMITTED },
          }),
        );
        if (!('value' in known)) {
          return sendUnavailable(reply, request, `The ${name} request could not be delivered; nothing was changed. Retry (with the same Idempotency-Key, to be safe).`, {
            code: 'UNAVAILABLE',
          });
        }
        return reply
          .status(202)
          .header('location', `/reservations/${id}`)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .header(CONSISTENCY_HEADER, token)
          .send({ reservationId: id, status: reservation.status, detail: `The ${name} request is being processed; GET the reservation for its outcome.` });
      },
    );
  };

  return (app: FastifyInstance) => {
    decision(app, 'accept');
    decision(app, 'reject');
    decision(app, 'cancel');
    decision(app, 'seated');
    decision(app, 'no-show');
    decision(app, 'complete');
  };
}
