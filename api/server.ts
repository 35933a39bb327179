/**
 * The HTTP front door: one Fastify app that mounts each service's routes as a plugin, renders every
 * error as `application/problem+json`, and publishes the OpenAPI document built from the route schemas
 * (`/docs`, `/docs/json`).
 *
 * Policies that hold for every route live here, once, so no route can forget them:
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
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
  type onRequestHookHandler,
} from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import AjvCompiler from '@fastify/ajv-compiler';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problemSchema, problemTitle, sendProblem, unavailable } from './problem';
import { requireCaller } from './context';
import { describeDocument, withExamples } from './openapi';
import { unavailableDependency } from '../platform/unavailable';
import { ConcurrencyError, EventStoreLimitError } from '../eventstore/types';
import { isDomainError, type DomainErrorKind } from '../domain/errors';

/** A domain error's kind (domain/errors.ts) → HTTP status; the domain never speaks HTTP itself. */
const KIND_STATUS: Record<DomainErrorKind, number> = { invalid: 422, conflict: 409, not_found: 404, forbidden: 403 };

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export const DEFAULTS = {
  /** Largest body any route accepts; routes with small bodies set a smaller `bodyLimit` of their own. */
  bodyLimit: 64 * 1024,
  /** Above the reservation placement deadline (PLACEMENT_DEADLINE_MS, 8 s), below common client timeouts. */
  handlerTimeoutMs: 12_000,
  /** Headers and body must arrive within this (slow-loris clients hold a socket otherwise). */
  requestTimeoutMs: 15_000,
  /** Longest path parameter the router accepts (414 beyond); shorter ones are the route schemas' to refuse (400). */
  maxParamLength: 500,
  /** Seconds a client is told to wait after a 503. */
  retryAfterSeconds: 2,
} as const;

/** At most this many validation errors are listed (validation stops at the first anyway; this bounds the body). */
const MAX_LISTED_ERRORS = 10;

export interface ServerOptions {
  logger?: FastifyServerOptions['logger'];
  /** Route plugins, registered in order (the auth plugin first, so `request.caller` is set for all). */
  plugins: RoutePlugin[];
  /** Skip the OpenAPI UI (tests). The JSON document is always built. */
  docsUi?: boolean;
  bodyLimit?: number;
  handlerTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** One schema error as Ajv reports it (with `verbose`, also the schema and the value it was about). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { description?: string; examples?: unknown[]; format?: string };
  data?: unknown;
}

const PART_NAMES: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header' };
const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string (text)',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list (array)',
  null: 'null',
};
const FORMATS: Record<string, string> = {
  date: 'a date like 2026-12-24',
  'date-time': 'a date-time like 2026-12-24T19:30:00+01:00',
  time: 'a time like 19:30:00+01:00',
  email: 'an email address like ada@example.com',
  uri: 'an absolute URI like https://example.com/x',
  uuid: 'a UUID like 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
};
/** Patterns this API uses, in words (a schema's own `examples`/`description` are used for the others). */
const PATTERNS: Array<[RegExp, string]> = [
  [/^\\S$/, 'must not be blank'],
  [/^\^\\d\{4\}-\\d\{2\}-\\d\{2\}\(T/, 'must be a date like 2026-12-24 or a date-time like 2026-12-24T19:30:00+01:00'],
  [/^\^\\d\{4\}-\\d\{2\}-\\d\{2\}\$$/, 'must be a date like 2026-12-24'],
  [/^\^\(\[01\]\[0-9\]\|2\[0-3\]\):\[0-5\]\[0-9\]\$$/, 'must be a time of day like 19:30 (00:00-23:59)'],
];

const plural = (n: unknown, one: string) => `${String(n)} ${one}${n === 1 ? '' : 's'}`;
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v);
/** The name of a value at a JSON pointer: `/tables/0/seats` → `tables[0].seats`. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
const clip = (s: string, max = 120) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * A schema error in words a person reads, naming the field as the client wrote it: `policy.acceptance must be
 * one of: manual, auto`, `query parameter date must be a date like 2026-12-24`, `unknown field "foo"`. Values
 * the client sent are never echoed (only their JSON type), so the text stays small and safe to log.
 */
