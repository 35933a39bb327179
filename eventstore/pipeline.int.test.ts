/**
 * The whole path on real local servers: event table → stream → forwarder → SNS FIFO → SQS FIFO → consumer.
 * Each test uses its own service of one fresh prefix so they don't see each other's events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Collection, MongoClient } from 'mongodb';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { connectMongo } from '../platform/mongo';
import { deprovision, provision, type ResolvedTopology, resolveTopology } from '../platform/provision';
import { MAX_RECEIVE_COUNT, topology } from '../platform/topology';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { deadLetterCounts } from '../api/health';
import { checkpointOf, GapError } from './checkpoint';
import { applyOnce } from './testing/apply-once';
import { createSqsHandler, type SqsHandlerOptions } from './consumer';
import { QueueConsumerRunner } from './queue-runner';
import { DeadLetterRedriver, type RedriveMove } from './dead-letters';
import { DynamoDBEventStore } from './dynamodb';
import type { StreamForwarderRunner } from './stream-runner';
import { serviceForwarder } from '../workers/pipeline';
import type { ServiceName, StoredEvent } from './types';

// the project-level testTimeout in jest.config.js is not applied (it is a global option)
jest.setTimeout(60_000);

const config = loadConfig();
const clients = awsClients(config);
const prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const topo = topology(prefix);
let resolved: ResolvedTopology;
const stoppers: Array<() => Promise<void>> = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function store(service: ServiceName) {
  return new DynamoDBEventStore({ client: clients.dynamodb, tableName: topo.services[service].table, service });
}

function startForwarder(service: ServiceName): StreamForwarderRunner {
  const runner = serviceForwarder(clients, resolved, service, { pollIntervalMs: 50 });
  runner.start();
  stoppers.push(() => runner.stop());
  return runner;
}

function startConsumer(consumer: string, handle: (e: StoredEvent) => Promise<void>, opts: SqsHandlerOptions = {}): QueueConsumerRunner {
  const q = resolved.queues[consumer]!;
  // several batches in flight, as the pipeline worker runs it: order per stream must still hold
  const runner = new QueueConsumerRunner({
    sqs: clients.sqs,
    queueUrl: q.url,
    dlqUrl: q.dlqUrl,
    handler: createSqsHandler(handle, opts),
    concurrency: 4,
    onError: () => undefined,
  });
  runner.start();
  stoppers.push(() => runner.stop());
  return runner;
}

beforeAll(async () => {
  // 1 s visibility so failed messages come back (and reach the DLQ) quickly
  await provision(clients, topo, { visibilityTimeoutSeconds: 1 });
  resolved = await resolveTopology(clients, topo);
});

afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((s) => s()));
});

afterAll(async () => {
  await deprovision(clients, topo);
  destroyAwsClients(clients);
});

it('delivers appended events to every consumer of the service, in order per stream', async () => {
  startForwarder('catalog');
  const consumers = ['catalog-restaurants', 'reservation-restaurants', 'auth-ownership'];
  const seen = new Map<string, StoredEvent[]>(consumers.map((c) => [c, []]));
  // a handler that takes a while, so several batches are in flight at once
  for (const c of consumers) startConsumer(c, async (e) => void (await sleep(5 + Math.random() * 10), seen.get(c)!.push(e)));

  const s = store('catalog');
  const streams = ['r-a', 'r-b', 'r-c'];
  for (let v = 0; v < 6; v += 2) {
    // a multi-stream batch, then single appends: both paths reach the stream
    await s.appendMany(streams.slice(0, 2).map((id) => ({ streamId: id, events: [{ type: 'T', data: { v: v + 1 } }, { type: 'T', data: { v: v + 2 } }], expectedVersion: v })));
    await s.append('r-c', [{ type: 'T', data: { v: v + 1 } }], { expectedVersion: v });
    await s.append('r-c', [{ type: 'T', data: { v: v + 2 } }], { expectedVersion: v + 1 });
  }
  // a long stream: more events than one PublishBatch holds, still in order
  await s.append('r-long', Array.from({ length: 25 }, (_, i) => ({ type: 'T', data: { v: i + 1 } })), { expectedVersion: 'no_stream' });
  const total = streams.length * 6 + 25;
  await waitFor('all consumers', () => consumers.every((c) => seen.get(c)!.length >= total));
  await sleep(300); // nothing extra arrives
  for (const c of consumers) {
    const events = seen.get(c)!;
    expect(events).toHaveLength(total);
    for (const id of streams) {
      expect(events.filter((e) => e.streamId === id).map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    expect(events.filter((e) => e.streamId === 'r-long').map((e) => e.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(events[0]).toMatchObject({ service: 'catalog', type: 'T' });
  }
});

describe('forwarder killed with SIGKILL mid-run', () => {
  let mongo: MongoClient;
  let col: Collection<{ _id: string; applied?: number; versions?: number[] }>;
  const dbName = `${prefix}db`;

  beforeAll(async () => {
    const m = await connectMongo(config, dbName);
    mongo = m.client;
    col = m.db.collection('reservations');
  });

  afterAll(async () => {
    await mongo.db(dbName).dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  const BATCH_SIZE = 5;

  /**
   * A forwarder child writing its checkpoint after every batch (CHECKPOINT_MS=0), so each `batch` line it
   * prints is a batch published and checkpointed; `forwarded()` sums their records.
   */
  function spawnForwarder(): { child: ChildProcess; ready: Promise<void>; batches: () => number; forwarded: () => number; exited: Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'testing/forwarder-child.ts')], {
      cwd: path.resolve(__dirname, '..'),
      env: {
        ...process.env,
        RESOURCE_PREFIX: prefix,
        SERVICE: 'reservation',
        POLL_MS: '20',
        BATCH_SIZE: String(BATCH_SIZE),
        CHECKPOINT_MS: '0',
        NODE_NO_WARNINGS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const lines = () => [...out.matchAll(/^batch (\d+) /gm)].map((m) => Number(m[1]));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`forwarder child exited early (${String(code)})`)));
    });
    ready.catch(() => undefined);
    stoppers.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return { child, ready, exited, batches: () => lines().length, forwarded: () => lines().reduce((a, b) => a + b, 0) };
  }

  it('loses nothing, the projection applies each event once, and a restarted forwarder resumes from its checkpoint', async () => {
    let handled = 0;
    startConsumer('reservation-reservations', async (e) => {
      handled++;
      await applyOnce(col, e.streamId, e, { $inc: { applied: 1 }, $push: { versions: e.version } });
    });

    const s = store('reservation');
    const streams = ['res-1', 'res-2', 'res-3', 'res-4'];
    const versions = new Map(streams.map((id) => [id, 0]));
    let appending = true;
    const appender = (async () => {
      while (appending) {
        for (const id of streams) {
          const v = versions.get(id)!;
          await s.append(id, [{ type: 'Booked', data: { n: v + 1 } }], { expectedVersion: v });
          versions.set(id, v + 1);
        }
        await sleep(10);
      }
    })();

    const first = spawnForwarder();
    await first.ready;
    // several batches, so a forwarder that started over would re-send far more than one batch
    await waitFor('first forwarder batches', () => first.batches() >= 3 && first.forwarded() > 2 * BATCH_SIZE);
    first.child.kill('SIGKILL'); // mid-run, while the appender keeps writing
    await first.exited;
    const atKill = [...versions.values()].reduce((a, b) => a + b, 0);
    await sleep(500); // events written while no forwarder runs

    const second = spawnForwarder();
    await second.ready;
    await waitFor('second forwarder batches', () => second.batches() >= 2);
    appending = false;
    await appender;
    const total = [...versions.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(atKill);

    await waitFor(
      'projection caught up',
      async () => {
        const docs = await col.find({}).toArray();
        return streams.every((id) => checkpointOf(docs.find((d) => d._id === id), id) === versions.get(id));
      },
      40_000,
    );
    const docs = await col.find({}).toArray();
    for (const id of streams) {
      const doc = docs.find((d) => d._id === id)!;
      expect(doc.applied).toBe(versions.get(id));
      expect(doc.versions).toEqual(Array.from({ length: versions.get(id)! }, (_, i) => i + 1));
    }
    // at-least-once upstream, exactly-once effect: duplicates (if any) were skipped
    expect(handled).toBeGreaterThanOrEqual(total);

    // The topic's deduplication and the projection's checkpoints hide re-sends from everything above, so
    // count what the forwarders themselves forwarded. Every batch the first one checkpointed was sent once:
    // the second started after that checkpoint, re-sending at most the batch in flight at the kill (published,
    // not yet checkpointed; the first never reported it). One that ignored its checkpoint would forward the
    // first one's batches again: first + second = total + first.
    second.child.kill('SIGTERM'); // stops after its batch in flight, reporting it
    await second.exited;
    expect(first.forwarded()).toBeGreaterThan(2 * BATCH_SIZE);
    expect(first.forwarded() + second.forwarded()).toBeLessThanOrEqual(total);
    expect(first.forwarded() + second.forwarded()).toBeGreaterThanOrEqual(total - BATCH_SIZE);
  });
});

