/**
 * The system a benchmark runs against (test/system.ts startSystem, with the bench's settings), its processes
 * named for the CPU report, and the waits that let it settle between phases.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Connection } from '@temporalio/client';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { createRuntime, type Runtime } from '../platform/runtime';
import { resolveTopology } from '../platform/provision';
import { topology } from '../platform/topology';
import { startSystem, type System } from '../test/system';
import { cpuSampler } from './cpu';

/** Runs `fn` against a fresh system of `apis` API and `workers` worker processes (a prefix of its own), stopped and removed after, also on Ctrl-C. */
export async function withSystem<T>(apis: number, workers: number, fn: (sys: System) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const sys = await startSystem({
    apis,
    workers,
    prefix: `bench${randomBytes(3).toString('hex')}`,
    env: {
      AUTH_TOKEN_TTL_SECONDS: '3600',
      LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // the hot-restaurant phase signs in 64 diners from 127.0.0.1 at once
      AUTH_LOGIN_ATTEMPTS_PER_IP: '1000',
      ...env,
    },
    // the default 30 s: the bench wants no redelivery churn
    visibilityTimeoutSeconds: 30,
  });
  console.log(`system ${sys.prefix}: ${apis} API process(es), ${workers} reservation worker(s), 1 pipeline; logs in ${sys.logDir}`);
  // Ctrl-C: stop the children and remove the run's resources rather than leave them running
  const interrupted = () => void sys.stop({ graceMs: 2000 }).finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await fn(sys);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await sys.stop({ graceMs: 5000 });
  }
}

/** The system's own processes (API, workers, pipeline). */
export function systemPids(sys: System): number[] {
  return [...sys.apis, ...sys.workers, sys.pipeline].map((p) => p.process.pid).filter((p): p is number => p !== undefined);
}

/** pid → process name (api, worker, pipeline, and the floor's worker when given). */
export function pidLabels(sys: System, floor?: { pid: number }): Map<number, string> {
  const m = new Map<number, string>();
  sys.apis.forEach((a) => a.process.pid && m.set(a.process.pid, 'api'));
  sys.workers.forEach((w) => w.process.pid && m.set(w.process.pid, 'worker'));
  if (sys.pipeline.process.pid) m.set(sys.pipeline.process.pid, 'pipeline');
  if (floor) m.set(floor.pid, 'floor worker');
  return m;
}

// Pipeline backlog: between phases, let the projections catch up so one phase's backlog does not tax the next

export async function waitForPipeline(sys: System, timeoutMs = 90_000): Promise<{ seconds: number; depth: number }> {
  const config = loadConfig(sys.env);
  const aws = awsClients(config);
  const t0 = Date.now();
  let depth = 0;
  try {
    const resolved = await resolveTopology(aws, topology(config.resourcePrefix));
    const urls = Object.values(resolved.queues).map((q) => q.url);
    let quiet = 0;
    while (Date.now() - t0 < timeoutMs) {
      const depths = await Promise.all(
        urls.map(async (QueueUrl) => {
          const a = await aws.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          );
          return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        }),
      );
      depth = depths.reduce((a, b) => a + b, 0);
      // the forwarders poll the streams: empty queues twice in a row, a second apart, means caught up
      quiet = depth === 0 ? quiet + 1 : 0;
      if (quiet >= 2) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    destroyAwsClients(aws);
  }
  return { seconds: (Date.now() - t0) / 1000, depth };
}

/**
 * Until `taskQueue` has no workflow or activity task waiting and its worker processes (`pids`) are nearly
 * idle: a request the client gave up on still runs to the end, and a phase must not inherit the previous
 * one's backlog. (Visibility is no help here: the dev server's search-attribute updates lag under load.)
 */
export async function waitForTaskQueue(sys: System, taskQueue: string, pids: number[], timeoutMs = 300_000): Promise<{ seconds: number; backlog: number }> {
  const config = loadConfig(sys.env);
  const connection = await Connection.connect({ address: config.temporal.address });
  const t0 = Date.now();
  let backlog = 0;
  let quiet = 0;
  const labels = new Map(pids.map((p) => [p, 'worker']));
  try {
    while (Date.now() - t0 < timeoutMs) {
      const cpu = cpuSampler(labels);
      const counts = await Promise.all(
        [1, 2].map(async (taskQueueType) => {
          const res = await connection.workflowService.describeTaskQueue({
            namespace: config.temporal.namespace,
            taskQueue: { name: taskQueue, kind: 1 },
            taskQueueType,
            reportStats: true,
          });
          return Number(res.stats?.approximateBacklogCount ?? 0);
        }),
      );
      backlog = counts[0]! + counts[1]!;
      await new Promise((r) => setTimeout(r, 1000));
      const busy = cpu.stop().byLabel.find((x) => x.label === 'worker')?.percent ?? 0;
      quiet = backlog === 0 && busy < 10 * pids.length ? quiet + 1 : 0;
      if (quiet >= 2) break;
    }
  } finally {
    await connection.close();
  }
  return { seconds: (Date.now() - t0) / 1000, backlog };
}

/** The reservation task queue drained and its workers idle, then the pipeline's queues empty. */
export async function settle(sys: System): Promise<void> {
  const workers = sys.workers.map((w) => w.process.pid).filter((p): p is number => p !== undefined);
  const b = await waitForTaskQueue(sys, sys.config.temporal.taskQueue, workers);
  const w = await waitForPipeline(sys);
  console.log(
    `    (settled: workflow backlog done in ${b.seconds.toFixed(0)} s${b.backlog ? `, ${b.backlog} tasks still queued` : ''}; ` +
      `pipeline caught up in ${w.seconds.toFixed(0)} s${w.depth ? `, ${w.depth} messages still queued` : ''})`,
  );
}

/**
 * The bench's own connection to the system's stores and read models (closed by the caller), with MongoDB
 * deadlines of minutes rather than the app's 1.8 s: seeding 100,000 documents and emptying them for the
 * rebuild are single long operations on FerretDB.
 */
export function runtimeOf(sys: System): Promise<Runtime> {
  return createRuntime(loadConfig({ ...sys.env, MONGODB_TIMEOUT_MS: '300000', MONGODB_SERVER_SELECTION_TIMEOUT_MS: '10000' }));
}
