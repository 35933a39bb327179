/**
 * The HTTP edge's policies, on the real server with the real catalog routes (in-memory store, no read
 * model needed): hostile bodies are cheap to refuse, outages are 503 + Retry-After, Fastify's own errors
 * are problem+json, undeclared methods are 405 + Allow, and the OpenAPI document says all of it.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ServiceError } from '@temporalio/client';
import { buildServer, type RoutePlugin } from './server';
import { describeSchemaError } from './validation';
import { catalogRoutes } from './catalog';
import { InMemoryEventStore } from '../eventstore/memory';
import type { CatalogReadModel } from '../projections/catalog';
import { testAuth } from '../test/test-auth';


const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...extra });

/** Routes that fail the way each client fails when its server is down or hangs. */
const outages: Record<string, () => Error> = {
  'mongo down (server selection)': () => named('MongoServerSelectionError'),
  'mongo hung (client-side operation timeout)': () => named('MongoOperationTimeoutError'),
  'mongo socket timeout': () => named('MongoNetworkTimeoutError'),
  'aws request timeout': () => named('TimeoutError'),
  'aws connection refused': () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED', $metadata: {} }),
  'aws throttled': () => named('ThrottlingException', { $metadata: { httpStatusCode: 400 }, $fault: 'client' }),
  'temporal unavailable': () => new ServiceError('Failed to start workflow', { cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established', metadata: {} }) }),
  'temporal deadline': () => new ServiceError('Failed to query', { cause: Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'Deadline exceeded', metadata: {} }) }),
  'temporal call cancelled at its deadline': () => new ServiceError('Failed to query', { cause: Object.assign(new Error('1 CANCELLED: Call cancelled'), { code: 1, details: 'Call cancelled', metadata: {} }) }),
};

const testRoutes: RoutePlugin = async (app) => {
  Object.entries(outages).forEach(([, make], i) => {
    app.get(`/outage/${i}`, { schema: { response: { 200: { type: 'object' } } } }, async () => {
      throw make();
    });
  });
  app.get('/bug', async () => {
    throw new TypeError('undefined is not a function');
  });
  app.post(
    '/echo',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            date: { type: 'string', format: 'date' },
            n: { type: 'integer', minimum: 1 },
            from: { anyOf: [{ type: 'string', format: 'date' }, { type: 'string', format: 'date-time' }] },
          },
          additionalProperties: false,
        },
        headers: { type: 'object', properties: { 'x-key': { type: 'string', minLength: 1, maxLength: 5 } } },
        body: {
          type: 'object',
          required: ['name', 'start', 'partySize'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 10, pattern: '\\S' },
            start: { type: 'string', format: 'date-time' },
            partySize: { type: 'integer', minimum: 1, maximum: 20 },
            phone: { type: 'string', pattern: '^[0-9 +]+$', examples: ['+39 06 1234567'], description: 'Digits and spaces' },
            at: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
            policy: { type: 'object', additionalProperties: false, properties: { acceptance: { type: 'string', enum: ['manual', 'auto'] } } },
            tables: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'object', required: ['seats'], properties: { seats: { type: 'integer' } } } },
          },
        },
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 2000).unref()));
};

let app: FastifyInstance;
beforeAll(async () => {
  const readModel = {} as CatalogReadModel; // the routes below never read it
  app = await buildServer({ plugins: [testAuth, catalogRoutes({ store: new InMemoryEventStore('catalog'), readModel }), testRoutes], docsUi: false, handlerTimeoutMs: 300 });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

/** CPU time (user + system) of this process while `fn` runs, in ms. */
async function cpuMs<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const before = process.cpuUsage();
  const result = await fn();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, result };
}