it('a poison message ends in the DLQ after 5 receives while other streams keep flowing (no redriver running)', async () => {
  startForwarder('auth');
  let poisonAttempts = 0;
  const good: string[] = [];
  const consumer = startConsumer('auth-users', async (e) => {
    if (e.streamId === 'user-poison') {
      poisonAttempts++;
      throw new Error('cannot handle this one');
    }
    good.push(`${e.streamId}:${e.version}`);
  });
  const s = store('auth');
  await s.append('user-poison', [{ type: 'UserRegistered', data: {} }], { expectedVersion: 'no_stream' });
  for (let i = 1; i <= 3; i++) await s.append(`user-${i}`, [{ type: 'UserRegistered', data: {} }], { expectedVersion: 'no_stream' });
  await waitFor('good events before the poison is dead-lettered', () => good.length === 3, 10_000);
  expect(await consumer.dlqDepth()).toBe(0);
  // the poison message is still being retried; more traffic keeps flowing meanwhile
  for (let i = 1; i <= 3; i++) await s.append(`user-${i}`, [{ type: 'UserRenamed', data: {} }], { expectedVersion: 1 });
  await waitFor('later good events', () => good.length === 6, 10_000);
  expect(poisonAttempts).toBeLessThan(MAX_RECEIVE_COUNT);

  await waitFor('poison in the DLQ', async () => (await consumer.dlqDepth()) === 1, 30_000);
  expect(poisonAttempts).toBe(MAX_RECEIVE_COUNT);
  expect(good.sort()).toEqual(['user-1:1', 'user-1:2', 'user-2:1', 'user-2:2', 'user-3:1', 'user-3:2']);
});

