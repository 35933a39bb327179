/**
 * Nothing lost, nothing frozen, nothing hangs (issue 9): the whole system (2 APIs, 2 workers, 1 pipeline)
 * under steady booking load while, in turn, FerretDB is stopped for longer than the dead-letter threshold,
 * the pipeline, a worker and one API process are killed with SIGKILL and restarted, and the Temporal dev
 * server is stopped and started again. Afterwards: every acknowledged lifecycle is final in its stream and
 * its workflow closed, every stream is gapless without duplicate events, no table is double booked or left
 * held, every DLQ is empty, and every projection equals a fresh rebuild from the event store.
 *
 * It starts its OWN FerretDB and Temporal dev server (free ports, temp data dir) so stopping them never
 * disturbs the shared local stack; LocalStack (never stopped) is shared, isolated by the resource prefix.
 *
 *   npm run test:faults            (about 6-8 minutes on 2 cores)
 *
 * Knobs (environment): FAULTS_VISIBILITY_S (consumer visibility timeout, default 3: the DLQ threshold is 5
 * receives × this), FAULTS_MONGO_OUTAGE_S (default 35), FAULTS_TEMPORAL_OUTAGE_S (default 15),
 * FAULTS_CONCURRENCY (diners, default 3), FAULTS_MAX_ANSWER_S (a request unanswered this
 * long is a HANG, default 15), FAULTS_KEEP=1 (keep the AWS resources and Mongo data).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Client, Connection } from '@temporalio/client';
import { awsClients, destroyAwsClients, type AwsClients } from '../../platform/aws';
import { resolveTopology, type ResolvedTopology } from '../../platform/provision';
import { topology } from '../../platform/topology';
import { reservationWorkflowId } from '../../workflows/messages';
import { createRestaurant, eventually, signUp, startSystem, waitBookable, type System, type User } from '../system';
import { ownServers, type OwnServers } from './servers';
import { restarts, type Restarts } from './processes';
import { Load, type Restaurants } from './load';
import { checkGapless, checkLedgers, checkReservationStreams, readHistory, type History } from './history-checks';
import { checkLifecycles } from './lifecycle-checks';
import { compareProjections, rebuildInto } from './projection-checks';
import { checkDlqs, queueDepths } from './queue-checks';

const TZ = 'Europe/Rome';
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const VISIBILITY_S = num('FAULTS_VISIBILITY_S', 3);
const MONGO_OUTAGE_MS = num('FAULTS_MONGO_OUTAGE_S', 35) * 1000;
const TEMPORAL_OUTAGE_MS = num('FAULTS_TEMPORAL_OUTAGE_S', 15) * 1000;
const CONCURRENCY = num('FAULTS_CONCURRENCY', 3);
/** A request with no answer (an error is an answer) within this is a HANG: the client gives up on it and retries. */
// the API answers every request within its handler timeout (api/server.ts, 12 s) by design; 15 s leaves slack
const MAX_ANSWER_MS = num('FAULTS_MAX_ANSWER_S', 15) * 1000;
/** How long the system gets to show it works again after each fault. */
const RECOVERY_MS = 120_000;
/** How long lifecycles get to end after the load stops (an expiring request needs its 1-minute deadline). */
const DRAIN_MS = 150_000;

const t0 = Date.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const timeline: string[] = [];
/** Progress goes straight to stderr: jest would hold console output back until the file ends. */
function mark(msg: string): void {
  const line = `[faults +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`;
  timeline.push(line);
  process.stderr.write(`${line}\n`);
}
const findingsMessage = (title: string, findings: string[]) => `${title}: ${findings.length} finding(s)\n  - ${findings.join('\n  - ')}`;

