/**
 * The whole system as separate processes, for end-to-end tests and benchmarks: N API processes, N
 * reservation workers and one pipeline, on their own AWS resource prefix, Mongo databases, Temporal task
 * queue and data dir (so several systems share the local stack without seeing each other).
 *
 *   const sys = await startSystem({ apis: 2, workers: 2 });
 *   const owner = await signUp(sys.apis[0]!.url);
 *   await json(`${sys.apis[0]!.url}/restaurants`, { method: 'POST', body, token: owner.token });
 *   await sys.stop();
 *
 * Child output goes to one log file per process under `sys.logDir`; its path is printed when start-up
 * fails and when a process exits unexpectedly.
 *
 * The harness is one import: it also re-exports the helpers tests use beside a system (api-client.ts: JSON
 * requests and users; restaurants.ts: restaurant fixtures; polling.ts: `eventually`, `freePort`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { Connection } from '@temporalio/client';
import { loadConfig, ROOT_DIR, type Config } from '../platform/config';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { deprovision, provision } from '../platform/provision';
import { SERVICES, topology } from '../platform/topology';
import { serviceDbName } from '../platform/mongo';
import { loadSigningKey } from '../api/auth/tokens';
import { eventually, freePort } from './polling';
import { workflowBundlePath } from './workflow-bundle';

export { json, login, register, signUp, type JsonResponse, type User } from './api-client';
export { eventually, freePort } from './polling';
export { createRestaurant, localDate, restaurantBody, waitBookable } from './restaurants';
export { workflowBundlePath } from './workflow-bundle';

export interface SystemOptions {
  /** API processes (default 1), each on its own free port. */
  apis?: number;
  /** Reservation workers (default 1). */
  workers?: number;
  /** Used for RESOURCE_PREFIX, MONGODB_DB and the task queue; random by default. At most 20 characters. */
  prefix?: string;
  /** Extra environment for every child (wins over the generated values). */
  env?: Record<string, string>;
  /** Visibility timeout of the consumer queues (default 5 s, so a failed message is retried soon). */
  visibilityTimeoutSeconds?: number;
  /** How long to wait for the APIs to be healthy and the workers to poll (default 90 s). */
  readyTimeoutMs?: number;
  /**
   * Build the workflow bundle once (cached in the OS temp dir by the hash of the workflows/ and domain/ sources) and hand it to
   * every worker through WORKFLOW_BUNDLE_PATH, instead of each worker running webpack (default true).
   */
  prebundle?: boolean;
}

