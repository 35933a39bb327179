/**
 * An API process serving only some services (API_SERVICES), on the local stack: with catalog alone it
 * answers the catalog's routes, 404 for the other services' paths, verifies tokens with the auth service's
 * published keys over HTTP (no signing key of its own), and never touches Temporal, /health included.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../platform/config';
import { createRuntime, type Runtime } from '../platform/runtime';
import { createApp } from './app';
import { createTokenService, generateSigningJwk, loadSigningKey } from './auth/tokens';

let dataDir: string;
let runtime: Runtime;
let app: FastifyInstance;
let jwksServer: Server;
let jwksHits = 0;
let validToken: string;
let foreignToken: string;
/** Any use of the Temporal client this process was handed (it must not use it). */
const temporalUses: string[] = [];

async function tokenSignedBy(config: ReturnType<typeof loadConfig>) {
  const key = await loadSigningKey({ dataDir: '/nonexistent', privateJwk: JSON.stringify(await generateSigningJwk()) });
  const tokens = createTokenService({ key, issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: 300 });
  return { key, token: (await tokens.issueToken({ userId: 'u-1', email: 'ada@example.com', ownedRestaurantIds: [] })).accessToken };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'services-'));
  const base = loadConfig({ LOG_LEVEL: 'silent' });
  const issuer = await tokenSignedBy(base);
  validToken = issuer.token;
  foreignToken = (await tokenSignedBy(base)).token;
  // the auth service's published keys, as another process would serve them
  jwksServer = createServer((req, res) => {
    jwksHits++;
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [issuer.key.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const { port } = jwksServer.address() as AddressInfo;

  const config = loadConfig({
    ...process.env,
    API_SERVICES: 'catalog',
    AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    AUTH_PRIVATE_JWK: '',
    DATA_DIR: dataDir,
    MONGODB_DB: `svc${Date.now().toString(36)}`,
    LOG_LEVEL: 'silent',
  });
  runtime = await createRuntime(config);
  const temporal = new Proxy({}, {
    get(_target, prop) {
      temporalUses.push(String(prop));
      throw new Error(`a catalog-only process used its Temporal client (${String(prop)})`);
    },
  }) as Client;
  app = await createApp({ runtime, temporal }, { logger: false, docsUi: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

test('answers the catalog routes', async () => {
  const list = await app.inject({ method: 'GET', url: '/restaurants' });
  expect(list.statusCode).toBe(200);
  expect(list.json()).toHaveProperty('items');
  // the catalog's own validation answers (no store read: the stack's default tables need not exist)
  const bad = await app.inject({ method: 'GET', url: '/restaurants?unknown=1' });
  expect(bad.statusCode).toBe(400);
  expect(bad.headers['content-type']).toMatch(/problem\+json/);
});

test.each([
  ['GET', '/reservations'],
  ['POST', '/reservations'],
  ['GET', '/reservations/r-1'],
  ['GET', '/restaurants/r-1/availability?date=2030-01-01&partySize=2'],
  ['GET', '/restaurants/r-1/reservations'],
  ['POST', '/auth/login'],
  ['GET', '/.well-known/jwks.json'],
] as const)('%s %s is another service’s: 404', async (method, url) => {
  const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) });
  expect(res.statusCode).toBe(404);
});

test("verifies tokens with the auth service's published keys, and holds no signing key", async () => {
  const ok = await app.inject({ method: 'GET', url: '/restaurants', headers: { authorization: `Bearer ${validToken}` } });
  expect(ok.statusCode).toBe(200);
  expect(jwksHits).toBeGreaterThan(0);
  const foreign = await app.inject({ method: 'GET', url: '/restaurants', headers: { authorization: `Bearer ${foreignToken}` } });
  expect(foreign.statusCode).toBe(401);
  // the auth service would have created <dataDir>/auth/signing-key.json
  expect(existsSync(path.join(dataDir, 'auth'))).toBe(false);
});

test('/health checks what this process uses: not Temporal', async () => {
  const res = await app.inject({ method: 'GET', url: '/health' });
  expect(res.statusCode).toBe(200);
  expect(Object.keys(res.json<{ dependencies: object }>().dependencies).sort()).toEqual(['dynamodb', 'mongodb', 'sqs']);
});

test('the OpenAPI document lists only the routes this process serves', async () => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
  expect(paths).toContain('/restaurants');
  expect(paths).toContain('/health');
  expect(paths.filter((p) => p.startsWith('/reservations') || p.startsWith('/auth') || p.includes('availability'))).toEqual([]);
});

// last: after every request above
test('the Temporal client it was handed was never used', () => {
  expect(temporalUses).toEqual([]);
});