let dir: string;
let servers: OwnServers;
let sys: System;
let procs: Restarts;
let load: Load;
let aws: AwsClients;
let resolved: ResolvedTopology;
let owner: User;
let restaurants: Restaurants;
let probeRestaurant: string;
let temporal: Client | undefined;
let mongo: MongoClient | undefined;
/** Read once all lifecycles are final; the checks after that share it. */
let history: History | undefined;
let statusOf = new Map<string, string>();
const faultFindings: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'faults-'));
  servers = await ownServers(dir);
  await Promise.all([servers.ferretdb.start(), servers.temporal.start(), servers.aws?.start()]);
  mark(
    `own FerretDB at ${servers.ferretdb.address}, Temporal at ${servers.temporal.address}, ` +
      `${servers.aws ? `own LocalStack at ${servers.aws.address} (none answered at AWS_ENDPOINT_URL)` : 'shared LocalStack'}; data and logs in ${dir}`,
  );

  sys = await startSystem({
    apis: 2,
    workers: 2,
    prefix: `flt${Date.now().toString(36).slice(-5)}${randomBytes(2).toString('hex')}`,
    visibilityTimeoutSeconds: VISIBILITY_S,
    env: { ...servers.env, AUTH_TOKEN_TTL_SECONDS: '3600' },
    readyTimeoutMs: 180_000,
  });
  procs = restarts(sys);
  aws = awsClients(sys.config);
  resolved = await resolveTopology(aws, topology(sys.prefix));
  mark(`system ${sys.prefix} up (2 APIs, 2 workers, pipeline); logs in ${sys.logDir}`);

  const api = (i: number) => sys.apis[i % sys.apis.length]!.url;
  owner = await signUp(api(0), 'owner');
  const customers = await Promise.all(Array.from({ length: 6 }, (_, i) => signUp(api(i), `diner${i}`)));
  const tables = Array.from({ length: 20 }, (_, i) => ({ id: `t${i + 1}`, seats: 4 }));
  const [auto, manual, expiring, probe] = await Promise.all([
    createRestaurant(api(0), owner.token, { name: 'Faults Auto', tables }),
    createRestaurant(api(1), owner.token, { name: 'Faults Manual', tables, policy: { acceptance: 'manual', decisionTimeoutMinutes: 60 } }),
    createRestaurant(api(0), owner.token, { name: 'Faults Expiring', tables, policy: { acceptance: 'manual', decisionTimeoutMinutes: 1 } }),
    createRestaurant(api(1), owner.token, { name: 'Faults Probe' }),
  ]);
  restaurants = { auto, manual, expiring };
  probeRestaurant = probe;
  await Promise.all([auto, manual, expiring].flatMap((id) => sys.apis.map((a) => waitBookable(a.url, id, TZ, 60_000))));
  mark('users and restaurants ready');

  load = new Load({
    apis: () => sys.apis.map((a) => a.url),
    owner,
    customers,
    restaurants,
    timezone: TZ,
    concurrency: CONCURRENCY,
    requestTimeoutMs: MAX_ANSWER_MS,
    // a step still failing after this is reported as stuck (bounded, so a broken run still ends in minutes)
    callDeadlineMs: 120_000,
    log: (m) => mark(`client: ${m}`),
  });
}, 10 * 60_000);