export function describeSchemaError(v: SchemaError, context?: string): string {
  const part = context && PART_NAMES[context];
  const named = (pointer: string) => {
    const field = fieldName(pointer);
    if (part) return field ? `${part} ${field}` : `the ${part === 'header' ? 'headers' : `${part}s`}`;
    return field || 'the body';
  };
  const subject = named(v.instancePath);
  const p = v.params;
  switch (v.keyword) {
    case 'required':
      return `${named(`${v.instancePath}/${String(p.missingProperty)}`)} is required`;
    case 'additionalProperties': {
      const name = clip(String(p.additionalProperty), 60);
      if (part) return `unknown ${part} "${name}"`;
      return `unknown field "${name}"${v.instancePath ? ` in ${subject}` : ''}`;
    }
    case 'enum':
      return `${subject} must be one of: ${clip((p.allowedValues as unknown[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', '), 300)}`;
    case 'const':
      return `${subject} must be ${JSON.stringify(p.allowedValue)}`;
    case 'type': {
      const want = String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return `${subject} must be ${want}${'data' in v ? `, not ${TYPE_NAMES[typeOf(v.data)] ?? typeOf(v.data)}` : ''}`;
    }
    case 'format': {
      const f = String(p.format);
      return `${subject} must be ${FORMATS[f] ?? `in ${f} format`}`;
    }
    case 'pattern': {
      const known = PATTERNS.find(([re]) => re.test(String(p.pattern)));
      if (known) return `${subject} ${known[1]}`;
      const example = v.parentSchema?.examples?.[0];
      const description = v.parentSchema?.description;
      if (example !== undefined) return `${subject} must look like ${JSON.stringify(example)}${description ? ` (${clip(description)})` : ''}`;
      if (description) return `${subject} is not in the expected form: ${clip(description)}`;
      return `${subject} must match the pattern ${clip(String(p.pattern))}`;
    }
    case 'minimum':
      return `${subject} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${subject} must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `${subject} must be greater than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `${subject} must be less than ${String(p.limit)}`;
    case 'multipleOf':
      return `${subject} must be a multiple of ${String(p.multipleOf)}`;
    case 'minLength':
      return p.limit === 1 ? `${subject} must not be empty` : `${subject} must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `${subject} must be at most ${plural(p.limit, 'character')} long`;
    case 'minItems':
      return `${subject} must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `${subject} must have at most ${plural(p.limit, 'item')}`;
    case 'uniqueItems':
      return `${subject} must not repeat an item (items ${String(p.j)} and ${String(p.i)} are the same)`;
    case 'minProperties':
      return `${subject} must have at least ${plural(p.limit, 'field')}`;
    case 'maxProperties':
      return `${subject} must have at most ${plural(p.limit, 'field')}`;
    default:
      return `${subject} ${v.message ?? 'is invalid'}`;
  }
}

/**
 * anyOf / oneOf: Ajv reports each branch's error, then the combinator's; one sentence says what any branch
 * would take (`query parameter from must be a date like 2026-12-24 or a date-time like …`).
 */
function collapseAlternatives(validation: readonly SchemaError[], context?: string): SchemaError[] {
  const out: SchemaError[] = [];
  for (const v of validation) {
    if (v.keyword !== 'anyOf' && v.keyword !== 'oneOf') {
      out.push(v);
      continue;
    }
    const branches: SchemaError[] = [];
    while (out.length > 0 && out[out.length - 1]!.instancePath === v.instancePath && !['required', 'additionalProperties'].includes(out[out.length - 1]!.keyword)) branches.unshift(out.pop()!);
    const subject = describeSchemaError({ ...v, keyword: 'x-subject', message: '' }, context).trimEnd();
    const wants = [...new Set(branches.map((b) => describeSchemaError(b, context).slice(subject.length).trim().replace(/^must (be )?/, '')))];
    out.push(wants.length > 0 ? { ...v, keyword: 'x-alternatives', message: `must be ${wants.join(' or ')}` } : v);
  }
  return out;
}

