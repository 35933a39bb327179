/**
 * Smoke tests against the real local servers: DynamoDB Streams, SNS FIFO fan-out to SQS, FerretDB with the
 * official driver, and Temporal (through @temporalio/testing with the installed CLI, and visibility on the
 * stack's dev server).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { MongoClient } from 'mongodb';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../platform/config';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { temporalCliPath } from './temporal-env';

const config = loadConfig();
const aws = awsClients(config);
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/smoke-workflows'), logger: quietLogger() });
});
afterAll(() => destroyAwsClients(aws));

test('a DynamoDB put appears as a stream record', async () => {
  const TableName = `smoke-${suffix}`;
  const created = await aws.dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  await waitUntilTableExists({ client: aws.dynamodb, maxWaitTime: 30 }, { TableName });
  await aws.dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'hello' }, n: { N: '1' } } }));
  const StreamArn = created.TableDescription!.LatestStreamArn!;
  const shard = (await aws.streams.send(new DescribeStreamCommand({ StreamArn }))).StreamDescription!.Shards![0]!;
  const it = await aws.streams.send(new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
  const records = await aws.streams.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }));
  expect(records.Records?.map((r) => [r.eventName, r.dynamodb?.NewImage?.pk?.S])).toEqual([['INSERT', 'hello']]);
  await aws.dynamodb.send(new DeleteTableCommand({ TableName }));
});

test('an SNS FIFO publish reaches two subscribed SQS FIFO queues, in order', async () => {
  const topic = await aws.sns.send(
    new CreateTopicCommand({ Name: `smoke-${suffix}.fifo`, Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } }),
  );
  const queues = await Promise.all(
    ['a', 'b'].map(async (q) => {
      const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: `smoke-${suffix}-${q}.fifo`, Attributes: { FifoQueue: 'true' } }));
      const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await aws.sns.send(
        new SubscribeCommand({
          TopicArn: topic.TopicArn,
          Protocol: 'sqs',
          Endpoint: attrs.Attributes!.QueueArn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      );
      return QueueUrl!;
    }),
  );
  for (let i = 1; i <= 5; i++) {
    await aws.sns.send(
      new PublishCommand({ TopicArn: topic.TopicArn, Message: JSON.stringify({ i }), MessageGroupId: 'stream-1', MessageDeduplicationId: `m-${i}` }),
    );
  }
  for (const QueueUrl of queues) {
    const got: number[] = [];
    while (got.length < 5) {
      const r = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const messages = r.Messages ?? [];
      got.push(...messages.map((m) => (JSON.parse(m.Body!) as { i: number }).i));
      // delivery from SNS to SQS is asynchronous (as on AWS): a receive may get only the first few, and the
      // group stays locked until they are deleted, like a real consumer does
      if (messages.length > 0) {
        await aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
    expect(got).toEqual([1, 2, 3, 4, 5]);
    await aws.sqs.send(new DeleteQueueCommand({ QueueUrl }));
  }
  await aws.sns.send(new DeleteTopicCommand({ TopicArn: topic.TopicArn }));
});

test('a document round-trips through FerretDB with the official mongodb driver', async () => {
  const client = await new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  try {
    const db = client.db(`smoke_${suffix}`);
    const doc = { _id: randomUUID(), name: 'Trattoria', seats: [2, 4], at: new Date('2026-03-29T17:30:00Z') };
    await db.collection<typeof doc>('things').insertOne(doc);
    expect(await db.collection<typeof doc>('things').findOne({ _id: doc._id })).toEqual(doc);
    await db.dropDatabase();
  } finally {
    await client.close();
  }
});

test('a trivial workflow runs on a dev server started by @temporalio/testing from the installed CLI (no download)', async () => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() } },
  });
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'smoke',
      workflowBundle: bundle,
      activities: { greet: async (name: string) => `hello ${name}` },
    });
    const result = await worker.runUntil(
      env.client.workflow.execute('helloWorkflow', { taskQueue: 'smoke', workflowId: `hello-${suffix}`, args: ['mario'] }),
    );
    expect(result).toBe('hello mario');
  } finally {
    await env.teardown();
  }
});

test('a workflow with typed search attributes is listed by a visibility query on the stack server', async () => {
  const { NativeConnection } = await import('@temporalio/worker');
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection });
  const taskQueue = `smoke-${suffix}`;
  const restaurantId = `r-${suffix}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: {} });
  try {
    await worker.runUntil(async () => {
      const handle = await client.workflow.start('taggedWorkflow', { taskQueue, workflowId: `tagged-${suffix}`, args: [restaurantId] });
      let ids: string[] = [];
      for (let i = 0; i < 60 && ids.length === 0; i++) {
        ids = [];
        for await (const wf of client.workflow.list({ query: `RestaurantId = '${restaurantId}' AND PartySize = 4` })) ids.push(wf.workflowId);
        if (ids.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(ids).toEqual([`tagged-${suffix}`]);
      await handle.signal('release');
      await handle.result();
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
});

function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never;
}
