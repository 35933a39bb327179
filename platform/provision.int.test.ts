import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { awsClients, destroyAwsClients } from './aws';
import { loadConfig } from './config';
import { deprovision, provision, resolveTopology } from './provision';
import { CONSUMERS, MAX_RECEIVE_COUNT, topology } from './topology';

const clients = awsClients(loadConfig());
const topo = topology(`t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);

afterAll(async () => {
  await deprovision(clients, topo);
  destroyAwsClients(clients);
});

it('creates the topology once; a second run changes nothing', async () => {
  const first = await provision(clients, topo, { visibilityTimeoutSeconds: 7 });
  // 1 checkpoints + 3 event tables, 3 topics, one (dlq, queue, policy, subscription) per consumer
  expect(first.created).toHaveLength(1 + 3 + 3 + CONSUMERS.length * 4);
  expect(first.existing).toHaveLength(0);

  const second = await provision(clients, topo);
  expect(second.created).toEqual([]);
  expect(second.existing).toHaveLength(first.created.length);

  const r = await resolveTopology(clients, topo);
  expect(r.checkpointsTable).toBe(`${topo.prefix}-checkpoints`);
  const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: topo.services.catalog.table }));
  expect(table.Table?.StreamSpecification).toMatchObject({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
  expect(table.Table?.LatestStreamArn).toBe(r.tables.catalog.streamArn);

  const q = r.queues['reservation-restaurants']!;
  const attrs = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
  expect(attrs.Attributes?.FifoQueue).toBe('true');
  // the second run kept the first run's 7 s
  expect(attrs.Attributes?.VisibilityTimeout).toBe('7');
  expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ deadLetterTargetArn: q.dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT });
  expect(attrs.Attributes?.Policy).toContain(r.topics.catalog);

  const subs = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: r.topics.catalog }));
  expect(subs.Subscriptions?.map((s) => s.Endpoint).sort()).toEqual(
    ['catalog-restaurants', 'reservation-restaurants', 'auth-ownership'].map((c) => r.queues[c]!.arn).sort(),
  );
  const sa = await clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subs.Subscriptions![0]!.SubscriptionArn! }));
  expect(sa.Attributes?.RawMessageDelivery).toBe('true');
});
