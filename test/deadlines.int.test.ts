/**
 * Deadlines at the HTTP edge, against real servers: the whole API (createApp) on its own FerretDB, started
 * here on a free port and then stopped (SIGKILL) or frozen (SIGSTOP) — never the shared one — and on an
 * AWS endpoint that accepts connections but never answers. Every time the API answers 503 with
 * Retry-After within a few seconds, and answers normally again once the server is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../api/app';
import { loadConfig, ROOT_DIR } from '../platform/config';
import { createRuntime } from '../platform/runtime';
import { connectTemporal } from '../platform/temporal';
import { toProblem } from '../api/error-mapping';

const FERRETDB = path.join(ROOT_DIR, '.stack', 'bin', 'ferretdb');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Until the kernel shows the process stopped (state T): SIGSTOP takes effect once every thread reaches a
 * stopping point, and a thread still finishing a disk write may answer one more query (seen in CI: 200 in 6 ms).
 */
async function stopped(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await sleep(20);
  }
  throw new Error(`process ${child.pid} did not stop within 2 s`);
}

/** A FerretDB of our own, flags as in scripts/stack/layout.js `serverCommand`, data in a temp dir. */
async function startFerret(port: number, dir: string): Promise<ChildProcess> {
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const child = spawn(
    FERRETDB,
    ['--handler=sqlite', `--sqlite-url=file:${dir}/data/`, `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`, '--telemetry=disable', '--debug-addr=-', '--log-level=error'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 80; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (up) return child;
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`FerretDB did not listen on ${port}`);
}

/** A TCP server that accepts connections and never answers (a hung dependency). */
function blackHole(port: number): Promise<Server & { sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(Object.assign(srv, { sockets }))));
}

async function timed(app: FastifyInstance, url: string, init: { method?: 'GET' | 'POST'; payload?: unknown; headers?: Record<string, string> } = {}) {
  const started = Date.now();
  const res = await app.inject({ method: init.method ?? 'GET', url, ...(init.payload ? { payload: init.payload as object } : {}), headers: init.headers ?? {} });
  return { res, ms: Date.now() - started };
}

/** The whole API (createApp) on a config of its own, ready, and how to close what it opened. */
async function apiWith(env: NodeJS.ProcessEnv): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const config = loadConfig(env);
  const runtime = await createRuntime(config);
  const connection = await Connection.connect({ address: config.temporal.address });
  const app = await createApp({ runtime, temporal: new Client({ connection }) }, { logger: false, docsUi: false });
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      await connection.close();
      await runtime.close().catch(() => undefined);
    },
  };
}

describe('MongoDB down or hung: reads answer 503 + Retry-After within 3 s', () => {
  let dir: string;
  let port: number;
  let ferret: ChildProcess;
  let api: Awaited<ReturnType<typeof apiWith>> | undefined;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferret-deadline-'));
    port = await freePort();
    ferret = await startFerret(port, dir);
    api = await apiWith({ ...process.env, MONGODB_URI: `mongodb://127.0.0.1:${port}`, MONGODB_DB: 'deadlines', DATA_DIR: dir, LOG_LEVEL: 'silent' });
    app = api.app;
  }, 60_000);

  afterAll(async () => {
    if (ferret.exitCode === null) {
      ferret.kill('SIGCONT');
      ferret.kill('SIGKILL');
    }
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('up: 200', async () => {
    const { res } = await timed(app, '/restaurants?q=anything');
    expect(res.statusCode).toBe(200);
  });

  test('frozen (SIGSTOP): 503 + Retry-After within 3 s, then 200 again after SIGCONT', async () => {
    ferret.kill('SIGSTOP');
    try {
      await stopped(ferret);
      const { res, ms } = await timed(app, '/restaurants?q=anything');
      console.log(`FerretDB frozen: ${res.statusCode} in ${ms} ms`);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ms).toBeLessThanOrEqual(3000);
    } finally {
      ferret.kill('SIGCONT');
    }
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await timed(app, '/restaurants?q=anything')).res.statusCode;
      if (status !== 200) await sleep(500);
    }
    expect(status).toBe(200);
  }, 30_000);

  test('stopped (SIGKILL): 503 + Retry-After within 3 s', async () => {
    ferret.kill('SIGKILL');
    await new Promise((r) => ferret.once('exit', r));
    for (const url of ['/restaurants?q=anything', '/restaurants/some-id', '/auth/me']) {
      const { res, ms } = await timed(app, url, url === '/auth/me' ? { headers: {} } : {});
      if (url === '/auth/me') {
        expect(res.statusCode).toBe(401); // no token: refused before any read
        continue;
      }
      console.log(`FerretDB stopped: GET ${url} ${res.statusCode} in ${ms} ms`);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(ms).toBeLessThanOrEqual(3000);
    }
  }, 30_000);
});

describe('an AWS endpoint that accepts connections and never answers: writes answer 503 + Retry-After', () => {
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let api: Awaited<ReturnType<typeof apiWith>> | undefined;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aws-deadline-'));
    const port = await freePort();
    hole = await blackHole(port);
    // a short per-attempt deadline, so the SDK's 5 attempts fit in a test; the default is 5 s per attempt
    api = await apiWith({ ...process.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_REQUEST_TIMEOUT_MS: '300', MONGODB_DB: 'deadlines_aws', DATA_DIR: dir, LOG_LEVEL: 'silent' });
    app = api.app;
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    for (const s of hole?.sockets ?? []) s.destroy();
    await new Promise((r) => hole?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('sign-up (an event store write) answers 503 instead of hanging', async () => {
    const { res, ms } = await timed(app, '/auth/register', {
      method: 'POST',
      payload: { email: 'hung@example.com', password: 'correct horse battery', name: 'Hung' },
      headers: { 'content-type': 'application/json' },
    });
    console.log(`AWS hung: POST /auth/register ${res.statusCode} in ${ms} ms`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(ms).toBeLessThan(8000);
  }, 30_000);
});

describe('Temporal: a deadline on connecting and on every call', () => {
  test('a frontend that accepts connections but never answers fails the connect within its timeout', async () => {
    const port = await freePort();
    const hole = await blackHole(port);
    const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_CONNECT_TIMEOUT_MS: '500' });
    const started = Date.now();
    try {
      await expect(connectTemporal(config)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const s of hole.sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  });

  test('the API client gives each call without a deadline of its own the configured one; running out is a 503', async () => {
    const config = loadConfig({ ...process.env });
    const client = await connectTemporal(config, { rpcDeadlineMs: 1 });
    try {
      // at a 1 ms deadline a quick call still succeeds now and then (about 1 in 60 here): five calls, every
      // failure an outage (503: DEADLINE_EXCEEDED, or CANCELLED when it ran out between retries), and some fail
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const err = await client.workflowService.getSystemInfo({}).then(
          () => null,
          (e: unknown) => e,
        );
        if (err !== null) statuses.push(toProblem(err).status);
      }
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((st) => st === 503)).toBe(true);
      // a call with its own deadline keeps it
      const info = await client.connection.withDeadline(Date.now() + 5000, () => client.workflowService.getSystemInfo({}));
      expect(info).toBeDefined();
    } finally {
      await client.connection.close();
    }
  });
});
