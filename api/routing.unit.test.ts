/**
 * The load balancer's routing (./routing.ts) against the app itself: every route the app registers, with
 * sample path parameters, must be sent to the service that registered it; routes every process has
 * (/health, /docs) go to the default. The app is assembled from the same parts createApp registers, on
 * clients that are built but never used (no network): only the route table is looked at.
 */
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { MongoClient } from 'mongodb';
import type { ServiceName } from '../eventstore/types';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { serviceDbName } from '../platform/mongo';
import { eventStore, type Runtime } from '../platform/runtime';
import { SERVICES, topology } from '../platform/topology';
import { generateSigningJwk } from './auth/tokens';
import { appParts } from './app';
import { API_ROUTES, DEFAULT_API_SERVICE, patternRegExp, routeTarget } from './routing';
import { buildServer, type RoutePlugin } from './server';

describe('routeTarget evaluates the rules as the load balancer does', () => {
  it.each([
    ['/restaurants', 'catalog'],
    ['/restaurants/r1', 'catalog'],
    ['/restaurants/r1/menu', 'catalog'],
    ['/restaurants/r1/menu/sections/availability', 'catalog'],
    ['/restaurants/r1/menu/sections/s/dishes/reservations', 'catalog'],
    ['/health', 'catalog'],
    ['/health/live', 'catalog'],
    ['/docs', 'catalog'],
    ['/docs/json', 'catalog'],
    ['/docs/static/index.html', 'catalog'],
    ['/', 'catalog'],
    ['/restaurants/r1/availability', 'reservation'],
    ['/restaurants/r1/availability?date=2026-01-01&partySize=2', 'reservation'],
    ['/restaurants/r1/reservations', 'reservation'],
    ['/reservations', 'reservation'],
    ['/reservations?status=pending', 'reservation'],
    ['/reservations/x/accept', 'reservation'],
    ['/restaurants/r1/waitlist', 'reservation'],
    ['/restaurants/r1/waitlist?date=2026-01-01', 'reservation'],
    ['/waitlist', 'reservation'],
    ['/waitlist/e1', 'reservation'],
    ['/waitlist/e1/accept', 'reservation'],
    ['/restaurants/r1/menu/sections/waitlist', 'catalog'],
    ['/auth/login', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    // case-sensitive, whole path: near misses are the default's (its 404)
    ['/Reservations', 'catalog'],
    ['/reservationsx', 'catalog'],
    ['/auth', 'catalog'],
    ['/restaurants/r1/availability/x', 'catalog'],
    ['/restaurants/r1/waitlist/x', 'catalog'],
    ['/waitlistx', 'catalog'],
  ] as const)('%s → %s', (path, service) => {
    expect(routeTarget(path)).toBe(service);
  });

  it('`*` spans any characters including "/", `?` exactly one, everything else is literal', () => {
    expect(patternRegExp('/a/*/b').test('/a/x/y/b')).toBe(true);
    expect(patternRegExp('/a/*/b').test('/a//b')).toBe(true);
    expect(patternRegExp('/a?c').test('/abc')).toBe(true);
    expect(patternRegExp('/a?c').test('/ac')).toBe(false);
    expect(patternRegExp('/a.c').test('/abc')).toBe(false);
    expect(patternRegExp('/a+(b)').test('/a+(b)')).toBe(true);
  });

  it('the rules fit an ALB listener rule: 1-5 patterns of at most 128 allowed characters, each starting with "/"', () => {
    for (const rule of API_ROUTES) {
      expect(SERVICES).toContain(rule.service);
      expect(rule.patterns.length).toBeGreaterThanOrEqual(1);
      expect(rule.patterns.length).toBeLessThanOrEqual(5);
      for (const p of rule.patterns) {
        expect(p).toMatch(/^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/);
      }
    }
    expect(SERVICES).toContain(DEFAULT_API_SERVICE);
    // every service other than the default is reachable
    for (const s of SERVICES) if (s !== DEFAULT_API_SERVICE) expect(API_ROUTES.some((r) => r.service === s)).toBe(true);
  });
});

/** A runtime whose clients are constructed but never connect: enough to register every route. */
async function idleRuntime(): Promise<{ runtime: Runtime; temporal: Client; close: () => Promise<void> }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', AUTH_PRIVATE_JWK: JSON.stringify(await generateSigningJwk()) });
  const aws = awsClients(config);
  const topo = topology(config.resourcePrefix);
  const mongo = new MongoClient(config.mongo.uri);
  const stores = Object.fromEntries(SERVICES.map((s) => [s, eventStore(config, aws.dynamodb, topo.services[s].table, s)]));
  const dbs = Object.fromEntries(SERVICES.map((s) => [s, mongo.db(serviceDbName(config, s))]));
  const connection = Connection.lazy({ address: config.temporal.address });
  const close = async () => {
    await connection.close();
    await mongo.close();
    destroyAwsClients(aws);
  };
  const runtime = { config, aws, topo, mongo, stores, dbs, writeGuard: 'checkpoint', close } as Runtime;
  return { runtime, temporal: new Client({ connection }), close };
}

