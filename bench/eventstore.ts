/**
 * Event store benchmark (not a test): npx tsx bench/eventstore.ts [--ops 1000] [--concurrency 16] [--events 300] [--reads 200]
 * Loopback only, bounded by counts. Creates a throwaway prefix and deletes it afterwards.
 *   1. append throughput vs raw PutItem on the same table (goal: ≥ 80 %)
 *   2. append → consumer-handled latency through stream, forwarder, SNS FIFO, SQS FIFO (goal: p99 ≤ 500 ms)
 *   3. readStream latency of a 5-event stream as the table grows (1k, 10k items): by Query (the store's
 *      default, what real DynamoDB and dynoxide want) and by key (`readByKey: true`, the workaround for
 *      moto, whose Query is O(table size))
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DeleteTableCommand, PutItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { createSqsHandler } from '../eventstore/consumer';
import { QueueConsumerRunner } from '../eventstore/queue-runner';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { createEventTable } from '../eventstore/dynamodb-table';
import { eventToItem } from '../eventstore/dynamodb-items';
import { serviceForwarder } from '../workers/pipeline';
import { percentile, sequentialLatency } from './load';
import type { StoredEvent } from '../eventstore/types';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { deprovision, provision, resolveTopology } from '../platform/provision';
import { topology } from '../platform/topology';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    events: { type: 'string', default: '300' },
    reads: { type: 'string', default: '200' },
  },
});
const OPS = Number(values.ops);
const CONCURRENCY = Number(values.concurrency);
const EVENTS = Number(values.events);
const READS = Number(values.reads);

const data = { restaurantId: 'r-1', name: 'Chez Bench', cuisine: 'bistro', seats: 42 };

async function timed(label: string, ops: number, worker: (i: number, w: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = next++; i < ops; i = next++) await worker(i, w);
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const rate = ops / secs;
  console.log(`  ${label.padEnd(46)} ${rate.toFixed(0).padStart(6)} ops/s  (${ops} ops in ${secs.toFixed(2)} s)`);
  return rate;
}

/** Sequential calls (one at a time, so the figure is a call's latency, not a queue's). */
async function readLatency(label: string, count: number, call: (i: number) => Promise<void>): Promise<void> {
  const l = await sequentialLatency(count, call);
  console.log(`  ${label.padEnd(62)} p50 ${l.p50.toFixed(1).padStart(6)} ms   p99 ${l.p99.toFixed(1).padStart(6)} ms  (${count} reads)`);
}

/** Writes `count` filler events (streams of 10) straight to the table, 25 per BatchWriteItem, 8 calls at a time. */
async function fill(clients: ReturnType<typeof awsClients>, table: string, from: number, count: number): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = from; i < from + count; i += 25) {
    batches.push(
      Array.from({ length: Math.min(25, from + count - i) }, (_, j) => {
        const n = i + j;
        return { PutRequest: { Item: eventToItem(sample(`fill-${Math.floor(n / 10)}`, (n % 10) + 1)) } };
      }),
    );
  }
  for (let b = 0; b < batches.length; b += 8) {
    await Promise.all(
      batches.slice(b, b + 8).map(async (items) => {
        let left: WriteRequest[] = items;
        while (left.length > 0) {
          const out = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: left } }));
          left = out.UnprocessedItems?.[table] ?? [];
        }
      }),
    );
  }
}

