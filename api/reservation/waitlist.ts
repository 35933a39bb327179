/**
 * The waitlist routes (issue 14). One Temporal workflow per restaurant and opening day keeps the queue
 * (workflows/waitlist-messages.ts): joining is an Update-with-Start of it, accepting an offer and
 * withdrawing are updates, and the workflow decides every rule again on its own state and clock (the
 * checks here only answer fast). Reads come from the waitlist read model, with the stream's events it has
 * not caught up with folded in (projections/waitlist.ts), so an offer, an accept or a withdrawal is seen
 * at once; only an entry's first lookup right after joining may miss it (about a second).
 *
 * Every Temporal call is bounded (./temporal-calls.ts): no answer in time is a 503 and nothing else. A join
 * or an accept cut short may still have happened: a retry with the same Idempotency-Key names the same
 * entry (or the same update) and so cannot happen twice.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { HttpProblem, notFound, RETRY_AFTER_SECONDS } from '../problem';
import { bearerSecurity, requireCaller, type Caller } from '../context';
import { deterministicEventId } from '../../eventstore/envelope';
import { DomainError, isDomainError } from '../../domain/errors';
import { openingDateFor } from '../../domain/reservation/placement';
import { isOwnerOf } from '../../domain/reservation/restaurant';
import { dinerRefusal, waitlistRefusal, type WaitlistEntry } from '../../domain/reservation/waitlist';
import { checkBookable } from '../../domain/time/slots';
import { formatInZone, parseStart } from '../../domain/time/zoned-time';
import { entryView, queueViews, type WaitlistDay, type WaitlistEntryView, type WaitlistQueries } from '../../projections/waitlist';
import { acceptOfferUpdate, joinUpdate, waitlistWorkflowId, withdrawUpdate, type JoinInput, type WaitlistWorkflowInput } from '../../workflows/waitlist-messages';
import { CONSISTENCY_HEADER, nextToken } from './consistency';
import type { RouteContext } from './context';
import { applicationFailureIn, workflowProblem } from './failures';
import { LOOKUP_MS, UPDATE_STAGE_ADMITTED, withinDeadline } from './temporal-calls';
import { isLocalDate } from './availability';
import {
  acceptResponses,
  entryParams,
  entryResponses,
  idParams,
  idempotencyHeaders,
  joinBodySchema,
  joinResponses,
  listQuery,
  listResponses,
  withdrawResponses,
  type JoinBody,
} from './waitlist-schemas';

/** The waitlist workflow by its registered name: the API never imports workflow code. */
type WaitlistWorkflow = (input: WaitlistWorkflowInput) => Promise<unknown>;
const WAITLIST_WORKFLOW_TYPE = 'waitlistWorkflow';

/** The answer when the workflow does not answer (a deadline, a transport failure): a domain code by its kind, else the error as it is. */
function failureOf(error: unknown): unknown {
  return applicationFailureIn(error) ? workflowProblem(error) : error;
}

