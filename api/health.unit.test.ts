import { buildServer } from './server';
import { type DeadLetterCount, healthRoutes } from './health';

const app = (checks: Record<string, () => Promise<void>>, deadLetters?: DeadLetterCount) =>
  buildServer({ plugins: [healthRoutes(checks, deadLetters ? { deadLetters } : {})], docsUi: false });

test('200 with each dependency up', async () => {
  const server = await app({ dynamodb: async () => undefined, mongodb: async () => undefined });
  const res = await server.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ status: 'ok', dependencies: { dynamodb: { status: 'up' }, mongodb: { status: 'up' } } });
});

test('503 naming the dependency that is down', async () => {
  const server = await app({
    dynamodb: async () => undefined,
    temporal: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:7233');
    },
  });
  const res = await server.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(503);
  expect(res.json()).toMatchObject({
    status: 'degraded',
    dependencies: { dynamodb: { status: 'up' }, temporal: { status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:7233' } },
  });
});

test('dead letters are counted per consumer and keep the API healthy (200)', async () => {
  const server = await app({ sqs: async () => undefined }, async () => ({ 'catalog-restaurants': 2, 'auth-users': 0 }));
  const res = await server.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({
    status: 'ok',
    dependencies: { sqs: { status: 'up', latencyMs: expect.any(Number) } },
    deadLetters: { 'catalog-restaurants': 2, 'auth-users': 0 },
  });
});

test('dead letters that cannot be counted leave the field out; the status comes from the dependencies', async () => {
  const server = await app({ sqs: async () => undefined }, async () => {
    throw new Error('sqs unreachable');
  });
  const res = await server.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).not.toHaveProperty('deadLetters');
});

test('unknown routes and schema violations are problem+json', async () => {
  const server = await app({});
  const res = await server.inject({ method: 'GET', url: '/nope' });
  expect(res.statusCode).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: 404, title: 'Not Found' });
});

test('the OpenAPI document lists the routes', async () => {
  const server = await app({});
  await server.ready();
  const doc = server.swagger() as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths)).toContain('/health');
  // the dead-letter counts are documented in the response schema
  expect(JSON.stringify(doc)).toContain('dead-letter queue');
});

test('/health/live is 200 {status: ok} without running any check, even when every dependency is down', async () => {
  let ran = 0;
  const down = async () => {
    ran++;
    throw new Error('connect ECONNREFUSED');
  };
  const server = await app({ mongodb: down, temporal: down }, async () => {
    ran++;
    return {};
  });
  const res = await server.inject({ method: 'GET', url: '/health/live' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ status: 'ok' });
  expect(ran).toBe(0);
  expect((await server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
});
