/**
 * The event pipeline on AWS, generated from the topology local provisioning uses (platform/topology.ts):
 * per service an event table (on demand, streams NEW_IMAGE, point-in-time recovery, deletion protection),
 * a forwarder Lambda on its stream (bisect on error, bounded retries, an on-failure queue) and an SNS FIFO
 * topic; per consumer an SQS FIFO queue with its dead-letter queue, a raw-delivery subscription and a
 * Lambda with partial batch responses; one scheduled Lambda that moves every consumer's dead letters back
 * (workers/lambda/redrive.ts, as the local pipeline's redriver does); alarms on dead letters, stream
 * iterator age and Lambda errors. A consumer added to the topology gets all of its resources from here, with no other change.
 */
import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_TABLE_KEY } from '../../eventstore/dynamodb-table';
import type { ServiceName } from '../../eventstore/types';
import { MAX_RECEIVE_COUNT, SERVICES, type Topology } from '../topology';
import { grantAppend } from './grants';
import type { Alarms } from './alarms';

const ROOT = path.resolve(__dirname, '../..');

/** A consumer's batch: 10 messages, each a few MongoDB writes with MONGODB_TIMEOUT_MS deadlines. */
const CONSUMER_TIMEOUT = Duration.seconds(30);
/** Consumer Lambdas running at once per consumer (each holds a small MongoDB pool). */
export const CONSUMER_MAX_CONCURRENCY = 10;
/** Stream batches the forwarder retries before the batch's records go to the on-failure queue. */
export const FORWARDER_RETRY_ATTEMPTS = 10;
/** Stream iterator age above which the forwarder is taken to be falling behind. */
export const ITERATOR_AGE_ALARM = Duration.minutes(1);

export interface EventPipelineProps {
  topology: Topology;
  /** Runs the consumers that reach MongoDB; the forwarders need no network but AWS's. */
  vpc: ec2.IVpc;
  /** The MongoDB URI the consumers read at cold start (workers/lambda/consumer.ts, platform/secrets.ts). */
  mongoUri: secretsmanager.ISecret;
  /** Environment every function shares (region-free: Lambda sets AWS_REGION itself). */
  environment: Record<string, string>;
  alarms: Alarms;
}

export interface ServicePipeline {
  table: dynamodb.Table;
  topic: sns.Topic;
  forwarder: lambda.Function;
  /** Stream records the forwarder gave up on (metadata only); consumers heal from the store at the stream's next event. */
  forwarderFailures: sqs.Queue;
}

export interface ConsumerPipeline {
  queue: sqs.Queue;
  dlq: sqs.Queue;
  fn: lambda.Function;
}

/** How often the dead letters of every consumer go back to their queues (the local redriver's longest delay). */
export const REDRIVE_EVERY = Duration.minutes(15);

export class EventPipeline extends Construct {
  readonly services: Record<ServiceName, ServicePipeline>;
  readonly consumers: Record<string, ConsumerPipeline>;
  readonly topology: Topology;
  /** One round of dead-letter redrive for every consumer, on a schedule (workers/lambda/redrive.ts). */
  readonly redrive: lambda.Function;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const { topology: topo } = props;
    this.topology = topo;
    const services = {} as Record<ServiceName, ServicePipeline>;
    for (const service of SERVICES) services[service] = this.service(service, props);
    this.services = services;