/** A schema refusal: 400 with each error in words (`detail`) and as `errors: [{field, message}]`. */
export function validationProblem(validation: readonly SchemaError[], context?: string): HttpProblem {
  const where = context ?? 'request';
  const errors = collapseAlternatives(validation, context).slice(0, MAX_LISTED_ERRORS).map((v) => {
    const missing = v.keyword === 'required' ? `/${String(v.params.missingProperty)}` : '';
    return {
      field: fieldName(`${v.instancePath}${missing}`) || (where === 'body' ? 'body' : where),
      in: where === 'querystring' ? 'query' : where === 'params' ? 'path' : where === 'headers' ? 'header' : where,
      message: describeSchemaError(v, where),
      ...(v.keyword === 'required' ? { missing: v.params.missingProperty } : {}),
      ...(v.keyword === 'additionalProperties' ? { unexpected: clip(String(v.params.additionalProperty), 60) } : {}),
    };
  });
  return new HttpProblem(400, errors.map((e) => e.message).join('; '), { errors });
}

export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isDomainError(err)) {
    return new HttpProblem(KIND_STATUS[err.kind] ?? 422, err.message, { code: err.code, ...(err.details ?? {}) });
  }
  if (err instanceof ConcurrencyError) {
    return new HttpProblem(409, 'Someone else changed this at the same time; read it again and retry.', { code: 'CONCURRENT_CHANGE' });
  }
  if (err instanceof EventStoreLimitError) return new HttpProblem(413, err.message);
  const dependency = unavailableDependency(err);
  if (dependency) {
    return unavailable(
      dependency === 'the server'
        ? 'This request took too long to complete; retry shortly.'
        : `The ${dependency} is not answering right now; retry shortly.`,
      DEFAULTS.retryAfterSeconds,
    );
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return validationProblem(fe.validation, fe.validationContext);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'The request body is larger than this route accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(415, 'Send the body as application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, `The body is not valid JSON: ${fe.message ?? 'parse error'}.`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpProblem(414, 'A path segment is too long.');
    case 'FST_ERR_BAD_URL':
      return new HttpProblem(400, 'The URL is not valid (a malformed percent-encoding?).');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpProblem(fe.statusCode, fe.message ?? 'Bad request');
  }
  return new HttpProblem(500, 'Something went wrong on our side; it has been logged.');
}

// --- what every route can answer, added to its schema (runtime and OpenAPI alike) ---------------------

const PROBLEM_REF = 'Problem#';
const isProblemRef = (s: unknown): boolean => typeof s === 'object' && s !== null && (s as { $ref?: unknown }).$ref === PROBLEM_REF;

const retryAfterHeader = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying.' } } as const;

/** A problem response as OpenAPI wants it: `application/problem+json`, with the headers the status carries. */
function problemResponse(status: number, description: string): Record<string, unknown> {
  return {
    description,
    ...(status === 429 || status === 503 ? { headers: retryAfterHeader } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_REF } } },
  };
}

const COMMON_DESCRIPTIONS: Record<number, string> = {
  400: 'The request does not match the schema (problem details name the field).',
  401: 'No valid Bearer token.',
  413: 'The body is larger than this route accepts.',
  414: 'A path segment is too long.',
  415: 'The body is not application/json.',
  503: 'A dependency is down or too slow; retry after Retry-After seconds.',
};

type RouteSchema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean;
  security?: unknown[];
  response?: Record<string, unknown>;
};