afterAll(async () => {
  await load?.stop();
  await temporal?.connection.close().catch(() => undefined);
  await mongo?.close().catch(() => undefined);
  if (aws) destroyAwsClients(aws);
  const keep = process.env.FAULTS_KEEP === '1';
  await procs?.stopAll();
  await sys?.stop({ keep });
  await servers?.stopAll();
  if (dir && !keep) rmSync(path.join(dir, 'data'), { recursive: true, force: true });
  mark(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s; logs: ${sys?.logDir ?? '-'} (processes), ${dir ? path.join(dir, 'logs') : '-'} (servers)`);
}, 120_000);

// ---- the fault run --------------------------------------------------------------------------------

/** Lifecycles that ended as planned after `since`. */
const endedWellSince = (since: number) => load.lifecycles.filter((l) => l.done && !l.error && (l.endedAt ?? 0) > since).length;

/** A rename of the probe restaurant (nobody else edits it) is found by search: forwarder → SNS → SQS → consumer → Mongo → API all work. */
async function probePipeline(timeoutMs: number): Promise<number> {
  const started = Date.now();
  const word = `probe${randomBytes(4).toString('hex')}`;
  const res = await load.call('PATCH', `/restaurants/${probeRestaurant}`, { token: owner.token, body: { name: `Faults Probe ${word}` } });
  if (res.status !== 200) throw new Error(`probe rename answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  await eventually(async () => {
    const found = await load.call('GET', `/restaurants?q=${word}`);
    return found.status === 200 && (found.body?.items ?? []).some((i: { restaurantId: string }) => i.restaurantId === probeRestaurant);
  }, timeoutMs, 500);
  return Date.now() - started;
}

/** What the clients saw since `before` (a copy of load.stats.byStatus): the fault's visible impact. */
function clientDelta(before: Record<string, number>): string {
  const now = load.stats.byStatus;
  const d = Object.keys(now)
    .filter((k) => !['200', '201'].includes(k) && (now[k] ?? 0) > (before[k] ?? 0))
    .map((k) => `${k}: ${(now[k] ?? 0) - (before[k] ?? 0)}`);
  return d.length ? d.join(', ') : 'nothing but 200/201';
}

/** After a fault: events flow end to end again and diners finish lifecycles again, within RECOVERY_MS. */
async function recovered(name: string, before: Record<string, number>): Promise<void> {
  const since = Date.now();
  try {
    const ms = await probePipeline(RECOVERY_MS);
    mark(`${name}: a catalog change reached search in ${ms} ms`);
  } catch (err) {
    faultFindings.push(`after ${name}: a catalog change did not reach search within ${RECOVERY_MS / 1000} s (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    await eventually(() => endedWellSince(since) >= 2, RECOVERY_MS, 500);
    mark(`${name}: diners finish lifecycles again (${Date.now() - since} ms)`);
  } catch {
    const stuck = load.lifecycles.filter((l) => !l.done).map((l) => `#${l.seq} ${l.kind} ${l.reservationId ?? ''}: ${l.steps.at(-1) ?? 'booking'}`);
    faultFindings.push(`after ${name}: fewer than 2 lifecycles ended within ${RECOVERY_MS / 1000} s; in progress: ${stuck.join('; ')}`);
  }
  mark(`${name}: clients saw ${clientDelta(before)} (retried with the same request)`);
  // the next fault should meet lifecycles at every stage, not a system that just caught its breath
  const calm = Date.now();
  await eventually(() => load.startedSince(calm) >= CONCURRENCY + 2, RECOVERY_MS, 250).catch(() => undefined);
}

/** Until a request that drives a workflow is in flight, so a kill lands on work being done (bounded; then it just goes ahead). */
async function midRequest(): Promise<void> {
  await eventually(() => load.writesInFlight() > 0, 30_000, 10).catch(() => undefined);
}

async function dlqPeak(during: () => Promise<void>): Promise<Record<string, number>> {
  const peak: Record<string, number> = {};
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        for (const d of await queueDepths(aws.sqs, resolved)) peak[d.consumer] = Math.max(peak[d.consumer] ?? 0, d.dlq);
      } catch {
        /* SQS busy: next round */
      }
      await sleep(2000);
    }
  })();
  try {
    await during();
  } finally {
    watching = false;
    await watcher;
  }
  return peak;
}

/** One fault injected while a request is in flight, then the system must recover from it (`recovered`). */
async function survives(label: string, inject: () => Promise<void>): Promise<void> {
  const before = { ...load.stats.byStatus };
  await midRequest();
  await inject();
  await recovered(label, before);
}

