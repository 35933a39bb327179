/**
 * The reads of reservations: one by id (from its stream, or from its workflow before anything is
 * recorded), the caller's list and a restaurant's list (from the read model, with the caller's own
 * latest writes put over it: see ./consistency.ts).
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../problem';
import { bearerSecurity, requireCaller } from '../context';
import type { ListFilter } from '../../projections/reservations';
import { CONSISTENCY_HEADER } from './consistency';
import type { RouteContext } from './context';
import { STATUSES, boundParam, consistencyHeaders, errors, idParams, listResponse, reservationSchema, restaurantListResponse } from './schemas';

/**
 * A list route's query as the read model's filter (the schema has checked each bound's format). A bound
 * is a local date or an instant; `date` is the same as from=date&to=date, and everything given applies.
 */
export function listFilter(q: { status?: string; from?: string; to?: string; date?: string }): ListFilter {
  const isDate = (v: string | undefined): v is string => v !== undefined && v.length === 10;
  const instant = (v: string | undefined) => (v !== undefined && !isDate(v) ? new Date(v) : undefined);
  const fromDate = [q.from, q.date].filter(isDate).sort().at(-1);
  const toDate = [q.to, q.date].filter(isDate).sort().at(0);
  const from = instant(q.from);
  const to = instant(q.to);
  return {
    ...(q.status ? { status: q.status } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(fromDate !== undefined ? { fromDate } : {}),
    ...(toDate !== undefined ? { toDate } : {}),
  };
}

export function listingRoutes(ctx: RouteContext) {
  const { deps } = ctx;

  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string } }>(
      '/reservations/:id',
      {
        schema: {
          summary: 'One reservation (its customer or the restaurant owner)',
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          response: { 200: reservationSchema, ...errors(401, 403, 404, 503) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const { id } = request.params;
        const recorded = await ctx.findReservation(id);
        if (recorded) {
          await ctx.actorOf(caller, recorded);
          return recorded;
        }
        // nothing recorded yet: a request in flight (after a 202) or one that was not placed
        const pending = await ctx.fromWorkflow(id);
        if (!pending) throw notFound(`Reservation ${id} does not exist.`);
        await ctx.actorOf(caller, pending);
        return pending;
      },
    );

    app.get<{ Querystring: { status?: string; from?: string; to?: string }; Headers: { 'consistency-token'?: string } }>(
      '/reservations',
      {
        schema: {
          summary: "The caller's reservations, earliest start first (at most 500)",
          tags: ['reservations'],
          security: bearerSecurity,
          headers: consistencyHeaders,
          querystring: {
            type: 'object',
            properties: { status: { type: 'string', enum: STATUSES }, from: boundParam('from'), to: boundParam('to') },
            additionalProperties: false,
          },
          response: { 200: listResponse, ...errors(400, 401, 422) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const filter = listFilter(request.query);
        const items = await deps.queries.byCustomer(caller.userId, filter);
        return { items: await ctx.withOwnWrites(items, request.headers[CONSISTENCY_HEADER], filter, (r) => r.customerId === caller.userId) };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { date?: string; from?: string; to?: string; status?: string }; Headers: { 'consistency-token'?: string } }>(
      '/restaurants/:id/reservations',
      {
        schema: {
          summary: "A restaurant's reservations, earliest start first (owner only; at most 500)",
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          headers: consistencyHeaders,
          querystring: {
            type: 'object',
            properties: {
              date: { type: 'string', format: 'date', description: 'One local date in the restaurant timezone (YYYY-MM-DD): the same as from=date&to=date (with from/to too, all apply)' },
              from: boundParam('from'),
              to: boundParam('to'),
              status: { type: 'string', enum: STATUSES },
            },
            additionalProperties: false,
          },
          response: { 200: restaurantListResponse, ...errors(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const restaurant = await ctx.ownedRestaurant(caller, request.params.id, "Only the restaurant's owner may list its reservations.");
        const filter = listFilter(request.query);
        const found = await deps.queries.byRestaurant(restaurant.restaurantId, filter);
        const items = await ctx.withOwnWrites(found, request.headers[CONSISTENCY_HEADER], filter, (r) => r.restaurantId === restaurant.restaurantId);
        // beside each diner, how often they did not come here: counted for this page's diners only
        const noShows = await deps.queries.noShowCounts(restaurant.restaurantId, items.map((r) => r.customerId));
        return { items: items.map((r) => ({ ...r, noShows: noShows[r.customerId] ?? 0 })) };
      },
    );
  };
}