describe('nothing lost, nothing frozen', () => {
  let mongo: MongoClient;
  const dbName = `${prefix}heal`;

  beforeAll(async () => {
    mongo = (await connectMongo(config, dbName)).client;
  });

  afterAll(async () => {
    await mongo.db(dbName).dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  it('an event that never reached the projection is read from the store when the next one meets the gap', async () => {
    startForwarder('catalog');
    const col = mongo.db(dbName).collection<{ _id: string; versions?: number[] }>('gap');
    let dropped = false;
    const healed: unknown[] = [];
    startConsumer(
      'catalog-restaurants',
      async (e) => {
        if (!e.streamId.startsWith('gap-')) return;
        // v2 is acknowledged without being applied once (as if dead-lettered and never seen again)
        if (e.version === 2 && !dropped) {
          dropped = true;
          return;
        }
        await applyOnce(col, e.streamId, e, { $push: { versions: e.version } });
      },
      { store: store('catalog'), onHealed: (h) => healed.push(h) },
    );
    const s = store('catalog');
    await s.append('gap-1', [{ type: 'T', data: {} }], { expectedVersion: 'no_stream' });
    await waitFor('v1 applied', async () => checkpointOf(await col.findOne({ _id: 'gap-1' }), 'gap-1') === 1);
    await s.append('gap-1', [{ type: 'T', data: {} }], { expectedVersion: 1 });
    await waitFor('v2 dropped', () => dropped);
    await s.append('gap-1', [{ type: 'T', data: {} }], { expectedVersion: 2 });
    await waitFor('v3 applied', async () => checkpointOf(await col.findOne({ _id: 'gap-1' }), 'gap-1') === 3);
    expect((await col.findOne({ _id: 'gap-1' }))?.versions).toEqual([1, 2, 3]);
    // v3 (or a retry of it, on a loaded machine) read v2 and v3 from the store
    expect(healed).toContainEqual(expect.objectContaining({ streamId: 'gap-1', fromVersion: 2 }));
  });

  it('dead letters are counted, redriven with backoff and the projection converges; an undecodable one stays', async () => {
    startForwarder('catalog');
    const consumer = 'reservation-restaurants';
    const q = resolved.queues[consumer]!;
    // a projection in memory with the checkpoint rule of applyOnce; "MongoDB" is down at first
    let down = true;
    const versions = new Map<string, number[]>();
    const attempts = new Map<string, number>();
    const runner = startConsumer(
      consumer,
      async (e) => {
        if (!e.streamId.startsWith('rd-')) return;
        attempts.set(e.streamId, (attempts.get(e.streamId) ?? 0) + 1);
        if (down) throw Object.assign(new Error('connection refused'), { name: 'MongoNetworkError' });
        const seen = versions.get(e.streamId) ?? [];
        const at = seen.at(-1) ?? 0;
        if (e.version <= at) return;
        if (e.version !== at + 1) throw new GapError(e.streamId, at + 1, e.version);
        versions.set(e.streamId, [...seen, e.version]);
      },
      { store: store('catalog') },
    );
    const counts = deadLetterCounts({ sqs: clients.sqs, topo });

    const s = store('catalog');
    await s.append('rd-a', [{ type: 'T', data: {} }], { expectedVersion: 'no_stream' });
    await s.append('rd-b', [{ type: 'T', data: {} }], { expectedVersion: 'no_stream' });
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'not an event', MessageGroupId: 'junk', MessageDeduplicationId: `junk-${prefix}` }));
    await waitFor('three dead letters', async () => (await runner.dlqDepth()) === 3, 40_000);
    expect(attempts.get('rd-a')).toBe(MAX_RECEIVE_COUNT);
    expect((await counts())[consumer]).toBe(3);

    // MongoDB is back; rd-b moves on: its v2 meets the gap and reads v1 from the store
    down = false;
    await s.append('rd-b', [{ type: 'T', data: {} }], { expectedVersion: 1 });
    await waitFor('rd-b healed', () => versions.get('rd-b')?.length === 2);
    // rd-a has no later event: only the redrive brings it
    expect(versions.get('rd-a')).toBeUndefined();

    const moves: RedriveMove[] = [];
    const undecodable: string[] = [];
    const redriver = new DeadLetterRedriver({
      sqs: clients.sqs,
      consumer,
      queueUrl: q.url,
      dlqUrl: q.dlqUrl,
      baseDelayMs: 200,
      maxDelayMs: 1000,
      onMove: (m) => moves.push(m),
      onUndecodable: ({ messageId }) => undecodable.push(messageId),
    });
    redriver.start();
    stoppers.push(() => redriver.stop());
    await waitFor('rd-a applied after its redrive', () => versions.get('rd-a')?.length === 1, 20_000);
    await waitFor('only the undecodable message left', async () => (await counts())[consumer] === 1, 20_000);
    expect(versions.get('rd-a')).toEqual([1]);
    expect(versions.get('rd-b')).toEqual([1, 2]);
    expect(moves.map((m) => `${m.streamId}:${m.version}:${m.redrives}`).sort()).toEqual(['rd-a:1:1', 'rd-b:1:1']);
    expect(undecodable).toHaveLength(1);
  });
});

