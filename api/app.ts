/**
 * Composition root of the API process: real clients in, one Fastify app out. Each service this process
 * serves (config.api.services: all three locally, one per process on AWS, see ./routing.ts) mounts its
 * routes; all share the auth plugin (registered first, so every route sees `request.caller`), /health, the
 * problem+json error handler and the OpenAPI document (of the routes this process serves).
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ServiceName } from '../eventstore/types';
import type { Runtime } from '../platform/runtime';
import { buildServer, type RoutePlugin } from './server';
import { deadLetterCounts, dependencyChecks, healthRoutes } from './health';
import { createAuthService, remoteTokenVerifier } from './auth';
import { createCatalogService } from './catalog';
import { reservationRoutes } from './reservation/routes';
import { replicaFromCatalogEvents, restaurantReplica } from '../projections/restaurant-replica';
import { reservationProjections } from '../projections/reservations';
import { waitlistQueries } from '../projections/waitlist';
import { webApp } from './web';

export interface AppDeps {
  runtime: Runtime;
  /**
   * The reservation routes' Temporal client: required when this process serves reservation, unused
   * otherwise (a process without them makes no Temporal connection, see workers/api.ts).
   */
  temporal?: Client;
  now?: () => Date;
}

/** One plugin createApp registers, and whose it is: a service's routes, or 'shared' (every process has it). */
export interface AppPart {
  service: ServiceName | 'shared';
  plugin: RoutePlugin;
}

/** What createApp registers, in order: token verification and /health, then each configured service's routes. */
export async function appParts(deps: AppDeps): Promise<AppPart[]> {
  const { runtime } = deps;
  const { config } = runtime;
  const services = config.api.services;
  const serves = (s: ServiceName): boolean => services.includes(s);
  const clock = deps.now ? { now: deps.now } : {};
  const temporal = serves('reservation') ? deps.temporal : undefined;
  if (serves('reservation') && !temporal) throw new Error('createApp: the reservation routes need a Temporal client (AppDeps.temporal)');

  // the auth service verifies with its own keys; any other process with the published ones, and holds no signing key
  const auth = serves('auth') ? await createAuthService({ config, store: runtime.stores.auth, db: runtime.dbs.auth, ...clock }) : undefined;
  const parts: AppPart[] = [
    { service: 'shared', plugin: auth ? auth.authPlugin : remoteTokenVerifier(config) },
    {
      service: 'shared',
      // dead letters are reported beside the dependencies (the pipeline redrives them; they do not make the API
      // unhealthy), for the consumers of the services served here; one Mongo ping covers every service's db
      plugin: healthRoutes(dependencyChecks({ aws: runtime.aws, db: runtime.dbs[services[0]!], temporal }), {
        deadLetters: deadLetterCounts({ sqs: runtime.aws.sqs, topo: { consumers: runtime.topo.consumers.filter((c) => serves(c.owner)) } }),
      }),
    },
  ];
  // a fixed order whatever API_SERVICES says: the OpenAPI document lists the paths as they are added
  if (auth) parts.push({ service: 'auth', plugin: auth.routes });
  if (serves('catalog')) parts.push({ service: 'catalog', plugin: createCatalogService({ store: runtime.stores.catalog, db: runtime.dbs.catalog, ...clock }).routes });
  // the web app (hidden from the OpenAPI document) goes with the catalog, the load balancer's default target
  if (serves('catalog')) parts.push({ service: 'catalog', plugin: webApp() });
  if (temporal) {
    parts.push({
      service: 'reservation',
      plugin: reservationRoutes({
        temporal,
        taskQueue: config.temporal.taskQueue,
        placementDeadlineMs: config.api.placementDeadlineMs,
        namespace: config.temporal.namespace,
        handlerTimeoutMs: config.api.handlerTimeoutMs,
        liveStreamsMax: config.api.liveStreamsMax,
        restaurants: restaurantReplica(runtime.dbs.reservation, { cacheMs: 1000, fallback: replicaFromCatalogEvents(runtime.stores.catalog) }),
        queries: reservationProjections(runtime.dbs.reservation),
        waitlists: waitlistQueries(runtime.dbs.reservation, runtime.stores.reservation),
        store: runtime.stores.reservation,
        ...clock,
      }),
    });
  }
  return parts;
}

export async function createApp(deps: AppDeps, opts: { logger?: boolean; docsUi?: boolean } = {}): Promise<FastifyInstance> {
  const { config } = deps.runtime;
  return buildServer({
    plugins: (await appParts(deps)).map((p) => p.plugin),
    handlerTimeoutMs: config.api.handlerTimeoutMs,
    requestTimeoutMs: config.api.requestTimeoutMs,
    trustProxy: config.api.trustProxy,
    docsUi: opts.docsUi ?? true,
    logger: opts.logger === false ? false : { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
}