    const consumers: Record<string, ConsumerPipeline> = {};
    for (const c of topo.consumers) consumers[c.name] = this.consumer(c, props);
    this.consumers = consumers;
    this.redrive = this.redriver(props);
  }

  private redriver(props: EventPipelineProps): lambda.Function {
    const scope = new Construct(this, 'redrive');
    const queues = props.topology.consumers.map((c) => ({ consumer: c.name, queueUrl: this.consumers[c.name]!.queue.queueUrl, dlqUrl: this.consumers[c.name]!.dlq.queueUrl }));
    const fn = this.fn(scope, 'Redrive', 'redrive.ts', Duration.minutes(2), { ...props.environment, REDRIVE_QUEUES: Stack.of(this).toJsonString(queues) });
    for (const c of props.topology.consumers) {
      const { queue, dlq } = this.consumers[c.name]!;
      dlq.grantConsumeMessages(fn);
      queue.grantSendMessages(fn);
    }
    // a failed round waits for the next one (the schedule is its backoff): neither EventBridge nor Lambda retries it
    fn.configureAsyncInvoke({ retryAttempts: 0 });
    new events.Rule(scope, 'Schedule', {
      schedule: events.Schedule.rate(REDRIVE_EVERY),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
      description: 'dead letters of every consumer back to their queues',
    });
    props.alarms.add(scope, 'Errors', {
      metric: fn.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      description: 'a dead-letter redrive round failed for at least one consumer',
    });
    return fn;
  }

  private service(service: ServiceName, props: EventPipelineProps): ServicePipeline {
    const names = props.topology.services[service];
    const scope = new Construct(this, service);
    const { partition, sort } = EVENT_TABLE_KEY;
    const table = new dynamodb.Table(scope, 'Events', {
      tableName: names.table,
      partitionKey: { name: partition.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sort.name, type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // the event store is the system of record: a stack deletion leaves it behind
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const topic = new sns.Topic(scope, 'Topic', { topicName: names.topic, fifo: true, contentBasedDeduplication: false });
    const forwarderFailures = new sqs.Queue(scope, 'ForwarderFailures', {
      queueName: `${props.topology.prefix}-${service}-forwarder-failures`,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    const forwarder = this.fn(scope, 'Forwarder', 'forwarder.ts', Duration.seconds(30), {
      ...props.environment,
      SERVICE: service,
      TOPIC_ARN: topic.topicArn,
    });
    forwarder.addEventSource(
      new DynamoEventSource(table, {
        // every event since the table began: the forwarder deduplicates by event id, SNS FIFO by message id
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: FORWARDER_RETRY_ATTEMPTS,
        onFailure: new SqsDlq(forwarderFailures),
      }),
    );
    topic.grantPublish(forwarder);

    const alarms = props.alarms;
    alarms.add(scope, 'IteratorAge', {
      metric: forwarder.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: ITERATOR_AGE_ALARM.toMilliseconds(),
      evaluationPeriods: 5,
      description: `${service}'s forwarder is more than ${ITERATOR_AGE_ALARM.toMinutes()} min behind its table's stream`,
    });
    alarms.add(scope, 'ForwarderErrors', {
      metric: forwarder.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      description: `${service}'s forwarder failed (its batch is retried, then bisected)`,
    });
    alarms.add(scope, 'ForwarderGaveUp', {
      metric: forwarderFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      description: `${service}'s forwarder gave up on stream records after ${FORWARDER_RETRY_ATTEMPTS} retries (consumers heal from the store at each stream's next event)`,
    });
    return { table, topic, forwarder, forwarderFailures };
  }

  private consumer(c: Topology['consumers'][number], props: EventPipelineProps): ConsumerPipeline {
    const scope = new Construct(this, c.name);
    const source = this.services[c.source];
    const dlq = new sqs.Queue(scope, 'DLQ', {
      queueName: c.dlq,
      fifo: true,
      contentBasedDeduplication: false,
      // 14 days, the maximum (as locally): what the redrive cannot fix waits for a human
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    const queue = new sqs.Queue(scope, 'Queue', {
      queueName: c.queue,
      fifo: true,
      contentBasedDeduplication: false,
      // Lambda's advice: six times the function's timeout, so throttled retries do not use up the receives
      // (locally the runner extends a batch's visibility while it works: topology.ts VISIBILITY_TIMEOUT_SECONDS)
      visibilityTimeout: Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      enforceSSL: true,
    });
    source.topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));

    const fn = this.fn(
      scope,
      'Consumer',
      'consumer.ts',
      CONSUMER_TIMEOUT,
      { ...props.environment, CONSUMER_NAME: c.name, MONGODB_URI_SECRET_ARN: props.mongoUri.secretName },
      props.vpc,
    );
    // at most 10 at once per consumer: each instance holds its own MongoDB connections
    fn.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: CONSUMER_MAX_CONCURRENCY }));
    props.mongoUri.grantRead(fn);
    // gaps heal from the source service's store (read only)...
    source.table.grantReadData(fn);
    // ...and a reaction appends to its owner's store, the one table it may write
    if (c.appendsToOwner) grantAppend(this.services[c.owner].table, fn);

    props.alarms.add(scope, 'DeadLetters', {
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      description: `${c.name}: messages failed ${MAX_RECEIVE_COUNT} receives and wait in ${c.dlq}`,
    });
    props.alarms.add(scope, 'Errors', {
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      description: `${c.name}'s Lambda failed (a batch error, not one bad message: those are reported per item)`,
    });
    return { queue, dlq, fn };
  }

  /** A function over one of workers/lambda/*.ts, bundled by the local esbuild (never Docker). */
  private fn(
    scope: Construct,
    id: string,
    entry: string,
    timeout: Duration,
    environment: Record<string, string>,
    vpc?: ec2.IVpc,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    return new nodejs.NodejsFunction(scope, id, {
      entry: path.join(ROOT, 'workers/lambda', entry),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: path.join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      logGroup,
      ...(vpc ? { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } : {}),
      bundling: {
        forceDockerBundling: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        // the AWS SDK is bundled at the version package.json pins, not the runtime's
        externalModules: OPTIONAL_DRIVER_MODULES,
      },
    });
  }
}

/** Optional peer modules the MongoDB driver loads only when configured for them (Kerberos, compression, CSFLE...). */
const OPTIONAL_DRIVER_MODULES = ['kerberos', '@mongodb-js/zstd', 'snappy', 'mongodb-client-encryption', '@aws-sdk/credential-providers', 'gcp-metadata', 'socks', 'aws4'];

