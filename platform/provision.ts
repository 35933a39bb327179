/**
 * Creates the messaging topology (see topology.ts) where it is missing and changes nothing that exists,
 * so it is safe to run on every start. Per service: the event table (streams NEW_IMAGE) and an SNS FIFO
 * topic; per consumer: a FIFO dead-letter queue, a FIFO queue redriving to it after MAX_RECEIVE_COUNT
 * receives, a queue policy letting the topic send, and a raw-delivery subscription. Plus one
 * `${prefix}-checkpoints` table for the stream forwarders.
 */
import { DeleteTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createEventTable, createTable } from '../eventstore/dynamodb-table';
import type { ServiceName } from '../eventstore/types';
import type { AwsClients } from './aws';
import { MAX_RECEIVE_COUNT, SERVICES, type Topology, VISIBILITY_TIMEOUT_SECONDS } from './topology';

function checkpointsTableName(prefix: string): string {
  return `${prefix}-checkpoints`;
}

export type ResourceKind = 'table' | 'topic' | 'queue' | 'dlq' | 'queue-policy' | 'subscription';

export interface ProvisionReport {
  created: Array<{ kind: ResourceKind; name: string }>;
  existing: Array<{ kind: ResourceKind; name: string }>;
}

export interface ProvisionOptions {
  /** Visibility timeout of new consumer queues (tests use 1 s so redelivery is quick). */
  visibilityTimeoutSeconds?: number;
}

export interface ResolvedTopology {
  checkpointsTable: string;
  tables: Record<ServiceName, { name: string; streamArn: string }>;
  topics: Record<ServiceName, string>;
  queues: Record<string, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
}

export async function provision(clients: AwsClients, topo: Topology, opts: ProvisionOptions = {}): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], existing: [] };
  const note = (created: boolean, kind: ResourceKind, name: string) => (created ? report.created : report.existing).push({ kind, name });

  const checkpoints = checkpointsTableName(topo.prefix);
  note(await createCheckpointTable(clients.dynamodb, checkpoints), 'table', checkpoints);

  const topicArns = {} as Record<ServiceName, string>;
  for (const s of SERVICES) {
    const { table, topic } = topo.services[s];
    note(await createEventTable(clients.dynamodb, table), 'table', table);
    const existing = await findTopicArn(clients.sns, topic);
    if (existing) {
      topicArns[s] = existing;
    } else {
      const out = await clients.sns.send(
        new CreateTopicCommand({ Name: topic, Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } }),
      );
      topicArns[s] = out.TopicArn!;
    }
    note(!existing, 'topic', topic);
  }

  const visibility = String(opts.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS);
  for (const c of topo.consumers) {
    const topicArn = topicArns[c.source];
    // 14 days, the maximum: the pipeline moves dead letters back with backoff (eventstore/dead-letters.ts);
    // what cannot be moved (not an event) waits for a human
    const dlq = await ensureQueue(clients.sqs, c.dlq, { ...FIFO_QUEUE, MessageRetentionPeriod: '1209600' });
    note(dlq.created, 'dlq', c.dlq);
    const dlqArn = await queueArn(clients.sqs, dlq.url);

    const { url, created } = await ensureQueue(clients.sqs, c.queue, {
      ...FIFO_QUEUE,
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    });
    note(created, 'queue', c.queue);
    const arn = await queueArn(clients.sqs, url);

    // Checked separately from the queue so a run interrupted between steps converges on the next run.
    const attrs = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }));
    const hasPolicy = attrs.Attributes?.Policy !== undefined && attrs.Attributes.Policy.includes(topicArn);
    note(!hasPolicy, 'queue-policy', c.queue);
    if (!hasPolicy) {
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'topic-sends',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: arn,
            Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
          },
        ],
      };
      await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(policy) } }));
    }

    const subscribed = await isSubscribed(clients.sns, topicArn, arn);
    note(!subscribed, 'subscription', `${c.source} → ${c.queue}`);
    if (!subscribed) {
      await clients.sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: arn,
          Attributes: { RawMessageDelivery: 'true' },
          ReturnSubscriptionArn: true,
        }),
      );
    }
  }
  return report;
}