function sample(id: string, v: number): StoredEvent {
  return {
    type: 'RestaurantRegistered',
    data,
    eventId: `${id}-${v}`,
    streamId: id,
    version: v,
    service: 'catalog',
    metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.aws.endpoint && !/127\.0\.0\.1|localhost/.test(config.aws.endpoint)) throw new Error('bench runs against loopback only');
  if (!config.aws.endpoint) throw new Error('bench runs against the local endpoint only (AWS_ENDPOINT_URL unset means real AWS)');
  const clients = awsClients(config);
  const topo = topology(`bench${randomBytes(3).toString('hex')}`);
  console.log(`event store bench on ${config.aws.endpoint}, prefix ${topo.prefix}, concurrency ${CONCURRENCY}`);
  await provision(clients, topo);
  try {
    const r = await resolveTopology(clients, topo);
    // Throughput runs on a table nobody forwards, so the latency phase's events do not queue behind a
    // backlog of thousands forwarded from it (on moto, which served SQS locally until 2026-12-01, each
    // send also cost O(messages queued)).
    const table = `${topo.prefix}-bench-events`;
    await createEventTable(clients.dynamodb, table);
    const store = new DynamoDBEventStore({ client: clients.dynamodb, tableName: table, service: 'catalog' });

    console.log('\n1. append throughput (one event per call)');
    await timed('warm-up', 100, (i) => store.append(`warm-${i}`, [{ type: 'X', data }], { expectedVersion: 'no_stream' }).then(() => undefined));
    const raw = await timed('raw PutItem (no condition)', OPS, async (i) => {
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: eventToItem(sample(`raw-${i}`, 1)) }));
    });
    const fresh = await timed("append, new stream ('no_stream')", OPS, async (i) => {
      await store.append(`new-${i}`, [{ type: 'RestaurantRegistered', data }], { expectedVersion: 'no_stream' });
    });
    const heads = new Map<number, number>();
    const existing = await timed('append, existing stream (expected version)', OPS, async (_i, w) => {
      // one stream per worker, so these are sequential appends to a stream, never conflicts
      const v = heads.get(w) ?? 0;
      await store.append(`ex-${w}`, [{ type: 'RestaurantRenamed', data }], { expectedVersion: v === 0 ? 'no_stream' : v });
      heads.set(w, v + 1);
    });
    console.log(`  new-stream append / raw PutItem      = ${((fresh / raw) * 100).toFixed(0)} %  (goal ≥ 80 %)`);
    console.log(`  existing-stream append / raw PutItem = ${((existing / raw) * 100).toFixed(0)} %  (a GetItem of version n, then the PutItem)`);

    console.log(`\n2. append → consumer-handled latency (${EVENTS} events, 10 streams, forwarder poll 100 ms)`);
    const appendedAt = new Map<string, number>();
    const latencies: number[] = [];
    // the auth service: one topic, one subscribed queue (auth-users)
    const events = new DynamoDBEventStore({ client: clients.dynamodb, tableName: topo.services.auth.table, service: 'auth' });
    const forwarder = serviceForwarder(clients, r, 'auth');
    const q = r.queues['auth-users']!;
    const consumer = new QueueConsumerRunner({
      sqs: clients.sqs,
      queueUrl: q.url,
      dlqUrl: q.dlqUrl,
      // parallel pollers: FIFO keeps each stream in order
      concurrency: 4,
      handler: createSqsHandler(async (e) => {
        const t = appendedAt.get(e.eventId);
        if (t !== undefined && e.streamId.startsWith('lat-')) {
          latencies.push(performance.now() - t);
          appendedAt.delete(e.eventId);
        }
      }),
    });
    forwarder.start();
    consumer.start();
    const versions = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) {
      const id = `lat-${i % 10}`;
      const v = versions.get(id) ?? 0;
      const eventId = `lat-${i}`;
      const before = performance.now();
      await events.append(id, [{ type: 'UserRenamed', data, eventId }], { expectedVersion: v === 0 ? 'no_stream' : v });
      appendedAt.set(eventId, before);
      versions.set(id, v + 1);
      await new Promise((res) => setTimeout(res, 10));
    }
    const deadline = Date.now() + 30_000;
    while (latencies.length < EVENTS && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    await forwarder.stop();
    await consumer.stop();
    latencies.sort((a, b) => a - b);
    if (latencies.length < EVENTS) console.log(`  only ${latencies.length}/${EVENTS} events arrived within 30 s`);
    if (latencies.length > 0) {
      console.log(
        `  p50 ${percentile(latencies, 50).toFixed(0)} ms   p90 ${percentile(latencies, 90).toFixed(0)} ms   p99 ${percentile(latencies, 99).toFixed(0)} ms   max ${latencies[latencies.length - 1]!.toFixed(0)} ms  (goal p99 ≤ 500 ms)`,
      );
    }

    console.log('\n3. readStream of a 5-event stream as the table grows (sequential reads)');
    const readTable = `${topo.prefix}-bench-reads`;
    await createEventTable(clients.dynamodb, readTable);
    const byKey = new DynamoDBEventStore({ client: clients.dynamodb, tableName: readTable, service: 'catalog', readByKey: true });
    const byQuery = new DynamoDBEventStore({ client: clients.dynamodb, tableName: readTable, service: 'catalog' });
    const five = Array.from({ length: 5 }, (_, i) => ({ type: 'RestaurantRenamed', data: { ...data, n: i } }));
    let total = 0;
    let fillers = 0;
    for (const size of [1_000, 10_000]) {
      // ten 5-event streams per size, counted in the table's size
      const streams = Array.from({ length: 10 }, (_, i) => `five-${size}-${i}`);
      const more = size - total - streams.length * five.length;
      await fill(clients, readTable, fillers, more);
      fillers += more;
      for (const id of streams) await byKey.append(id, five, { expectedVersion: 'no_stream' });
      total = size;
      const check = await byKey.readStream(streams[0]!);
      if (check.length !== 5) throw new Error(`read ${check.length} events of ${streams[0]}, expected 5`);
      const n = size.toLocaleString('en-US');
      await readLatency(`readStream, ${n} items in the table (by key, readByKey: true)`, READS, async (i) => {
        await byKey.readStream(streams[i % streams.length]!);
      });
      await readLatency(`readStream, ${n} items in the table (Query, the default)`, Math.min(READS, 50), async (i) => {
        await byQuery.readStream(streams[i % streams.length]!);
      });
      await readLatency(`streamVersion, ${n} items in the table (by key, readByKey: true)`, READS, async (i) => {
        await byKey.streamVersion(streams[i % streams.length]!);
      });
    }
  } finally {
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: `${topo.prefix}-bench-reads` })).catch(() => undefined);
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: `${topo.prefix}-bench-events` })).catch(() => undefined);
    await deprovision(clients, topo);
    destroyAwsClients(clients);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
