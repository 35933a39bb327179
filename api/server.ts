/**
 * The HTTP front door: one Fastify app that mounts each service's routes as a plugin, renders every
 * error as `application/problem+json`, and publishes the OpenAPI document built from the route schemas
 * (`/docs`, `/docs/json`).
 *
 * Policies that hold for every route are set up here, once, so no route can forget them (the parts:
 * ./error-mapping.ts, ./validation.ts, ./route-policies.ts, ./method-table.ts):
 * - deadlines: a whole request must arrive within `requestTimeoutMs`, and a handler that has not answered
 *   within `handlerTimeoutMs` gets 503 + Retry-After (the clients' own timeouts normally answer first,
 *   see platform/mongo.ts, aws.ts, temporal.ts); a dependency that is down or slow is 503 + Retry-After
 *   (`toProblem`), never a hang or a 500;
 * - hostile input is cheap to refuse: bodies are capped (`bodyLimit`, smaller per route), validation stops
 *   at the first error, JSON bodies are not coerced (null is not 0), and a route that needs a Bearer
 *   token refuses an anonymous request before its body is even read;
 * - every error is problem+json, Fastify's own included (bad JSON, 413, 414, 415), an undeclared method
 *   on a known path is 405 with `Allow`, and the OpenAPI document says so: each route's error responses
 *   are documented as `application/problem+json`, with the statuses every route can give added here.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { PROBLEM_SCHEMA_ID, problemSchema, sendProblem } from './problem';
import { describeDocument, withExamples } from './openapi';
import { toProblem } from './error-mapping';
import { validators } from './validation';
import { hooksOf, requireToken, withCommonResponses, type RouteSchema } from './route-policies';
import { MethodTable, noRouteHandler } from './method-table';

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export const DEFAULTS = {
  /** Largest body any route accepts; routes with small bodies set a smaller `bodyLimit` of their own. */
  bodyLimit: 64 * 1024,
  /** Above the reservation placement deadline (PLACEMENT_DEADLINE_MS, default 8 s), below common client timeouts. */
  handlerTimeoutMs: 12_000,
  /** Headers and body must arrive within this (slow-loris clients hold a socket otherwise). */
  requestTimeoutMs: 15_000,
  /** Longest path parameter the router accepts (414 beyond); shorter ones are the route schemas' to refuse (400). */
  maxParamLength: 500,
} as const;

export interface ServerOptions {
  logger?: FastifyServerOptions['logger'];
  /** Route plugins, registered in order (the auth plugin first, so `request.caller` is set for all). */
  plugins: RoutePlugin[];
  /**
   * Serve the interactive OpenAPI UI at /docs (default true). Without it only the JSON document is served,
   * at /docs/json: for a deployment whose gateway shows the docs, or a process that never needs the UI.
   */
  docsUi?: boolean;
  bodyLimit?: number;
  handlerTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Which peers' X-Forwarded-For to believe for `request.ip` (what the auth rate limits key on): false (the
   * default) believes none, a list of addresses/CIDRs the proxies it names, a number that many hops
   * (TRUST_PROXY, platform/config.ts).
   */
  trustProxy?: false | number | string[];
}

/**
 * A hop count as a function: Fastify 5 takes a bare number as "trust nobody" (it cannot tell the proxy from
 * a direct client), so the count is applied here, as proxy-addr counts hops (0 is the socket's peer). Only
 * safe where nothing but the proxy can reach the process (on AWS: the task's security group).
 */
function trustProxyOption(trust: ServerOptions['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust ?? false;
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? DEFAULTS.bodyLimit,
    handlerTimeout: opts.handlerTimeoutMs ?? DEFAULTS.handlerTimeoutMs,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    trustProxy: trustProxyOption(opts.trustProxy),
    routerOptions: { maxParamLength: DEFAULTS.maxParamLength },
    schemaController: { compilersFactory: { buildValidator: validators() } },
    // the router's own refusals (a bad percent-encoding, an over-long path segment) are problems too
    frameworkErrors: (err, request, reply) => {
      void sendProblem(reply, request, toProblem(err));
    },
  });

  app.addSchema({ $id: PROBLEM_SCHEMA_ID, ...problemSchema });
  // every body this API takes is JSON (and documented so); Fastify's default text/plain parser would let a
  // string through to validation instead of the 415 a wrong media type deserves
  app.removeContentTypeParser('text/plain');

  const methods = new MethodTable();
  app.addHook('onRoute', (route) => {
    methods.add(route.url, [route.method].flat());
    const schema = (route.schema ?? {}) as RouteSchema;
    if (schema.hide) return;
    route.schema = withCommonResponses(schema);
    if (schema.security?.length) route.onRequest = [...hooksOf(route.onRequest), requireToken];
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Restaurant reservations API',
        version: '0.1.0',
        description:
          'Catalog, reservations and auth. Errors are RFC 9457 problem details (application/problem+json). ' +
          'Any route answers 503 with Retry-After when a dependency is down or slow; an undeclared method on a known path is 405 with Allow.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // responses in words, problem codes per route, links, the walkthrough's examples (api/openapi/); built once
    transformObject: (document) => describeDocument('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  // the examples' dates are relative to today: each request for the document gets them afresh (on a clone)
  if (opts.docsUi !== false) await app.register(swaggerUi, { routePrefix: '/docs', transformSpecification: (spec) => withExamples(spec) });
  else app.get('/docs/json', { schema: { hide: true } }, async () => withExamples(structuredClone(app.swagger())));

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status === 503) request.log.warn({ err }, 'dependency unavailable');
    else if (problem.status >= 500) request.log.error({ err }, 'unhandled error');
    // RFC 6750 §3: a protected resource names the scheme it wants
    if (problem.status === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', 'Bearer');
    return sendProblem(reply, request, problem);
  });
  /** 405 with Allow when the path exists with other methods, else 404. */
  const noRoute = noRouteHandler(methods);
  // answered before any body is read or token checked: an unknown route has nothing to parse (a QUERY
  // without Content-Type, a body too large) and nothing to authorise
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return noRoute(request, reply);
  });
  app.setNotFoundHandler(noRoute);

  for (const plugin of opts.plugins) await app.register(plugin);
  return app;
}
