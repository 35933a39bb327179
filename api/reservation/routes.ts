/**
 * The reservation service's HTTP routes, one module per responsibility:
 * - ./availability-route.ts: bookable starts (ledger read model and restaurant replica, micro-cached);
 * - ./request.ts: POST /reservations, one Temporal workflow per reservation (Update-with-Start);
 * - ./listing.ts: one reservation (its stream, or its workflow before anything is recorded) and the lists;
 * - ./decisions.ts: accept / reject / cancel, updates of the workflow (the rules are the domain's);
 * - ./live.ts: GET /reservations/live, changes as Server-Sent Events (one read-model poller per process);
 * - ./context.ts: what they share; ./failures.ts: workflow failures as problems; ./temporal-calls.ts: deadlines;
 *   ./schemas.ts: the JSON schemas (and so the OpenAPI document).
 */
import type { RoutePlugin } from '../server';
import { availabilityRoute } from './availability-route';
import { routeContext, type ReservationRouteDeps } from './context';
import { decisionRoutes } from './decisions';
import { listingRoutes } from './listing';
import { liveRoute } from './live';
import { requestRoute } from './request';
import { waitlistRoutes } from './waitlist';

export type { ReservationRouteDeps } from './context';

export function reservationRoutes(deps: ReservationRouteDeps): RoutePlugin {
  const ctx = routeContext(deps);
  // registered in this order: the OpenAPI document lists the paths as they are added
  const groups = [availabilityRoute(ctx), requestRoute(ctx), listingRoutes(ctx), liveRoute(ctx, { max: deps.liveStreamsMax ?? 500 }), decisionRoutes(ctx), waitlistRoutes(ctx, deps.waitlists)];
  return async (app) => {
    for (const register of groups) register(app);
  };
}