export function waitlistRoutes(ctx: RouteContext, waitlists: WaitlistQueries) {
  const { deps, now } = ctx;

  /** The entry and the day it belongs to; 404 when no waitlist has it. */
  async function entryOr404(entryId: string): Promise<{ day: WaitlistDay; entry: WaitlistEntry; view: WaitlistEntryView }> {
    const day = await waitlists.dayOfEntry(entryId);
    const entry = day?.state.entries[entryId];
    const view = day && entryView(day, entryId);
    if (!day || !entry || !view) throw notFound(`Waitlist entry ${entryId} does not exist.`);
    return { day, entry, view };
  }

  /** Its diner or the restaurant's owner may see an entry; anyone else is refused (403), as for a reservation. */
  async function mayRead(caller: Caller, view: WaitlistEntryView): Promise<void> {
    if (view.customerId === caller.userId) return;
    if (isOwnerOf(await deps.restaurants.get(view.restaurantId), caller.userId)) return;
    throw new DomainError('FORBIDDEN', 'Only the diner who joined or the restaurant owner may see this waitlist entry.');
  }

  /** Only its diner may accept or withdraw: asked here first to refuse without a Temporal call (the workflow asks again). */
  function dinerOnly(caller: Caller, entry: WaitlistEntry): void {
    const refused = dinerRefusal(entry, caller.userId);
    if (refused) throw refused;
  }

  const handleOf = (day: WaitlistDay) => deps.temporal.workflow.getHandle<WaitlistWorkflow>(waitlistWorkflowId(day.restaurantId, day.openingDate));

  /** With a key, a retried update joins the first one (the same update id) instead of being applied twice. */
  const updateIdOf = (what: string, caller: Caller, entryId: string, key: string | undefined) =>
    key ? deterministicEventId(`waitlist-${what}:${caller.userId}:${entryId}:${key}`) : randomUUID();

  return (app: FastifyInstance) => {
    app.post<{ Params: { id: string }; Body: JoinBody; Headers: { 'idempotency-key'?: string } }>(
      '/restaurants/:id/waitlist',
      {
        schema: {
          summary: 'Join the waitlist for a start that is fully booked (a signed-in diner)',
          tags: ['waitlist'],
          security: bearerSecurity,
          params: idParams,
          headers: idempotencyHeaders,
          body: joinBodySchema,
          response: joinResponses,
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const body = request.body;
        const restaurant = await ctx.restaurantOr404(request.params.id);
        const parsed = parseStart(body.start, restaurant.timezone);
        if (isDomainError(parsed)) throw parsed;
        // the booking rules, as for a reservation (422 with the same codes); whether a table is free now
        // is the workflow's activity's to say (409 SLOT_AVAILABLE)
        checkBookable({ restaurant, start: parsed.instant, partySize: body.partySize, now: now() });
        const openingDate = openingDateFor(restaurant, parsed.instant);
        const key = request.headers['idempotency-key'];
        // the key names one entry of this day's waitlist: a retry joins nothing twice, and a different body
        // under the same key is refused by the domain (ALREADY_EXISTS)
        const entryId = key ? deterministicEventId(`waitlist:${caller.userId}:${restaurant.restaurantId}:${openingDate}:${key}`) : randomUUID();
        const input: JoinInput = {
          entryId,
          customerId: caller.userId,
          partySize: body.partySize,
          // in the restaurant's own offset, as reservations keep their start
          start: formatInZone(parsed.instant, restaurant.timezone),
          flexMinutes: body.flexMinutes ?? 0,
        };
        const startOp = new WithStartWorkflowOperation<WaitlistWorkflow>(WAITLIST_WORKFLOW_TYPE, {
          workflowId: waitlistWorkflowId(restaurant.restaurantId, openingDate),
          taskQueue: deps.taskQueue,
          args: [{ restaurantId: restaurant.restaurantId, openingDate }],
          // one run per restaurant and day: every join after the first joins that run
          workflowIdConflictPolicy: 'USE_EXISTING',
          // (its search attributes, RestaurantId, WaitlistDate and WaitlistWaiting, are the workflow's to keep)
          staticSummary: `Waitlist · ${restaurant.name} · ${openingDate}`,
        });
        // each request its own update (a retry with the same key is answered by the entry: already joined),
        // named so that a late answer can still be looked up
        const updateId = randomUUID();
        const outcome = await withinBudget(reply.elapsedTime, () =>
          deps.temporal.workflow.executeUpdateWithStart(joinUpdate, { args: [input], updateId, startWorkflowOperation: startOp }),
        );
        if (!('value' in outcome)) {
          if (await admitted(outcome.error, waitlistWorkflowId(restaurant.restaurantId, openingDate), updateId)) return underWay(reply, entryId, 'join');
          throw failureOf(outcome.error);
        }
        const joined = outcome.value;
        return reply
          .status(joined.created ? 201 : 200)
          .header('location', `/waitlist/${entryId}`)
          .send({ entryId, status: joined.status, position: joined.position });
      },
    );

    app.get<{ Params: { entryId: string } }>(
      '/waitlist/:entryId',
      {
        schema: {
          summary: 'One waitlist entry (its diner or the restaurant owner): its place in line, its offer, its reservation',
          tags: ['waitlist'],
          security: bearerSecurity,
          params: entryParams,
          response: entryResponses,
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const { view } = await entryOr404(request.params.entryId);
        await mayRead(caller, view);
        return view;
      },
    );

    app.post<{ Params: { entryId: string }; Headers: { 'idempotency-key'?: string } }>(
      '/waitlist/:entryId/accept',
      {
        schema: {
          summary: 'Accept the table offered (its diner, before the offer expires): it becomes a reservation',
          tags: ['waitlist'],
          security: bearerSecurity,
          params: entryParams,
          headers: idempotencyHeaders,
          response: acceptResponses,
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const { entryId } = request.params;
        const { day, entry } = await entryOr404(entryId);
        dinerOnly(caller, entry);
        const updateId = updateIdOf('accept', caller, entryId, request.headers['idempotency-key']);
        const outcome = await withinBudget(reply.elapsedTime, () =>
          handleOf(day).executeUpdate(acceptOfferUpdate, { args: [{ entryId, customerId: caller.userId }], updateId }),
        );
        if ('value' in outcome) {
          const { reservationId, status } = outcome.value;
          return reply
            .status(201)
            .header('location', `/reservations/${reservationId}`)
            // the diner's reservation list shows it at once (./consistency.ts)
            .header(CONSISTENCY_HEADER, nextToken(reservationId, request.headers[CONSISTENCY_HEADER]))
            .send({ reservationId, status });
        }
        if (await admitted(outcome.error, waitlistWorkflowId(day.restaurantId, day.openingDate), updateId)) return underWay(reply, entryId, 'accept');
        // the day's run has ended: nothing is offered any more (the entry says what became of it)
        if (outcome.error instanceof WorkflowNotFoundError) {
          throw waitlistRefusal('NOT_OFFERED', `The waitlist of ${day.openingDate} has closed: nothing is offered any more.`, { waitlistStatus: entry.status });
        }
        throw failureOf(outcome.error);
      },
    );

    app.post<{ Params: { entryId: string }; Body: Record<string, never> | undefined; Headers: { 'idempotency-key'?: string } }>(
      '/waitlist/:entryId/withdraw',
      {
        schema: {
          summary: 'Leave the waitlist (its diner); a table offered to the entry passes to the next in line',
          tags: ['waitlist'],
          security: bearerSecurity,
          params: entryParams,
          // nothing is required: an empty body, or none (as for the floor's steps)
          body: { type: 'object', properties: {}, additionalProperties: false },
          headers: idempotencyHeaders,
          response: withdrawResponses,
        },
        // nothing in the body is required: a POST without one is the same as `{}`
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const { entryId } = request.params;
        const { day, entry } = await entryOr404(entryId);
        dinerOnly(caller, entry);
        const updateId = updateIdOf('withdraw', caller, entryId, request.headers['idempotency-key']);
        const outcome = await withinBudget(reply.elapsedTime, () =>
          handleOf(day).executeUpdate(withdrawUpdate, { args: [{ entryId, customerId: caller.userId }], updateId }),
        );
        if ('value' in outcome) return reply.status(200).send({ entryId, status: outcome.value.status });
        if (await admitted(outcome.error, waitlistWorkflowId(day.restaurantId, day.openingDate), updateId)) return underWay(reply, entryId, 'withdrawal');
        if (outcome.error instanceof WorkflowNotFoundError) {
          // the day's run has ended: a withdrawal already made stands; anything else is final
          if (entry.status === 'withdrawn') return reply.status(200).send({ entryId, status: 'withdrawn' });
          throw new DomainError('ALREADY_FINAL', `The waitlist entry is already ${entry.status} and cannot be withdrawn.`, { waitlistStatus: entry.status });
        }
        throw failureOf(outcome.error);
      },
    );

    app.get<{ Params: { id: string }; Querystring: { date: string } }>(
      '/restaurants/:id/waitlist',
      {
        schema: {
          summary: "A restaurant's waitlist for one opening day, in queue order (owner only)",
          tags: ['waitlist'],
          security: bearerSecurity,
          params: idParams,
          querystring: listQuery,
          response: listResponses,
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const restaurant = await ctx.ownedRestaurant(caller, request.params.id, "Only the restaurant's owner may see its waitlist.");
        const { date } = request.query;
        if (!isLocalDate(date, restaurant.timezone)) throw new HttpProblem(400, `date ${date} is not a calendar date.`);
        return { items: queueViews(await waitlists.day(restaurant.restaurantId, date)) };
      },
    );
  };

  /** A Temporal call within what is left of the answer's deadline. */
  /**
   * No answer in time (not a refusal, not a run that has ended): only the server can say whether the update
   * reached the run. If it knows it, the update will be carried out, so "failed" would be untrue (202);
   * if not (or it cannot be asked), nothing was done and the 503 stands.
   */
  async function admitted(error: unknown, workflowId: string, updateId: string): Promise<boolean> {
    if (applicationFailureIn(error) || error instanceof WorkflowNotFoundError) return false;
    try {
      const known = await withinDeadline(deps.temporal, LOOKUP_MS, () =>
        deps.temporal.workflowService.pollWorkflowExecutionUpdate({
          namespace: ctx.namespace,
          updateRef: { workflowExecution: { workflowId }, updateId },
          waitPolicy: { lifecycleStage: UPDATE_STAGE_ADMITTED },
        }),
      );
      return 'value' in known;
    } catch {
      return false; // the server could not be asked: nothing is known to have been done
    }
  }

  function underWay(reply: FastifyReply, entryId: string, what: string) {
    return reply
      .status(202)
      .header('location', `/waitlist/${entryId}`)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send({ entryId, detail: `The ${what} is being processed; GET the entry for its outcome.` });
  }

  function withinBudget<T>(elapsedMs: number, fn: () => Promise<T>) {
    return withinDeadline(deps.temporal, ctx.budget(elapsedMs), fn);
  }
}
