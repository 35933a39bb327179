/**
 * Local equivalence of the Lambda entry points: REAL stream records read from dynoxide's DynamoDB Streams
 * API go to the forwarder Lambda as a `DynamoDBStreamEvent`; the REAL messages it publishes are received
 * from the consumer's SQS FIFO queue on LocalStack and go to the consumer Lambda as an `SQSEvent`. The
 * read model it writes must equal the one the local path builds from the same events (the consumer's own
 * rebuild from the store), and a poison message must come back in `batchItemFailures` alone.
 */
import { randomBytes } from 'node:crypto';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import type { CatalogEvent } from '../../domain/catalog/events';
import { DEFAULT_POLICY } from '../../domain/catalog/events';
import type { NewEvent } from '../../eventstore/types';
import { loadConfig } from '../../platform/config';
import { deprovision, provision, resolveTopology, type ResolvedTopology } from '../../platform/provision';
import { createRuntime, type Runtime } from '../../platform/runtime';
import { topology } from '../../platform/topology';
import { consumers } from '../../projections';
import { RESTAURANTS_COLLECTION } from '../../projections/catalog';
import { TRATTORIA_DETAILS } from '../../test/fixtures/restaurants';
import { consumerLambda, handler as consumerHandler } from './consumer';
import { forwarderLambda, handler as forwarderHandler } from './forwarder';

jest.setTimeout(60_000);