describe('hostile input is cheap to refuse', () => {
  // 340,000 empty objects: about 1 MB of JSON that once cost 2 s of CPU and a 94 MB error body
  const huge = `[${new Array(340_000).fill('{}').join(',')}]`;
  // just under the route's 32 KiB limit: parsed and validated, must still be one small error
  const underLimit = `[${new Array(10_000).fill('{}').join(',')}]`;
  const put = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PUT', url: '/restaurants/x/tables', headers: { 'content-type': 'application/json', ...headers }, payload });

  beforeAll(async () => {
    await put('[]', { 'x-test-user': 'warm-up' }); // compile the route's validator outside the measurements
  });

  test.each([
    ['1 MB without a token', huge, {}, 401],
    ['1 MB with a token', huge, { 'x-test-user': 'mallory' }, 413],
    ['30 KB of empty objects with a token', underLimit, { 'x-test-user': 'mallory' }, 400],
  ] as const)('%s: refused with a small body in well under 100 ms of CPU', async (_, payload, headers, status) => {
    const { ms, result: res } = await cpuMs(() => put(payload, headers));
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.length).toBeLessThan(1000);
    expect(ms).toBeLessThan(100);
    console.log(`${_}: ${status}, ${res.body.length} bytes, ${ms.toFixed(1)} ms CPU`);
  });

  test('a validation error lists one error, not one per bad item', async () => {
    const res = await put(underLimit, { 'x-test-user': 'mallory' });
    expect(res.json<{ errors: unknown[] }>().errors).toHaveLength(1);
  });
});

