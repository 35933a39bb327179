/**
 * Booking benchmark (not a test): auto-accepted `POST /reservations` through the whole system (API →
 * Update-with-Start → reservation workflow → activities on DynamoDB/moto → pipeline → projections), next to
 * the floor: a bare workflow with one activity doing one PutItem, started the same way (Update-with-Start)
 * through the Temporal client directly, on its own worker process and task queue.
 *
 *   npx tsx bench/bookings.ts [--apis 1] [--workers 1] [--rate 50] [--duration 60] [--concurrency 32]
 *                             [--steps 25,50,75,100] [--step-duration 15] [--saturation-duration 20]
 *
 * Every POST is a distinct free table-slot: restaurants × dates × 15-minute slots, 20 tables each, the
 * index walking restaurants first, then dates, so consecutive bookings land on different ledger streams.
 *
 * Also: `tsx bench/bookings.ts floor-worker` is the floor's worker process (spawned by the bench).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig, ROOT_DIR } from '../platform/config';
import { createEventTable } from '../eventstore/dynamodb';
import { resolveTopology } from '../platform/provision';
import { topology } from '../platform/topology';
import { startSystem, type System } from '../test/system';
import { costMeter, type CostWindow } from './aws-count';
import { floorUpdate } from './floor-workflow';
import { runMain } from './cli';
import { countingProxy } from './counting-proxy';
import { cpuPerOpText, cpuSampler, cpuText, type CpuReport } from './cpu';
import { assertLoopback, request } from './http';
import { describe, printErrorSamples, runLoad, type LoadResult, type Outcome } from './load';

// ---------------------------------------------------------------------------------------------------
// Fixture: owner, customers, restaurants known to the reservation replica

const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const TABLES = 20;
const SLOT_MINUTES = 15;
/** 00:00–23:45 with 15-minute turns: starts 00:00 … 23:30. */
const SLOTS = Array.from({ length: 95 }, (_, k) => `${String(Math.floor((k * SLOT_MINUTES) / 60)).padStart(2, '0')}:${String((k * SLOT_MINUTES) % 60).padStart(2, '0')}`);

export interface Fixture {
  apiUrls: string[];
  ownerToken: string;
  customerTokens: string[];
  restaurantIds: string[];
  /** Bookable local dates (UTC restaurants): tomorrow + 1 … well inside maxAdvanceDays. */
  dates: string[];
  slots: string[];
}

export function restaurantBody(n: number) {
  return {
    name: `Bench Bistro ${n}`,
    cuisine: 'bistro',
    description: 'benchmark restaurant',
    phone: '+33 1 00 00 00 00',
    address: `${n} rue du Bench, Paris`,
    location: { lat: 48.85 + n / 1000, lon: 2.35 },
    // UTC: no DST gap can make a wall-clock slot disappear
    timezone: 'UTC',
    openingHours: Object.fromEntries(WEEK.map((d) => [d, [{ open: '00:00', close: '23:45' }]])),
    tables: Array.from({ length: TABLES }, (_, t) => ({ id: `t${t + 1}`, seats: 4 })),
    policy: {
      acceptance: 'auto',
      maxPartySize: 4,
      turnMinutes: SLOT_MINUTES,
      slotMinutes: SLOT_MINUTES,
      decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 0,
      maxAdvanceDays: 60,
      cancellationCutoffMinutes: 0,
      reminderMinutesBefore: 0,
      // customers take turns (bookingOp), but a long run books each ledger many times
      maxBookingsPerCustomerPerDay: 20,
    },
  };
}