const prefix = `tl${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const topo = topology(prefix);
const CONSUMER = 'catalog-restaurants';
let lambdaSide: Runtime;
let localSide: Runtime;
let resolved: ResolvedTopology;

beforeAll(async () => {
  // the Lambda's read models and the local path's in databases of their own, on one fresh prefix
  lambdaSide = await createRuntime(loadConfig({ ...process.env, RESOURCE_PREFIX: prefix, MONGODB_DB: `${prefix}l` }));
  localSide = await createRuntime(loadConfig({ ...process.env, RESOURCE_PREFIX: prefix, MONGODB_DB: `${prefix}r` }));
  await provision(lambdaSide.aws, topo);
  resolved = await resolveTopology(lambdaSide.aws, topo);
});

afterAll(async () => {
  for (const rt of [lambdaSide, localSide]) {
    if (!rt) continue;
    for (const db of Object.values(rt.dbs)) await db.dropDatabase().catch(() => undefined);
  }
  if (lambdaSide) await deprovision(lambdaSide.aws, topo);
  await lambdaSide?.close();
  await localSide?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every record of the table's stream (all shards, from the trim horizon), until `count` have come. */
async function streamRecords(streamArn: string, count: number): Promise<StreamRecord[]> {
  const streams = lambdaSide.aws.streams;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const records: StreamRecord[] = [];
    const d = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of d.StreamDescription?.Shards ?? []) {
      let it = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (let page = 0; it && page < 20; page++) {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
        records.push(...(out.Records ?? []));
        if ((out.Records ?? []).length === 0) break;
        it = out.NextShardIterator;
      }
    }
    if (records.length >= count) return records;
    if (Date.now() > deadline) throw new Error(`the stream gave ${records.length} of ${count} records`);
    await sleep(200);
  }
}

/** Stream records as the DynamoDB Streams event source hands them to a Lambda. */
function streamEvent(records: StreamRecord[], streamArn: string): DynamoDBStreamEvent {
  return {
    Records: records.map(
      (r): DynamoDBRecord => ({
        eventID: r.eventID!,
        eventName: r.eventName!,
        eventVersion: r.eventVersion!,
        eventSource: 'aws:dynamodb',
        awsRegion: lambdaSide.config.aws.region,
        eventSourceARN: streamArn,
        dynamodb: {
          // the SDK's attribute values are the wire JSON Lambda receives (no binary attributes in events)
          Keys: r.dynamodb!.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
          NewImage: r.dynamodb!.NewImage as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
          SequenceNumber: r.dynamodb!.SequenceNumber!,
          SizeBytes: r.dynamodb!.SizeBytes!,
          StreamViewType: r.dynamodb!.StreamViewType!,
          ApproximateCreationDateTime: Math.floor((r.dynamodb!.ApproximateCreationDateTime ?? new Date()).getTime() / 1000),
        },
      }),
    ),
  };
}

/** One receive, as the SQS event source polls (FIFO: a group in flight gives nothing more until deleted). */
async function receiveBatch(queueUrl: string): Promise<Message[]> {
  const out = await lambdaSide.aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
  );
  return out.Messages ?? [];
}

/** Messages as the SQS event source hands them to a Lambda. */
function sqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
          SenderId: m.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
          ...(m.Attributes?.SequenceNumber ? { SequenceNumber: m.Attributes.SequenceNumber } : {}),
          ...(m.Attributes?.MessageGroupId ? { MessageGroupId: m.Attributes.MessageGroupId } : {}),
          ...(m.Attributes?.MessageDeduplicationId ? { MessageDeduplicationId: m.Attributes.MessageDeduplicationId } : {}),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody!,
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: lambdaSide.config.aws.region,
      }),
    ),
  };
}

const week = { monday: [{ open: '12:00', close: '15:00' }], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [] };
const created = (restaurantId: string): NewEvent<CatalogEvent> => ({
  type: 'RestaurantCreated',
  data: { restaurantId, ownerId: 'user-owner', ...TRATTORIA_DETAILS, openingHours: week, tables: [{ id: 't1', seats: 2 }], policy: DEFAULT_POLICY },
});

it('the forwarder and consumer Lambdas, fed real stream records and queue messages, build the read model the local path builds', async () => {
  const store = lambdaSide.stores.catalog;
  await store.append('restaurant-a', [created('a'), { type: 'MenuSectionAdded', data: { restaurantId: 'a', section: 'Pasta' } }], { expectedVersion: 'no_stream' });
  await store.append(
    'restaurant-a',
    [{ type: 'DishAdded', data: { restaurantId: 'a', section: 'Pasta', dish: { name: 'Carbonara', description: 'guanciale', price: { amount: 12.5, currency: 'EUR' } } } }],
    { expectedVersion: 2 },
  );
  await store.append('restaurant-b', [created('b'), { type: 'RestaurantClosed', data: { restaurantId: 'b' } }], { expectedVersion: 'no_stream' });
  const EVENTS = 5;

  // forwarder: the table's real stream records → the service's SNS FIFO topic
  const streamArn = resolved.tables.catalog.streamArn;
  const forward = forwarderLambda({ sns: lambdaSide.aws.sns, topicArn: resolved.topics.catalog, service: 'catalog' });
  await forward(streamEvent(await streamRecords(streamArn, EVENTS), streamArn));

  // consumer: what reached its queue, plus one poison message in a group of its own
  const q = resolved.queues[CONSUMER]!;
  await lambdaSide.aws.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'not an event', MessageGroupId: 'poison', MessageDeduplicationId: 'poison-1' }));
  const live = consumers(lambdaSide)[CONSUMER];
  await live.init();
  const consume = consumerLambda({ name: CONSUMER, consumer: live, store, log: () => undefined });

  // as the event source does: receive a batch, invoke, delete what succeeded (a failure comes back later)
  const handled: string[] = [];
  const failed: string[] = [];
  let poisonId: string | undefined;
  const deadline = Date.now() + 30_000;
  while (handled.length < EVENTS || poisonId === undefined) {
    if (Date.now() > deadline) throw new Error(`handled ${handled.length} of ${EVENTS} events; poison received: ${poisonId !== undefined}`);
    const messages = await receiveBatch(q.url);
    if (messages.length === 0) continue;
    poisonId ??= messages.find((m) => m.Body === 'not an event')?.MessageId;
    const response = await consume(sqsEvent(messages, q.arn));
    const failures = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    failed.push(...failures);
    const ok = messages.filter((m) => !failures.has(m.MessageId!));
    handled.push(...ok.map((m) => m.MessageId!));
    if (ok.length > 0) {
      await lambdaSide.aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }
  // the poison message alone failed; every event succeeded the first time
  expect(failed).toEqual([poisonId]);
  expect(handled).toHaveLength(EVENTS);

  // the local path: the same consumer's rebuild from the same store, in another database
  const report = await consumers(localSide)[CONSUMER].rebuildFromStore();
  expect(report).toBeDefined();
  const docs = (rt: Runtime) => rt.dbs.catalog.collection(RESTAURANTS_COLLECTION).find({}).sort({ _id: 1 }).toArray();
  const fromLambda = await docs(lambdaSide);
  expect(fromLambda.map((d) => d._id)).toEqual(['a', 'b']);
  expect(fromLambda).toEqual(await docs(localSide));
});

it('the module-level consumer handler refuses an unknown CONSUMER_NAME, naming the known ones, before connecting', async () => {
  const before = process.env.CONSUMER_NAME;
  process.env.CONSUMER_NAME = 'no-such-consumer';
  try {
    await expect(consumerHandler({ Records: [] })).rejects.toThrow(/unknown consumer no-such-consumer; known: .*catalog-restaurants/);
  } finally {
    if (before === undefined) delete process.env.CONSUMER_NAME;
    else process.env.CONSUMER_NAME = before;
  }
});

it('the module-level forwarder handler refuses a missing SERVICE, naming the services', async () => {
  const before = process.env.SERVICE;
  delete process.env.SERVICE;
  try {
    await expect(forwarderHandler({ Records: [] })).rejects.toThrow(/SERVICE must be one of catalog, reservation, auth/);
  } finally {
    if (before !== undefined) process.env.SERVICE = before;
  }
});
