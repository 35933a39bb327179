/**
 * The whole app's OpenAPI document: every route is described (it is built from the route schemas), every
 * write documents its body, and every route documents at least one success and one problem response.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../api/app';
import { loadConfig } from '../platform/config';
import { createRuntime, type Runtime } from '../platform/runtime';

interface Operation {
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

let runtime: Runtime;
let connection: Connection;
let app: FastifyInstance;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, MONGODB_DB: `oapi${Date.now().toString(36)}`, LOG_LEVEL: 'silent' });
  runtime = await createRuntime(config);
  connection = await Connection.connect({ address: config.temporal.address });
  app = await createApp({ runtime, temporal: new Client({ connection }) }, { logger: false, docsUi: true });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await connection?.close();
  await runtime?.close();
});

test('every route is in the OpenAPI document with bodies and responses', () => {
  const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> };
  const expected = [
    'post /auth/register', 'post /auth/login', 'get /auth/me', 'get /.well-known/jwks.json',
    'post /restaurants', 'get /restaurants', 'get /restaurants/{id}', 'patch /restaurants/{id}', 'delete /restaurants/{id}',
    'put /restaurants/{id}/opening-hours', 'put /restaurants/{id}/tables', 'put /restaurants/{id}/policy',
    'get /restaurants/{id}/availability', 'get /restaurants/{id}/reservations',
    'post /reservations', 'get /reservations', 'get /reservations/{id}',
    'post /reservations/{id}/accept', 'post /reservations/{id}/reject', 'post /reservations/{id}/cancel',
    'get /health',
  ];
  const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m} ${p}`, op })));
  const keys = ops.map((o) => o.key);
  for (const e of expected) expect(keys).toContain(e);
  const missing: string[] = [];
  for (const { key, op } of ops) {
    const codes = Object.keys(op.responses ?? {});
    if (!codes.some((c) => c.startsWith('2') || c === '304')) missing.push(`${key}: no success response`);
    if (key !== 'get /health' && !key.includes('jwks') && !codes.some((c) => c.startsWith('4'))) missing.push(`${key}: no problem response`);
    if (/^(post|put|patch) /.test(key) && !op.requestBody && !key.endsWith('/accept')) missing.push(`${key}: no request body`);
  }
  expect(missing).toEqual([]);
});