test('under steady load, each fault in turn is survived: events flow and lifecycles finish again', async () => {
  load.start();
  await eventually(() => endedWellSince(0) >= 3, RECOVERY_MS, 500);
  mark(`load running: ${load.finishedCount()} lifecycles done`);

  const before = { ...load.stats.byStatus };
  await midRequest();
  // 1. FerretDB down for longer than the dead-letter threshold (5 receives × visibility)
  const peak = await dlqPeak(async () => {
    mark(`FerretDB: stopping for ${MONGO_OUTAGE_MS / 1000} s (DLQ threshold: 5 × ${VISIBILITY_S} s visibility)`);
    await servers.ferretdb.stop();
    await sleep(MONGO_OUTAGE_MS); // the outage itself: its length is the point
    await servers.ferretdb.start();
    mark('FerretDB: started again');
    await recovered('FerretDB outage', before);
  });
  mark(`FerretDB: DLQ depth peaks during outage and recovery: ${JSON.stringify(peak)}`);

  // 2. the pipeline, kill -9
  await survives('pipeline kill -9', async () => {
    await procs.killPipeline();
    mark('pipeline: killed (SIGKILL)');
    await procs.restartPipeline();
    mark('pipeline: restarted');
  });

  // 3. a worker, kill -9
  await survives('worker kill -9', async () => {
    await sys.killWorker(0, 'SIGKILL');
    mark('worker-0: killed (SIGKILL)');
    await sys.restartWorker(0);
    mark('worker-0: restarted and polling');
  });

  // 4. one API process, kill -9 (clients retry on the other)
  await survives('API kill -9', async () => {
    await procs.killApi(1);
    mark('api-1: killed (SIGKILL)');
    await procs.restartApi(1);
    mark('api-1: restarted and healthy');
  });

  // 5. the Temporal dev server, stopped and started again on the same data file
  await survives('Temporal restart', async () => {
    mark(`Temporal: stopping for ${TEMPORAL_OUTAGE_MS / 1000} s`);
    await servers.temporal.stop();
    await sleep(TEMPORAL_OUTAGE_MS); // the outage itself
    await servers.temporal.start();
    mark('Temporal: started again (same data file)');
    // requests expiring from now on would only stretch the drain; those started so far span the restart
    load.stopExpiring();
  });

  await load.stop();
  const s = load.stats;
  const gaveUp = load.lifecycles.filter((l) => l.error);
  mark(
    `load stopped: ${load.lifecycles.length} lifecycles (${load.lifecycles.filter((l) => l.reservationId).length} acknowledged, ${gaveUp.length} with a client-side error), ` +
      `${s.requests} requests ${JSON.stringify(s.byStatus)}, ${s.retries} retries, slowest ${s.slowest.ms} ms (${s.slowest.what}), ${s.catalogEdits} catalog edits`,
  );
  const at = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)}s`;
  if (s.slow.length) mark(`requests slower than 10 s: ${s.slow.map((r) => `${at(r.at)} ${r.what} ${r.ms} ms → ${r.outcome}`).join('; ')}`);
  // nothing hangs: every request gets an answer (an error is an answer) within the client's timeout
  for (const t of s.timeouts) faultFindings.push(`HANG: ${t.what} sent at ${at(t.at)} had no answer within ${MAX_ANSWER_MS / 1000} s (the client gave up and retried)`);
  for (const l of gaveUp) faultFindings.push(`lifecycle #${l.seq} ${l.kind} ${l.reservationId ?? '(never acknowledged)'}: ${l.error}; client saw: ${l.steps.join(' | ')}`);
  for (const f of s.catalogEditFailures) faultFindings.push(`catalog edit: ${f}`);
  if (faultFindings.length) throw new Error(findingsMessage('faults were not survived cleanly', faultFindings));
});

// ---- afterwards -----------------------------------------------------------------------------------

/** Until every acknowledged reservation is final in its stream (bounded: expiring ones need their deadline). */
async function untilFinal(): Promise<void> {
  await load.stop();
  const acknowledged = load.lifecycles.filter((l) => l.reservationId && l.expectedFinal !== 'not-placed');
  const final = new Set(['cancelled', 'rejected', 'expired', 'completed']);
  try {
    await eventually(async () => {
      history = await readHistory(aws.dynamodb, topology(sys.prefix));
      statusOf = checkReservationStreams(history).statusOf;
      return acknowledged.every((l) => final.has(statusOf.get(l.reservationId!) ?? 'none'));
    }, DRAIN_MS, 2000);
  } catch {
    // the checks below say which ones
  }
  history ??= await readHistory(aws.dynamodb, topology(sys.prefix));
}