/** The statuses a route can give whatever its handler does, from what it declares. */
function commonStatuses(schema: RouteSchema): number[] {
  const statuses = [503];
  if (schema.body || schema.querystring || schema.params || schema.headers) statuses.push(400);
  if (schema.body) statuses.push(413, 415);
  if (schema.params) statuses.push(414);
  if (schema.security?.length) statuses.push(401);
  return statuses;
}

function withCommonResponses(schema: RouteSchema): RouteSchema {
  const response: Record<string, unknown> = { ...(schema.response ?? {}) };
  for (const [code, value] of Object.entries(response)) {
    if (Number(code) >= 400 && isProblemRef(value)) response[code] = problemResponse(Number(code), COMMON_DESCRIPTIONS[Number(code)] ?? problemTitle(Number(code)));
  }
  for (const status of commonStatuses(schema)) {
    if (!(String(status) in response)) response[String(status)] = problemResponse(status, COMMON_DESCRIPTIONS[status]!);
  }
  return { ...schema, response };
}

/** A route that declares Bearer security refuses an anonymous request before parsing or validating its body. */
const requireToken: onRequestHookHandler = async (request) => {
  requireCaller(request);
};

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/** Route patterns and their methods, to tell "no such path" (404) from "not this method" (405 + Allow). */
class MethodTable {
  private readonly paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, methods: string[]): void {
    let entry = this.paths.get(url);
    if (!entry) {
      const source = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { pattern: new RegExp(`^${source}/?$`), methods: new Set() };
      this.paths.set(url, entry);
    }
    for (const m of methods) entry.methods.add(m.toUpperCase());
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  }

  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: ms } of this.paths.values()) if (pattern.test(path)) for (const m of ms) methods.add(m);
    return [...methods].sort();
  }
}

/**
 * Fastify's own Ajv compiler, twice: query strings, path parameters and headers arrive as text, so they are
 * coerced to the schema's types ("5" → 5); a JSON body already has types, and coercing it would accept
 * `{"amount": null}` as 0 or `{"name": false}` as "false". allErrors off in both: Ajv stops at the first
 * error, so a body of 340,000 bad items costs one check, not 340,000 (and the answer lists one error).
 * verbose: an error carries its schema (for a pattern's `examples`/`description` in the message) and the
 * value's JSON type ("must be a number, not null"); values themselves are never echoed.
 */
function validators(): NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'] {
  const factory = AjvCompiler();
  const base = { removeAdditional: false, allErrors: false, verbose: true } as const;
  return (externalSchemas) => {
    const text = factory(externalSchemas, { customOptions: { ...base, coerceTypes: 'array' } });
    const json = factory(externalSchemas, { customOptions: { ...base, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? json(route) : text(route));
  };
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? DEFAULTS.bodyLimit,
    handlerTimeout: opts.handlerTimeoutMs ?? DEFAULTS.handlerTimeoutMs,
    requestTimeout: opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    routerOptions: { maxParamLength: DEFAULTS.maxParamLength },
    schemaController: { compilersFactory: { buildValidator: validators() } },
    // the router's own refusals (a bad percent-encoding, an over-long path segment) are problems too
    frameworkErrors: (err, request, reply) => {
      void sendProblem(reply, request, toProblem(err));
    },
  });

  app.addSchema({ $id: 'Problem', ...problemSchema });
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
    // responses in words, problem codes per route, links, the walkthrough's examples (api/openapi.ts); built once
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
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allow = methods.allowed(path);
    if (allow.length > 0) {
      void reply.header('allow', allow.join(', '));
      return sendProblem(reply, request, new HttpProblem(405, `${request.method} is not supported on ${path}; use ${allow.join(', ')}.`));
    }
    return sendProblem(reply, request, new HttpProblem(404, `No route ${request.method} ${path}`));
  };
  // answered before any body is read or token checked: an unknown route has nothing to parse (a QUERY
  // without Content-Type, a body too large) and nothing to authorise
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return noRoute(request, reply);
  });
  app.setNotFoundHandler(noRoute);

  for (const plugin of opts.plugins) await app.register(plugin);
  return app;
}