async function expectStatus<T>(p: Promise<{ status: number; body: T }>, want: number, what: string): Promise<T> {
  const r = await p;
  if (r.status !== want) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

export async function signUp(api: string, name: string): Promise<string> {
  const email = `${name}-${randomBytes(5).toString('hex')}@bench.example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await expectStatus(request(api, 'POST', '/auth/register', { body: { email, password, name } }), 201, `register ${name}`);
  const { accessToken } = await expectStatus(
    request<{ accessToken: string }>(api, 'POST', '/auth/login', { body: { email, password } }),
    200,
    `login ${name}`,
  );
  return accessToken;
}

export async function prepareFixture(apiUrls: string[], opts: { restaurants?: number; customers?: number; days?: number } = {}): Promise<Fixture> {
  for (const u of apiUrls) assertLoopback(u);
  const api = apiUrls[0]!;
  const ownerToken = await signUp(api, 'owner');
  // logins are rate limited per IP (50/min per API process): a handful of customers is plenty
  const customerTokens: string[] = [];
  for (let c = 0; c < (opts.customers ?? 10); c++) customerTokens.push(await signUp(apiUrls[c % apiUrls.length]!, `customer${c}`));
  const restaurantIds: string[] = [];
  for (let n = 0; n < (opts.restaurants ?? 8); n++) {
    const { restaurantId } = await expectStatus(
      request<{ restaurantId: string }>(api, 'POST', '/restaurants', { body: restaurantBody(n), token: ownerToken }),
      201,
      `create restaurant ${n}`,
    );
    restaurantIds.push(restaurantId);
  }
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const dates = Array.from({ length: opts.days ?? 55 }, (_, k) => new Date(today + (k + 2) * 86_400_000).toISOString().slice(0, 10));
  // the reservation replica is fed by the pipeline: wait until every API answers availability for each
  const deadline = Date.now() + 120_000;
  for (const id of restaurantIds) {
    for (const u of apiUrls) {
      for (;;) {
        const r = await request(u, 'GET', `/restaurants/${id}/availability?date=${dates[0]}&partySize=2`);
        if (r.status === 200) break;
        if (r.status !== 404) throw new Error(`availability of ${id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        if (Date.now() > deadline) throw new Error(`restaurant ${id} did not reach the reservation replica within 120 s`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }
  return { apiUrls, ownerToken, customerTokens, restaurantIds, dates, slots: SLOTS };
}

/** Booking i: restaurants vary fastest, then dates, then slots, so neighbours never share a ledger stream. */
export function bookingOf(f: Fixture, i: number): { restaurantId: string; start: string } {
  const R = f.restaurantIds.length;
  const D = f.dates.length;
  const S = f.slots.length;
  const r = i % R;
  const d = Math.floor(i / R) % D;
  const s = Math.floor(i / (R * D)) % S;
  if (i >= R * D * S * TABLES) throw new Error('booking index past the fixture capacity');
  return { restaurantId: f.restaurantIds[r]!, start: `${f.dates[d]}T${f.slots[s]}` };
}

function outcomeOf(r: { status: number; body: unknown }, want: number): Outcome {
  if (r.status === want) return { ok: true, status: r.status };
  const b = r.body as { detail?: string; code?: string } | string;
  const detail = typeof b === 'string' ? b : `${b.code ?? ''} ${b.detail ?? JSON.stringify(b)}`;
  return { ok: false, status: r.status, detail };
}

export function bookingOp(f: Fixture): (i: number) => Promise<Outcome> {
  return async (i) => {
    const { restaurantId, start } = bookingOf(f, i);
    const r = await request(f.apiUrls[i % f.apiUrls.length]!, 'POST', '/reservations', {
      body: { restaurantId, partySize: 2, start },
      // the next customer for each next booking of the same ledger too (the per-customer daily limit)
      token: f.customerTokens[(i + Math.floor(i / (f.restaurantIds.length * f.dates.length))) % f.customerTokens.length]!,
    });
    return outcomeOf(r, 201);
  };
}

// ---------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------
// The floor: bare workflow + one PutItem, own worker process and task queue

export interface Floor {
  taskQueue: string;
  client: Client;
  pid: number;
  stop(): Promise<void>;
}

export async function startFloor(sys: System): Promise<Floor> {
  const config = loadConfig(sys.env);
  const taskQueue = `${sys.prefix}-floor`;
  const table = `${sys.prefix}-floor`;
  const aws = awsClients(config);
  // the same table shape the event store writes (no forwarder reads this one)
  await createEventTable(aws.dynamodb, table);
  const env = { ...sys.env, FLOOR_TASK_QUEUE: taskQueue, FLOOR_TABLE: table };
  const log = createWriteStream(path.join(sys.logDir, 'floor-worker.log'), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bookings.ts', 'floor-worker'], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // ready when its poller shows on the task queue
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the floor worker exited during start-up; see ${path.join(sys.logDir, 'floor-worker.log')}`);
    const res = await connection.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name: taskQueue, kind: 1 }, taskQueueType: 1 });
    if ((res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(`${child.pid}@`))) break;
    if (Date.now() > deadline) throw new Error('the floor worker did not poll within 90 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    taskQueue,
    client,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await connection.close().catch(() => undefined);
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      destroyAwsClients(aws);
    },
  };
}

export function floorOp(floor: Floor, runId: string): (i: number) => Promise<Outcome> {
  return async (i) => {
    const id = `${runId}-${i}`;
    try {
      await floor.client.workflow.executeUpdateWithStart(floorUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation('floorWorkflow', {
          workflowId: `floor-${id}`,
          taskQueue: floor.taskQueue,
          args: [id],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      return { ok: true, status: 'ok' };
    } catch (err) {
      return { ok: false, status: err instanceof Error ? err.name : 'error', detail: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** The floor worker process: one activity, one PutItem of an event-sized item. */
async function floorWorkerMain(): Promise<void> {
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const config = loadConfig();
  const table = process.env.FLOOR_TABLE!;
  const aws = awsClients(config);
  const data = JSON.stringify({ reservationId: 'x', restaurantId: 'r', partySize: 2, start: '2030-01-01T19:00', end: '2030-01-01T19:15', tableId: 't1' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: process.env.FLOOR_TASK_QUEUE!,
    workflowsPath: require.resolve('./floor-workflow'),
    activities: {
      async putItem(id: string): Promise<void> {
        await aws.dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              streamId: { S: `floor-${id}` },
              version: { N: '1' },
              eventId: { S: id },
              type: { S: 'FloorEvent' },
              service: { S: 'reservation' },
              data: { S: data },
              metadata: { S: JSON.stringify({ occurredAt: new Date().toISOString() }) },
            },
          }),
        );
      },
    },
    // the reservation worker's settings
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    shutdownGraceTime: '5 seconds',
  });
  await worker.run();
  await connection.close();
  destroyAwsClients(aws);
}

// ---------------------------------------------------------------------------------------------------
// The benchmark

export interface BookingBenchOptions {
  /** Sustained phase: offered arrivals per second, for durationS. */
  rate: number;
  durationS: number;
  /** Saturation phases (bookings and floor): closed loop at this concurrency, for saturationS. */
  concurrency: number;
  saturationS: number;
  /** Step phases: offered rates, stepS each (empty: skip). */
  steps: number[];
  stepS: number;
  /** Skip the floor. */
  noFloor?: boolean;
  /** Where the system's processes write their AWS request counts (bench/aws-count.ts), if they do. */
  countDir?: string;
}

export interface PhaseResult {
  name: string;
  result: LoadResult;
  cpu: CpuReport;
}

export interface BookingBenchResult {
  sustained: PhaseResult;
  saturation?: PhaseResult;
  floorSaturation?: PhaseResult;
  floorAtRate?: PhaseResult;
  steps: PhaseResult[];
  /** First step whose p99 exceeded 1 s or whose throughput fell short of 95 % of its rate. */
  knee?: number;
  /** CPU and AWS requests from the start of the saturation phase until the system settled after it. */
  saturationCost?: CostWindow;
}

export const GOAL_RATE = 50;
export const GOAL_P99_MS = 1000;

/** The system's own processes (API, workers, pipeline). */
export function systemPids(sys: System): number[] {
  return [...sys.apis, ...sys.workers, sys.pipeline].map((p) => p.process.pid).filter((p): p is number => p !== undefined);
}

export function pidLabels(sys: System, floor?: Floor): Map<number, string> {
  const m = new Map<number, string>();
  sys.apis.forEach((a) => a.process.pid && m.set(a.process.pid, 'api'));
  sys.workers.forEach((w) => w.process.pid && m.set(w.process.pid, 'worker'));
  if (sys.pipeline.process.pid) m.set(sys.pipeline.process.pid, 'pipeline');
  if (floor) m.set(floor.pid, 'floor worker');
  return m;
}

async function phase(name: string, labels: Map<number, string>, run: () => Promise<LoadResult>): Promise<PhaseResult> {
  const cpu = cpuSampler(labels);
  const result = await run();
  const report = cpu.stop();
  console.log(`  ${name}: ${describe(result)}`);
  printErrorSamples(result);
  console.log(`    ${cpuText(report)}`);
  console.log(`    ${cpuPerOpText(report, result.ok)}`);
  return { name, result, cpu: report };
}

export async function benchBookings(sys: System, f: Fixture, o: BookingBenchOptions): Promise<BookingBenchResult> {
  let index = 0;
  const op = bookingOp(f);
  const floor = o.noFloor ? undefined : await startFloor(sys);
  const labels = pidLabels(sys, floor);
  // an open-loop phase more than ~5 s behind has missed p99 ≤ 1 s for good: stop it rather than pile up work
  const giveUp = (rate: number) => Math.max(20, Math.round(rate * 5));
  try {
    // warm-up: bundles are loaded, connections open, JIT warm
    const warm = await runLoad({ label: 'warm-up', op, concurrency: 8, count: 50, firstIndex: index });
    index = warm.nextIndex;
    console.log(`  warm-up: ${describe(warm)}`);
    await settle(sys);

    const sustained = await phase(`bookings sustained @ ${o.rate}/s`, labels, () =>
      runLoad({ label: 'sustained', op, rate: o.rate, durationMs: o.durationS * 1000, firstIndex: index, giveUpInFlight: giveUp(o.rate) }),
    );
    index = sustained.result.nextIndex;
    await settle(sys);

    const steps: PhaseResult[] = [];
    let knee: number | undefined;
    for (const r of o.steps) {
      const s = await phase(`bookings step @ ${r}/s`, labels, () =>
        runLoad({ label: `step ${r}`, op, rate: r, durationMs: o.stepS * 1000, firstIndex: index, giveUpInFlight: giveUp(r) }),
      );
      index = s.result.nextIndex;
      steps.push(s);
      await settle(sys);
      if (s.result.gaveUpAtS !== undefined || s.result.latency.p99 > GOAL_P99_MS || s.result.throughput < r * 0.95) {
        knee = r;
        break;
      }
    }

    let saturation: PhaseResult | undefined;
    let saturationCost: CostWindow | undefined;
    if (o.saturationS > 0) {
      const meter = costMeter(labels, o.countDir, systemPids(sys));
      saturation = await phase(`bookings saturation, concurrency ${o.concurrency}`, labels, () =>
        runLoad({ label: 'saturation', op, concurrency: o.concurrency, durationMs: o.saturationS * 1000, firstIndex: index }),
      );
      index = saturation.result.nextIndex;
      await settle(sys);
      saturationCost = await meter.stop();
    }

    let floorSaturation: PhaseResult | undefined;
    let floorAtRate: PhaseResult | undefined;
    if (floor) {
      const runId = randomBytes(4).toString('hex');
      const fop = floorOp(floor, runId);
      const fw = await runLoad({ label: 'floor warm-up', op: fop, concurrency: 8, count: 200, firstIndex: 0 });
      floorAtRate = await phase(`floor @ ${o.rate}/s (client → Temporal directly)`, labels, () =>
        runLoad({ label: 'floor rate', op: fop, rate: o.rate, durationMs: Math.min(o.durationS, 30) * 1000, firstIndex: fw.nextIndex, giveUpInFlight: giveUp(o.rate) }),
      );
      await waitForTaskQueue(sys, floor.taskQueue, [floor.pid]);
      if (o.saturationS > 0) {
        floorSaturation = await phase(`floor saturation, concurrency ${o.concurrency} (client → Temporal directly)`, labels, () =>
          runLoad({ label: 'floor saturation', op: fop, concurrency: o.concurrency, durationMs: o.saturationS * 1000, firstIndex: floorAtRate!.result.nextIndex }),
        );
      }
    }
    return {
      sustained,
      steps,
      ...(knee !== undefined ? { knee } : {}),
      ...(saturation ? { saturation } : {}),
      ...(saturationCost ? { saturationCost } : {}),
      ...(floorSaturation ? { floorSaturation } : {}),
      ...(floorAtRate ? { floorAtRate } : {}),
    };
  } finally {
    await floor?.stop();
  }
}

export function bookingSummary(r: BookingBenchResult): string[] {
  const lines: string[] = [];
  const s = r.sustained.result;
  const pass = s.gaveUpAtS === undefined && s.throughput >= GOAL_RATE && s.latency.p99 <= GOAL_P99_MS;
  const gaveUp = s.gaveUpAtS === undefined ? '' : `, gave up after ${s.gaveUpAtS.toFixed(0)} s: ${s.issued} issued, more than 5 s behind`;
  lines.push(
    `bookings: ${s.throughput.toFixed(1)}/s sustained over ${s.elapsedS.toFixed(0)} s at ${s.target}/s offered (${s.ok} ok, ` +
      `${s.issued - s.ok} errors${gaveUp}), p50 ${Math.round(s.latency.p50)} ms, p99 ${Math.round(s.latency.p99)} ms ` +
      `(goal ≥ ${GOAL_RATE}/s, p99 ≤ ${GOAL_P99_MS} ms): ${pass ? 'PASS' : 'FAIL'}`,
  );
  if (r.steps.length) {
    lines.push(
      `bookings steps: ${r.steps.map((p) => `${p.result.target}/s → ${p.result.throughput.toFixed(1)}/s p99 ${Math.round(p.result.latency.p99)} ms`).join('; ')}` +
        (r.knee !== undefined ? ` (p99 > 1 s or throughput < 95 % from ${r.knee}/s)` : ' (no step crossed p99 1 s)'),
    );
  }
  if (r.saturation) {
    const b = r.saturation.result;
    lines.push(`bookings max: ${b.throughput.toFixed(1)}/s at concurrency ${b.target} (p50 ${Math.round(b.latency.p50)} ms, p99 ${Math.round(b.latency.p99)} ms, ${b.issued - b.ok} errors)`);
  }
  if (r.floorAtRate) {
    const fr = r.floorAtRate.result;
    lines.push(`floor @ ${fr.target}/s: ${fr.throughput.toFixed(1)}/s, p50 ${Math.round(fr.latency.p50)} ms, p99 ${Math.round(fr.latency.p99)} ms (bare workflow + 1 PutItem, Update-with-Start via the Temporal client)`);
  }
  if (r.floorSaturation && r.saturation) {
    const fl = r.floorSaturation.result;
    const ratio = r.saturation.result.throughput / fl.throughput;
    lines.push(
      `floor max: ${fl.throughput.toFixed(1)}/s at concurrency ${fl.target} (p50 ${Math.round(fl.latency.p50)} ms, p99 ${Math.round(fl.latency.p99)} ms); ` +
        `bookings/floor = ${(ratio * 100).toFixed(0)} % (goal ≥ 50 %): ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// CLI

export const bookingArgs = {
  apis: { type: 'string', default: '1' },
  workers: { type: 'string', default: '1' },
  rate: { type: 'string', default: String(GOAL_RATE) },
  duration: { type: 'string', default: '60' },
  concurrency: { type: 'string', default: '16' },
  'saturation-duration': { type: 'string', default: '20' },
  steps: { type: 'string', default: '5,10,25,50,75' },
  'step-duration': { type: 'string', default: '15' },
  'no-floor': { type: 'boolean', default: false },
  /** Instead of timing: count the AWS requests N bookings cause, through a counting proxy in front of moto. */
  'count-aws': { type: 'string', default: '' },
  restaurants: { type: 'string', default: '8' },
} as const;

export function bookingOptions(v: Record<string, string | boolean | undefined>): BookingBenchOptions {
  const n = (k: string) => Number(v[k]);
  return {
    rate: n('rate'),
    durationS: n('duration'),
    concurrency: n('concurrency'),
    saturationS: n('saturation-duration'),
    steps: String(v.steps ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
    stepS: n('step-duration'),
    noFloor: v['no-floor'] === true,
  };
}

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

/** AWS requests per booking, by API, through a counting proxy (the pipeline's polling included). */
export async function countAwsPerBooking(n: number, apis: number, workers: number): Promise<string[]> {
  const target = loadConfig().aws.endpoint;
  if (!target) throw new Error('counting needs a local AWS endpoint');
  const proxy = await countingProxy(target);
  try {
    return await withSystem(
      apis,
      workers,
      async (sys) => {
        const f = await prepareFixture(sys.apis.map((a) => a.url));
        await waitForPipeline(sys);
        const op = bookingOp(f);
        await runLoad({ label: 'warm', op, concurrency: 4, count: 20 });
        await waitForPipeline(sys);
        // idle polling over a window as long as the measured one, to subtract it
        proxy.reset();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 10_000));
        const idle = proxy.counts();
        const idleS = (performance.now() - t0) / 1000;
        proxy.reset();
        const t1 = performance.now();
        const r = await runLoad({ label: 'count', op, concurrency: 4, count: n, firstIndex: 1000 });
        await waitForPipeline(sys);
        const busyS = (performance.now() - t1) / 1000;
        const busy = proxy.counts();
        const lines = [`AWS requests per booking (${r.ok} bookings ok; background polling over the same time subtracted):`];
        let total = 0;
        const rows = [...busy.entries()]
          .map(([api, c]) => ({ api, per: (c - ((idle.get(api) ?? 0) * busyS) / idleS) / r.ok }))
          .filter((x) => x.per >= 0.05)
          .sort((a, b) => b.per - a.per);
        for (const x of rows) {
          total += x.per;
          lines.push(`  ${x.api.padEnd(34)} ${x.per.toFixed(2)}`);
        }
        lines.push(`  ${'total'.padEnd(34)} ${total.toFixed(2)}   (the floor: 1 DynamoDB PutItem)`);
        return lines;
      },
      { AWS_ENDPOINT_URL: proxy.url },
    );
  } finally {
    await proxy.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'floor-worker') return floorWorkerMain();
  const { values } = parseArgs({ options: bookingArgs });
  if (values['count-aws']) {
    for (const l of await countAwsPerBooking(Number(values['count-aws']), Number(values.apis), Number(values.workers))) console.log(l);
    return;
  }
  const opts = bookingOptions(values);
  await withSystem(Number(values.apis), Number(values.workers), async (sys) => {
    const f = await prepareFixture(sys.apis.map((a) => a.url), { restaurants: Number(values.restaurants) });
    console.log(`fixture: ${f.restaurantIds.length} restaurants × ${TABLES} tables × ${f.dates.length} dates × ${f.slots.length} slots, ${f.customerTokens.length} customers`);
    const r = await benchBookings(sys, f, opts);
    console.log('');
    for (const l of bookingSummary(r)) console.log(l);
  });
}

if (require.main === module) {
  runMain(main);
}
