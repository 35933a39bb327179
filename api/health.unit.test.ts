import { buildServer } from './server';
import { healthRoutes } from './health';

const app = (checks: Record<string, () => Promise<void>>) => buildServer({ plugins: [healthRoutes(checks)], docsUi: false });

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
});