describe('outages and slowness are 503 + Retry-After, never 500 or a hang', () => {
  test.each(Object.keys(outages).map((name, i) => [name, i] as const))('%s', async (_, i) => {
    const res = await app.inject({ method: 'GET', url: `/outage/${i}` });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  test('a handler that does not answer in time is 503 at the handler timeout', async () => {
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/slow' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('a bug is still a 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/bug' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ status: 500, detail: 'Something went wrong on our side; it has been logged.' });
  });
});

describe("Fastify's own errors are problem+json", () => {
  const cases: Array<[string, InjectOptions, number]> = [
    ['bad JSON', { method: 'PUT', url: '/restaurants/x/tables', headers: { 'content-type': 'application/json', 'x-test-user': 'a' }, payload: '[{' }, 400],
    ['not JSON', { method: 'PUT', url: '/restaurants/x/tables', headers: { 'content-type': 'text/plain', 'x-test-user': 'a' }, payload: 'tables' }, 415],
    ['XML', { method: 'PUT', url: '/restaurants/x/tables', headers: { 'content-type': 'application/xml', 'x-test-user': 'a' }, payload: '<tables/>' }, 415],
    ['a path segment over the router limit', { method: 'GET', url: `/restaurants/${'x'.repeat(600)}` }, 414],
    ['a bad percent-encoding', { method: 'GET', url: '/restaurants/%E0%A4%A' }, 400],
    ['an unknown path', { method: 'GET', url: '/nowhere' }, 404],
    ['an unknown path with a body too large', { method: 'POST', url: '/nowhere', headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(100_000)}"` }, 404],
    ['a JSON null where a number goes (no coercion of bodies)', { method: 'POST', url: '/restaurants/x/menu/sections/s/dishes', headers: { 'content-type': 'application/json', 'x-test-user': 'a' }, payload: { name: 'Pasta', price: { amount: null, currency: 'EUR' } } }, 400],
    ['a JSON false where a string goes', { method: 'POST', url: '/restaurants/x/menu/sections', headers: { 'content-type': 'application/json', 'x-test-user': 'a' }, payload: { name: false } }, 400],
    ['a malformed If-Match', { method: 'POST', url: '/restaurants/x/menu/sections', headers: { 'content-type': 'application/json', 'x-test-user': 'a', 'if-match': '"x", W/"6m"' }, payload: { name: 'Pasta' } }, 400],
  ];
  test.each(cases)('%s', async (_, request, status) => {
    const res = await app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'about:blank', status });
  });
});

test('an undeclared method on a known path is 405 with Allow', async () => {
  const res = await app.inject({ method: 'POST', url: '/restaurants/abc/menu' });
  expect(res.statusCode).toBe(405);
  expect(res.headers.allow).toBe('GET, HEAD');
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const put = await app.inject({ method: 'PUT', url: '/restaurants/abc' });
  expect(put.statusCode).toBe(405);
  expect(put.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
  // QUERY (RFC 10008) needs a Content-Type to be parsed; an undeclared one is still 405, not 400
  const query = await app.inject({ method: 'QUERY', url: '/restaurants/abc/menu' });
  expect(query.statusCode).toBe(405);
});

test('a protected route refuses an anonymous request with 401 before validating it', async () => {
  const res = await app.inject({ method: 'PUT', url: '/restaurants/x/tables', headers: { 'content-type': 'application/json' }, payload: '"not even an array"' });
  expect(res.statusCode).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer');
});

describe('the OpenAPI document', () => {
  type Response = { content?: Record<string, unknown>; headers?: Record<string, unknown> };
  let ops: Array<{ key: string; responses: Record<string, Response> }>;
  beforeAll(() => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, Response> }>> };
    ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m} ${p}`, responses: op.responses })));
  });

  test('documents every error response as application/problem+json, and 503 with Retry-After on every route', () => {
    const wrong: string[] = [];
    for (const { key, responses } of ops) {
      for (const [code, r] of Object.entries(responses)) {
        if (Number(code) >= 400 && Object.keys(r.content ?? {}).join() !== 'application/problem+json') wrong.push(`${key} ${code}`);
      }
      if (!responses['503']?.headers?.['retry-after']) wrong.push(`${key}: no 503 with Retry-After`);
    }
    expect(wrong).toEqual([]);
  });

  test('says what each response means and which codes each error can carry', () => {
    const doc = app.swagger() as unknown as {
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { description: string; 'x-problem-codes'?: string[] }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    };
    const restaurants = doc.paths['/restaurants/{id}/policy']!.put!;
    expect(restaurants.operationId).toBe('setPolicy');
    expect(restaurants.responses['403']).toMatchObject({ description: expect.stringContaining('code: FORBIDDEN'), 'x-problem-codes': ['FORBIDDEN'] });
    expect(restaurants.responses['412']!.description).toMatch(/No code\.$/);
    const defaults = Object.entries(doc.paths).flatMap(([p, ms]) =>
      Object.entries(ms).flatMap(([m, op]) => Object.entries(op.responses).filter(([, r]) => r.description === 'Default Response').map(([c]) => `${m} ${p} ${c}`)),
    );
    expect(defaults.filter((d) => !d.includes('/outage/') && !d.includes('/echo'))).toEqual([]);
    expect(doc.components.schemas.Problem!.properties!.code!.enum).toEqual(expect.arrayContaining(['NO_TABLE', 'ALREADY_FINAL', 'VALIDATION', 'UNAVAILABLE']));
  });

  test('is OpenAPI 3.0: no numeric exclusiveMinimum/Maximum', () => {
    expect(JSON.stringify(app.swagger())).not.toMatch(/"exclusive(Minimum|Maximum)":\s*-?\d/);
  });
});

describe('schema errors in words a person reads', () => {
  const ok = { name: 'Ada', start: '2026-12-24T19:30:00+01:00', partySize: 2 };
  const send = (body: unknown, opts: { query?: string; headers?: Record<string, string> } = {}) =>
    app.inject({ method: 'POST', url: `/echo${opts.query ?? ''}`, headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) }, payload: JSON.stringify(body) });

  test.each([
    ['enum, with the allowed values', { ...ok, policy: { acceptance: 'sometimes' } }, 'policy.acceptance must be one of: manual, auto'],
    ['format date-time, with an example', { ...ok, start: 'tomorrow at 7' }, 'start must be a date-time like 2026-12-24T19:30:00+01:00'],
    ['minimum', { ...ok, partySize: 0 }, 'partySize must be at least 1'],
    ['maximum', { ...ok, partySize: 100 }, 'partySize must be at most 20'],
    ['required', { name: 'Ada', start: ok.start }, 'partySize is required'],
    ['required, nested in an array', { ...ok, tables: [{}] }, 'tables[0].seats is required'],
    ['additionalProperties', { ...ok, foo: 1 }, 'unknown field "foo"'],
    ['additionalProperties, nested', { ...ok, policy: { acceptance: 'auto', mode: 'x' } }, 'unknown field "mode" in policy'],
    ['type, saying what came', { ...ok, partySize: '2' }, 'partySize must be a whole number, not a string (text)'],
    ['type null', { ...ok, partySize: null }, 'partySize must be a whole number, not null'],
    ['type of the body', [1], 'the body must be an object, not a list (array)'],
    ['minLength 1', { ...ok, name: '' }, 'name must not be empty'],
    ['maxLength', { ...ok, name: 'x'.repeat(11) }, 'name must be at most 10 characters long'],
    ['a blank string', { ...ok, name: '   ' }, 'name must not be blank'],
    ['a time of day', { ...ok, at: '7pm' }, 'at must be a time of day like 19:30 (00:00-23:59)'],
    ['a pattern with an example', { ...ok, phone: 'call me' }, 'phone must look like "+39 06 1234567" (Digits and spaces)'],
    ['minItems', { ...ok, tables: [] }, 'tables must have at least 1 item'],
    ['maxItems', { ...ok, tables: [{ seats: 1 }, { seats: 1 }, { seats: 1 }] }, 'tables must have at most 2 items'],
  ])('%s', async (_, body, detail) => {
    const res = await send(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, detail });
    expect(res.json<{ errors: Array<{ message: string }> }>().errors[0]!.message).toBe(detail);
  });

  test.each([
    ['a query parameter format', '?date=24/12/2026', {}, 'query parameter date must be a date like 2026-12-24'],
    ['a query parameter minimum', '?n=0', {}, 'query parameter n must be at least 1'],
    ['an unknown query parameter', '?foo=1', {}, 'unknown query parameter "foo"'],
    ['anyOf: one sentence with every alternative', '?from=0000-99-99', {}, 'query parameter from must be a date like 2026-12-24 or a date-time like 2026-12-24T19:30:00+01:00'],
    ['a header', '', { 'x-key': 'toolong' }, 'header x-key must be at most 5 characters long'],
  ])('says where: %s', async (_, query, headers, detail) => {
    const res = await send(ok, { query, headers });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, detail });
  });

  test('never echoes the value sent, and stays small', async () => {
    const secret = 'x'.repeat(5000);
    const res = await send({ ...ok, [secret]: 1, policy: { acceptance: secret } });
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(1000);
    expect(res.body).not.toContain('x'.repeat(200));
  });

  test('keywords without their own words keep the validator text, with the field', () => {
    expect(describeSchemaError({ keyword: 'oneOf', instancePath: '/price', params: {}, message: 'must match exactly one schema in oneOf' }, 'body')).toBe(
      'price must match exactly one schema in oneOf',
    );
    expect(describeSchemaError({ keyword: 'required', instancePath: '', params: { missingProperty: 'id' } }, 'params')).toBe('path parameter id is required');
  });
});

describe('the client address behind a proxy (trustProxy, from TRUST_PROXY)', () => {
  const ipOf = async (trustProxy: false | number | string[] | undefined, remoteAddress: string, forwarded?: string) => {
    const server = await buildServer({ plugins: [async (a) => void a.get('/ip', async (request) => ({ ip: request.ip }))], docsUi: false, ...(trustProxy === undefined ? {} : { trustProxy }) });
    try {
      const res = await server.inject({ method: 'GET', url: '/ip', remoteAddress, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} });
      return (res.json() as { ip: string }).ip;
    } finally {
      await server.close();
    }
  };

  it('by default X-Forwarded-For is ignored: the peer is the client', async () => {
    expect(await ipOf(undefined, '127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
    expect(await ipOf(false, '127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
  });
  it('from a trusted proxy (address or CIDR) the forwarded address is the client', async () => {
    expect(await ipOf(['127.0.0.1'], '127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
    expect(await ipOf(['10.0.0.0/16'], '10.0.3.4', '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    expect(await ipOf(1, '10.0.3.4', '203.0.113.9')).toBe('203.0.113.9');
  });
  it('from any other peer it is not (a client cannot claim an address)', async () => {
    expect(await ipOf(['10.0.0.0/16'], '192.0.2.7', '203.0.113.9')).toBe('192.0.2.7');
  });
});