/** ARNs, URLs and stream ARNs of an already provisioned topology; throws naming what is missing. */
export async function resolveTopology(clients: AwsClients, topo: Topology): Promise<ResolvedTopology> {
  const tables = {} as ResolvedTopology['tables'];
  const topics = {} as ResolvedTopology['topics'];
  for (const s of SERVICES) {
    const { table, topic } = topo.services[s];
    const d = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = d.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${table} has no stream; run npm run provision`);
    tables[s] = { name: table, streamArn };
    const arn = await findTopicArn(clients.sns, topic);
    if (!arn) throw new Error(`topic ${topic} does not exist; run npm run provision`);
    topics[s] = arn;
  }
  const queues: ResolvedTopology['queues'] = {};
  for (const c of topo.consumers) {
    const url = await queueUrl(clients.sqs, c.queue);
    const dlqUrl = await queueUrl(clients.sqs, c.dlq);
    if (!url || !dlqUrl) throw new Error(`queue ${c.queue} or ${c.dlq} does not exist; run npm run provision`);
    queues[c.name] = { url, arn: await queueArn(clients.sqs, url), dlqUrl, dlqArn: await queueArn(clients.sqs, dlqUrl) };
  }
  return { checkpointsTable: checkpointsTableName(topo.prefix), tables, topics, queues };
}

/** Deletes everything `provision` creates for the prefix (tests and throwaway environments only). */
export async function deprovision(clients: AwsClients, topo: Topology): Promise<void> {
  const ignoreMissing = (p: Promise<unknown>) => p.catch(() => undefined);
  for (const s of SERVICES) {
    const arn = await findTopicArn(clients.sns, topo.services[s].topic);
    if (arn) {
      const subs = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
      for (const sub of subs.Subscriptions ?? []) {
        if (sub.SubscriptionArn) await ignoreMissing(clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn })));
      }
      await ignoreMissing(clients.sns.send(new DeleteTopicCommand({ TopicArn: arn })));
    }
    await ignoreMissing(clients.dynamodb.send(new DeleteTableCommand({ TableName: topo.services[s].table })));
  }
  for (const c of topo.consumers) {
    for (const name of [c.queue, c.dlq]) {
      const url = await queueUrl(clients.sqs, name);
      if (url) await ignoreMissing(clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
    }
  }
  await ignoreMissing(clients.dynamodb.send(new DeleteTableCommand({ TableName: checkpointsTableName(topo.prefix) })));
}

/** Checkpoints of the stream forwarders: key `id` = `${streamArn}|${shardId}`. */
function createCheckpointTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  return createTable(client, {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  });
}

async function findTopicArn(sns: SNSClient, name: string): Promise<string | undefined> {
  let next: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken: next }));
    const hit = page.Topics?.find((t) => t.TopicArn?.endsWith(`:${name}`));
    if (hit?.TopicArn) return hit.TopicArn;
    next = page.NextToken;
  } while (next);
  return undefined;
}

const FIFO_QUEUE = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };

/** The queue's URL, creating it with these attributes when it does not exist yet. */
async function ensureQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; created: boolean }> {
  const existing = await queueUrl(sqs, name);
  if (existing) return { url: existing, created: false };
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: out.QueueUrl!, created: true };
}

export async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (err instanceof QueueDoesNotExist || (err as { name?: string }).name === 'AWS.SimpleQueueService.NonExistentQueue') return undefined;
    throw err;
  }
}

export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no QueueArn`);
  return arn;
}

async function isSubscribed(sns: SNSClient, topicArn: string, endpoint: string): Promise<boolean> {
  let next: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
    if (page.Subscriptions?.some((s) => s.Endpoint === endpoint && s.Protocol === 'sqs')) return true;
    next = page.NextToken;
  } while (next);
  return false;
}