/** Marks a plugin as not encapsulated (what fastify-plugin does): its hooks land on the root app. */
function atRoot(plugin: RoutePlugin): RoutePlugin {
  (plugin as RoutePlugin & Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
  return plugin;
}

const samplePath = (url: string, value: string) => url.replace(/:[^/]+/g, value).replace(/\*/g, `${value}/x`);

describe('every route the app registers is routed to the service that registered it', () => {
  let idle: Awaited<ReturnType<typeof idleRuntime>>;
  let app: FastifyInstance;
  /** `METHOD url` → who registered it. */
  const registered = new Map<string, ServiceName | 'shared'>();

  beforeAll(async () => {
    idle = await idleRuntime();
    const parts = await appParts({ runtime: idle.runtime, temporal: idle.temporal });
    const record = (who: ServiceName | 'shared') => (route: RouteOptions) => {
      for (const m of [route.method].flat()) registered.set(`${m} ${route.url}`, who);
    };
    const everyRoute = atRoot(async (root) => void root.addHook('onRoute', record('shared')));
    // a service's own hook runs after the root's, so its routes end up attributed to it
    const plugins = parts.map(({ service, plugin }): RoutePlugin =>
      service === 'shared'
        ? plugin
        : async (scope) => {
            scope.addHook('onRoute', record(service));
            await plugin(scope);
          },
    );
    app = await buildServer({ plugins: [everyRoute, ...plugins], docsUi: true });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await idle?.close();
  });

  it('a process serving reservation needs a Temporal client', async () => {
    await expect(appParts({ runtime: idle.runtime })).rejects.toThrow(/Temporal client/);
  });

  it('each service registers routes of its own', () => {
    const who = new Set(registered.values());
    for (const s of SERVICES) expect(who).toContain(s);
    expect(registered.get('GET /health')).toBe('shared');
    // the target groups' health check: every process has it, whatever API_SERVICES says
    expect(registered.get('GET /health/live')).toBe('shared');
  });

  // sample values include the words the patterns look for: a parameter that happens to be one must not move a route
  it.each(['r1', 'availability', 'reservations', 'waitlist', 'menu', 'auth', 'a.b-c_d~e'])('with every path parameter "%s"', (value) => {
    const wrong: string[] = [];
    for (const [key, who] of registered) {
      const [method, url] = key.split(' ') as [string, string];
      const path = samplePath(url, value);
      const expected = who === 'shared' ? DEFAULT_API_SERVICE : who;
      const got = routeTarget(path);
      if (got !== expected) wrong.push(`${method} ${url} (as ${path}) is ${who === 'shared' ? 'shared' : `${who}'s`} but goes to ${got}`);
    }
    expect(wrong).toEqual([]);
  });
});