test('every acknowledged lifecycle reached a final status in its stream, and its workflow closed', async () => {
  await untilFinal();
  temporal ??= new Client({ connection: await Connection.connect({ address: sys.config.temporal.address }), namespace: sys.config.temporal.namespace });
  // a workflow closes right after its last event: give the ones that just ended a moment (bounded), then report
  let report = await checkLifecycles(load.lifecycles, history!, statusOf, temporal, sys.config.temporal.taskQueue);
  const deadline = Date.now() + 30_000;
  while (report.findings.length && Date.now() < deadline) {
    await sleep(3000);
    history = await readHistory(aws.dynamodb, topology(sys.prefix));
    statusOf = checkReservationStreams(history).statusOf;
    report = await checkLifecycles(load.lifecycles, history, statusOf, temporal, sys.config.temporal.taskQueue);
  }
  const ends: Record<string, number> = {};
  for (const l of load.lifecycles) if (l.reservationId) ends[statusOf.get(l.reservationId) ?? 'none'] = (ends[statusOf.get(l.reservationId) ?? 'none'] ?? 0) + 1;
  mark(`lifecycles: ${report.checked} acknowledged reservations checked (ended ${JSON.stringify(ends)}), ${report.findings.length} finding(s)`);
  // evidence that the kills and the restart hit work in flight (informative: timing decides how much)
  let interrupted = 0;
  await Promise.all(
    load.lifecycles.filter((l) => l.reservationId).map(async (l) => {
      const h = await temporal!.workflow.getHandle(reservationWorkflowId(l.reservationId!)).fetchHistory().catch(() => undefined);
      if ((h?.events ?? []).some((e) => e.workflowTaskTimedOutEventAttributes || e.activityTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes)) interrupted++;
    }),
  );
  mark(`lifecycles: ${interrupted} workflow(s) had a workflow or activity task time out or fail (work interrupted by a fault) and still finished`);
  expect(report.checked).toBeGreaterThan(0);
  if (report.findings.length) throw new Error(findingsMessage('lifecycles not finished', report.findings));
});

test('every stream in the three event tables is gapless 1..n, without duplicate event ids or repeated lifecycle events', () => {
  const findings = [...checkGapless(history!), ...checkReservationStreams(history!).findings];
  const counts = Object.entries(history!).map(([s, h]) => `${s}: ${h.streams.size} streams, ${h.events} events`).join('; ');
  mark(`streams: ${counts}; ${findings.length} finding(s)`);
  if (findings.length) throw new Error(findingsMessage('streams not gapless / duplicated', findings));
});

test('no double booking in the ledgers, and no table left held by a finished reservation', () => {
  const findings = checkLedgers(history!, statusOf);
  mark(`ledgers: ${findings.length} finding(s)`);
  if (findings.length) throw new Error(findingsMessage('ledger violations', findings));
});

test('every queue drains and every dead-letter queue is empty', async () => {
  const findings: string[] = [];
  let last = await queueDepths(aws.sqs, resolved);
  try {
    // two quiet readings in a row: "approximate" counts in SQS lag a little
    let quiet = 0;
    await eventually(async () => {
      last = await queueDepths(aws.sqs, resolved);
      quiet = last.every((d) => d.visible + d.inFlight === 0) ? quiet + 1 : 0;
      return quiet >= 2;
    }, 90_000, 1000);
  } catch {
    for (const d of last.filter((x) => x.visible + x.inFlight > 0)) {
      findings.push(`queue of ${d.consumer} still holds ${d.visible} visible and ${d.inFlight} in-flight message(s) after 90 s (a stream stuck behind a gap?)`);
    }
  }
  findings.push(...(await checkDlqs(aws.sqs, resolved)));
  mark(`queues: ${JSON.stringify(last)}; ${findings.length} finding(s)`);
  if (findings.length) throw new Error(findingsMessage('queues not drained / DLQs not empty', findings));
});

test('every projection equals a fresh rebuild from the event store (replayed through the consumers’ own handlers)', async () => {
  mongo ??= await new MongoClient(servers.env.MONGODB_URI!, { serverSelectionTimeoutMS: 10_000 }).connect();
  const scratch = `${sys.prefix}rb`;
  // the store no longer changes (every lifecycle ended; the load stopped): one rebuild, read fresh
  history = await readHistory(aws.dynamodb, topology(sys.prefix));
  const replayFindings = await rebuildInto(mongo, scratch, history, topology(sys.prefix), aws.dynamodb);
  // the live side may still be applying the last messages: compare until equal, bounded
  let result = await compareProjections(mongo, sys.prefix, scratch);
  const deadline = Date.now() + 60_000;
  while (result.findings.length && Date.now() < deadline) {
    await sleep(3000);
    result = await compareProjections(mongo, sys.prefix, scratch);
  }
  await Promise.all(['catalog', 'reservation', 'auth'].map((s) => mongo!.db(`${scratch}_${s}`).dropDatabase().catch(() => undefined)));
  const findings = [...replayFindings, ...result.findings];
  mark(`projections: ${result.compared} rebuilt documents compared, ${findings.length} finding(s)`);
  if (findings.length) throw new Error(findingsMessage('projections differ from a rebuild', findings));
});