export interface Proc {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited (with its code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface System {
  prefix: string;
  /** The environment every child got (also what `loadConfig(sys.env)` needs to reach the same resources). */
  env: Record<string, string>;
  config: Config;
  logDir: string;
  apis: Array<Proc & { url: string; port: number }>;
  workers: Proc[];
  pipeline: Proc;
  /** Sends a signal to worker i (default SIGKILL) and waits until it has exited. */
  killWorker(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts worker i again (after killWorker) and waits until it polls the task queue. */
  restartWorker(i: number): Promise<Proc>;
  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`), then drops the Mongo dbs and AWS resources unless `keep`. */
  stop(opts?: { graceMs?: number; keep?: boolean }): Promise<void>;
}

function spawnProc(name: string, entry: string, env: Record<string, string>, logDir: string): Proc {
  const logFile = path.join(logDir, `${name}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} starting ${entry}\n`);
  // SYSTEM_NODE_FLAGS: extra Node flags for every process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (not allowed in NODE_OPTIONS)
  const flags = (process.env.SYSTEM_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', entry], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      log.end(`--- ${new Date().toISOString()} exited code=${code} signal=${signal}\n`);
      resolve({ code, signal });
    });
  });
  return { name, process: child, logFile, exited };
}

async function stopProc(p: Proc, graceMs: number): Promise<void> {
  if (p.process.exitCode !== null || p.process.signalCode !== null) return;
  p.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  if (!done) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
}

function isRunning(p: Proc): boolean {
  return p.process.exitCode === null && p.process.signalCode === null;
}

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  const id = opts.prefix ?? `e2e${Date.now().toString(36).slice(-5)}${randomBytes(3).toString('hex')}`;
  const logDir = mkdtempSync(path.join(tmpdir(), `${id}-`));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    RESOURCE_PREFIX: id,
    MONGODB_DB: id,
    TEMPORAL_TASK_QUEUE: `${id}-reservations`,
    DATA_DIR: logDir,
    LOG_LEVEL: 'warn',
    AUTH_PRIVATE_JWK: '',
    AUTH_JWKS_URL: '',
    // every test user signs up from 127.0.0.1: the per-address sign-up limit is not what these tests test
    AUTH_SIGNUPS_PER_IP: '1000',
    ...(opts.prebundle === false ? {} : { WORKFLOW_BUNDLE_PATH: await workflowBundlePath() }),
    ...(opts.env ?? {}),
  };
  const config = loadConfig(env);
  const readyTimeout = opts.readyTimeoutMs ?? 90_000;

  // every API process must sign with the same key: create it before any of them starts
  await loadSigningKey({ dataDir: config.dataDir, privateJwk: config.auth.privateJwk });

  const aws = awsClients(config);
  try {
    await provision(aws, topology(config.resourcePrefix), { visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds ?? 5 });
  } finally {
    destroyAwsClients(aws);
  }

  const procs: Proc[] = [];
  let stopping = false;
  const watch = (p: Proc) => {
    void p.exited.then(({ code, signal }) => {
      if (!stopping && signal !== 'SIGKILL') console.error(`[system ${id}] ${p.name} exited (code ${code}, signal ${signal}); log: ${p.logFile}`);
    });
    procs.push(p);
    return p;
  };

  const apis: System['apis'] = [];
  for (let i = 0; i < (opts.apis ?? 1); i++) {
    const port = await freePort();
    const p = watch(spawnProc(`api-${i}`, 'workers/api.ts', { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }, logDir));
    apis.push(Object.assign(p, { url: `http://127.0.0.1:${port}`, port }));
  }
  const workers: Proc[] = [];
  for (let i = 0; i < (opts.workers ?? 1); i++) workers.push(watch(spawnProc(`worker-${i}`, 'workers/reservation-worker.ts', env, logDir)));
  const pipeline = watch(spawnProc('pipeline', 'workers/pipeline.ts', env, logDir));

  const connection = await Connection.connect({ address: config.temporal.address });
  /** Until a poller of this process (identity `<pid>@<host>`) shows on the workflow task queue. */
  const waitPolling = async (p: Proc) => {
    await eventually(async () => {
      if (!isRunning(p)) throw new Error(`${p.name} exited during start-up; log: ${p.logFile}`);
      const res = await connection.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name: config.temporal.taskQueue, kind: 1 },
        taskQueueType: 1, // workflow
      });
      return (res.pollers ?? []).some((q) => (q.identity ?? '').startsWith(`${p.process.pid}@`));
    }, readyTimeout, 500);
  };

  const stop: System['stop'] = async ({ graceMs = 10_000, keep = false } = {}) => {
    stopping = true;
    await Promise.all(procs.map((p) => stopProc(p, graceMs)));
    // only a queue of this system's own (a caller may point TEMPORAL_TASK_QUEUE at a shared one)
    if (!keep && config.temporal.taskQueue.startsWith(id)) {
      // the stack keeps its data: this system's workflows (open ones wait on timers for days) would pile up in
      // Temporal's database run after run and slow it down; a server-side batch deletes them
      await connection
        .withDeadline(Date.now() + 5000, () =>
          connection.workflowService.startBatchOperation({
            namespace: config.temporal.namespace,
            jobId: `cleanup-${id}-${randomBytes(4).toString('hex')}`,
            reason: `test system ${id} stopped`,
            visibilityQuery: `TaskQueue = '${config.temporal.taskQueue}'`,
            deletionOperation: {},
          }),
        )
        .catch((err: unknown) => console.error(`[system ${id}] could not delete its workflows:`, err));
    }
    await connection.close().catch(() => undefined);
    if (keep) return;
    // the logs stay for a post-mortem; the throwaway signing key does not
    rmSync(path.join(logDir, 'auth'), { recursive: true, force: true });
    const mongo = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000 });
    const clients = awsClients(config);
    try {
      await mongo.connect();
      for (const s of SERVICES) await mongo.db(serviceDbName(config, s)).dropDatabase().catch(() => undefined);
      await deprovision(clients, topology(config.resourcePrefix));
    } catch (err) {
      console.error(`[system ${id}] cleanup failed:`, err);
    } finally {
      await mongo.close().catch(() => undefined);
      destroyAwsClients(clients);
    }
  };

  try {
    await Promise.all([
      ...apis.map((a) =>
        eventually(async () => {
          if (!isRunning(a)) throw new Error(`${a.name} exited during start-up; log: ${a.logFile}`);
          const res = await fetch(`${a.url}/health`);
          if (res.status !== 200) throw new Error(`${a.name} /health ${res.status}: ${await res.text()}`);
          return true;
        }, readyTimeout, 300),
      ),
      ...workers.map(waitPolling),
    ]);
    if (!isRunning(pipeline)) throw new Error(`the pipeline exited during start-up; log: ${pipeline.logFile}`);
  } catch (err) {
    console.error(`[system ${id}] start-up failed; logs in ${logDir}`);
    await stop({ graceMs: 2000 });
    throw err;
  }

  return {
    prefix: id,
    env,
    config,
    logDir,
    apis,
    workers,
    pipeline,
    async killWorker(i, signal = 'SIGKILL') {
      const w = workers[i];
      if (!w) throw new Error(`no worker ${i}`);
      if (!isRunning(w)) return;
      w.process.kill(signal);
      await w.exited;
    },
    async restartWorker(i) {
      const old = workers[i];
      if (!old) throw new Error(`no worker ${i}`);
      if (isRunning(old)) throw new Error(`worker ${i} is still running; killWorker(${i}) first`);
      const p = watch(spawnProc(`worker-${i}`, 'workers/reservation-worker.ts', env, logDir));
      workers[i] = p;
      await waitPolling(p);
      return p;
    },
    stop,
  };
}

