/**
 * GET /restaurants/:id/availability: bookable starts for a local date and party size, from the ledger read
 * model and the restaurant replica (never by replaying streams), through the micro-cache of ./availability.ts.
 */
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../problem';
import { DomainError } from '../../domain/errors';
import { noStartsReason } from '../../domain/time/slots';
import type { RouteContext } from './context';
import { availabilityReader, isLocalDate } from './availability';
import { availabilityQuery, availabilityResponse, errors, idParams } from './schemas';

export function availabilityRoute(ctx: RouteContext) {
  const { deps, now } = ctx;
  const availability = availabilityReader({
    ledger: (restaurantId, date) => deps.queries.ledger(restaurantId, date),
    ...(deps.availabilityLedgerCacheMs !== undefined ? { ledgerCacheMs: deps.availabilityLedgerCacheMs } : {}),
  });

  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string }; Querystring: { date: string; partySize: number } }>(
      '/restaurants/:id/availability',
      {
        schema: {
          summary: 'Bookable start times for a local date and party size',
          tags: ['reservations'],
          params: idParams,
          querystring: availabilityQuery,
          response: { 200: availabilityResponse, ...errors(400, 404, 422) },
        },
      },
      async (request) => {
        const { date, partySize } = request.query;
        const [restaurant, ledger] = await Promise.all([ctx.restaurantOr404(request.params.id), availability.ledger(request.params.id, date)]);
        if (!isLocalDate(date, restaurant.timezone)) throw new HttpProblem(400, `date ${date} is not a calendar date.`);
        const at = now();
        // availableStarts(ledger, bookableStarts(…)), computed once per ledger read and restaurant version
        const slots = availability.slots(restaurant, ledger, date, partySize, at);
        if (slots.length > 0) return { timezone: restaurant.timezone, slots };
        // no slot: say why (a rule, or every table taken)
        const why =
          noStartsReason({ restaurant, date, now: at, partySize }) ??
          new DomainError('FULLY_BOOKED', `Every table for ${partySize} is taken on ${date}; try another day or time.`, { date });
        return { timezone: restaurant.timezone, slots, reason: { code: why.code, detail: why.message } };
      },
    );
  };
}
