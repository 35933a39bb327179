/**
 * Composition root of the API process: real clients in, one Fastify app out. Each service mounts its
 * routes; all share the auth plugin (registered first, so every route sees `request.caller`), the
 * problem+json error handler and the OpenAPI document.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../platform/runtime';
import { buildServer, type RoutePlugin } from './server';
import { deadLetterCounts, dependencyChecks, healthRoutes } from './health';
import { createAuthService } from './auth';
import { createCatalogService } from './catalog';
import { reservationRoutes } from './reservation/routes';
import { replicaFromCatalogEvents, restaurantReplica } from '../projections/restaurant-replica';
import { reservationProjections } from '../projections/reservations';

export interface AppDeps {
  runtime: Runtime;
  temporal: Client;
  now?: () => Date;
}

export async function createApp(deps: AppDeps, opts: { logger?: boolean; docsUi?: boolean } = {}): Promise<FastifyInstance> {
  const { runtime, temporal } = deps;
  const { config } = runtime;
  const auth = await createAuthService({ config, store: runtime.stores.auth, db: runtime.dbs.auth, ...(deps.now ? { now: deps.now } : {}) });
  const catalog = createCatalogService({ store: runtime.stores.catalog, db: runtime.dbs.catalog, ...(deps.now ? { now: deps.now } : {}) });
  const plugins: RoutePlugin[] = [
    auth.authPlugin,
    // dead letters are reported beside the dependencies (the pipeline redrives them; they do not make the API unhealthy)
    healthRoutes(dependencyChecks({ aws: runtime.aws, db: runtime.dbs.reservation, temporal }), {
      deadLetters: deadLetterCounts({ sqs: runtime.aws.sqs, topo: runtime.topo }),
    }),
    auth.routes,
    catalog.routes,
    reservationRoutes({
      temporal,
      taskQueue: config.temporal.taskQueue,
      placementDeadlineMs: config.api.placementDeadlineMs,
      namespace: config.temporal.namespace,
      handlerTimeoutMs: config.api.handlerTimeoutMs,
      restaurants: restaurantReplica(runtime.dbs.reservation, { cacheMs: 1000, fallback: replicaFromCatalogEvents(runtime.stores.catalog) }),
      queries: reservationProjections(runtime.dbs.reservation),
      store: runtime.stores.reservation,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  ];
  return buildServer({
    plugins,
    handlerTimeoutMs: config.api.handlerTimeoutMs,
    requestTimeoutMs: config.api.requestTimeoutMs,
    docsUi: opts.docsUi ?? true,
    logger: opts.logger === false ? false : { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
}
