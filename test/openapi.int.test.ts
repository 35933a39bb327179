/**
 * The whole app's OpenAPI document: every route is described (it is built from the route schemas), every
 * write documents its body, and every route documents at least one success and one problem response.
 * Problems are documented as application/problem+json, every route documents 503 with Retry-After, and
 * the document is OpenAPI 3.0 (no JSON Schema 2019+ keywords such as a numeric exclusiveMinimum).
 * schemathesis (test/schemathesis.int.test.ts) then checks that the running API keeps these promises.
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
  responses?: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
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
    'get /health', 'get /health/live',
  ];
  const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m} ${p}`, op })));
  const keys = ops.map((o) => o.key);
  for (const e of expected) expect(keys).toContain(e);
  const missing: string[] = [];
  for (const { key, op } of ops) {
    const codes = Object.keys(op.responses ?? {});
    if (!codes.some((c) => c.startsWith('2') || c === '304')) missing.push(`${key}: no success response`);
    // the health checks take no input and need no token: nothing a client could get wrong
    if (!key.startsWith('get /health') && !key.includes('jwks') && !codes.some((c) => c.startsWith('4'))) missing.push(`${key}: no problem response`);
    if (/^(post|put|patch) /.test(key) && !op.requestBody && !key.endsWith('/accept')) missing.push(`${key}: no request body`);
  }
  expect(missing).toEqual([]);
});

test('problems are application/problem+json, every route can say 503 with Retry-After, and it is OpenAPI 3.0', () => {
  const doc = app.swagger() as unknown as { openapi: string; paths: Record<string, Record<string, Operation>> };
  expect(doc.openapi).toMatch(/^3\.0\./);
  const wrong: string[] = [];
  for (const [p, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const key = `${m} ${p}`;
      for (const [code, r] of Object.entries(op.responses ?? {})) {
        // /health's 503 is its own JSON report (which dependency is down), not a problem
        if (Number(code) >= 400 && key !== 'get /health' && Object.keys(r.content ?? {}).join() !== 'application/problem+json') wrong.push(`${key} ${code}: ${Object.keys(r.content ?? {}).join()}`);
      }
      if (key !== 'get /health' && !op.responses?.['503']?.headers?.['retry-after']) wrong.push(`${key}: no 503 with Retry-After`);
    }
  }
  expect(wrong).toEqual([]);
  expect(JSON.stringify(doc)).not.toMatch(/"exclusive(Minimum|Maximum)":\s*-?\d/);
});

test('an undeclared method on a documented path is 405 with Allow, problem+json', async () => {
  const res = await app.inject({ method: 'DELETE', url: '/auth/login' });
  expect(res.statusCode).toBe(405);
  expect(res.headers.allow).toBe('POST');
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
});