it('a down MongoDB pauses receiving: in 8 s at a 1 s visibility timeout the message is received twice, not dead-lettered', async () => {
  startForwarder('auth');
  const q = resolved.queues['auth-users']!;
  // a MongoDB that does not answer (nothing listens on port 1), until `up`
  const dead = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 200 });
  let up = false;
  const receives: number[] = [];
  const applied: string[] = [];
  const pauses: number[] = [];
  const runner = new QueueConsumerRunner({
    sqs: clients.sqs,
    queueUrl: q.url,
    dlqUrl: q.dlqUrl,
    handler: createSqsHandler(async (e) => {
      if (!e.streamId.startsWith('down-')) return;
      receives.push(Date.now());
      if (!up) await dead.db('x').collection('y').findOne({});
      applied.push(e.streamId);
    }),
    probe: async () => {
      if (!up) await dead.db('x').command({ ping: 1 });
    },
    pauseMs: 500,
    maxPauseMs: 2000,
    onPause: ({ pausedMs }) => pauses.push(pausedMs),
    onError: () => undefined,
  });
  runner.start();
  stoppers.push(() => runner.stop(), () => dead.close());
  // the poison test above left its message in this DLQ
  const dlqBefore = await runner.dlqDepth();
  await store('auth').append('down-1', [{ type: 'T', data: {} }], { expectedVersion: 'no_stream' });
  await waitFor('first receive', () => receives.length === 1);
  await sleep(8000);
  up = true;
  await waitFor('applied once MongoDB answers', () => applied.length === 1, 10_000);
  // without the pause: a receive per visibility timeout, in the DLQ after 5
  expect(receives.length).toBeLessThanOrEqual(2);
  expect(pauses.slice(0, 3)).toEqual([500, 1000, 2000]);
  expect(await runner.dlqDepth()).toBe(dlqBefore);
});
