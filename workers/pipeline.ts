/**
 * Process entry point: the local stand-ins for the AWS event plumbing. Per service, a forwarder polls the
 * event table's DynamoDB stream and publishes to the service's SNS FIFO topic (the Lambda on AWS); per
 * consumer, a poller feeds its SQS FIFO queue to its Lambda-shaped handler, and a redriver moves its
 * dead letters back with backoff. On AWS the same handlers run as Lambdas, wired from the same topology
 * (the redriver as a scheduled function: workers/lambda/redrive.ts).
 */
import { loadConfig, type Config } from '../platform/config';
import { createRuntime, type Runtime } from '../platform/runtime';
import type { AwsClients } from '../platform/aws';
import { resolveTopology, type ResolvedTopology } from '../platform/provision';
import { SERVICES, type ConsumerName, type Topology } from '../platform/topology';
import { createForwarderHandler } from '../eventstore/forwarder';
import { StreamForwarderRunner, type StreamForwarderRunnerOptions } from '../eventstore/stream-runner';
import type { ServiceName } from '../eventstore/types';
import { createSqsHandler, isDependencyDown } from '../eventstore/consumer';
import { QueueConsumerRunner } from '../eventstore/queue-runner';
import { DeadLetterRedriver } from '../eventstore/dead-letters';
import { type Consumer, consumers } from '../projections';
import { replayViaQueue } from '../eventstore/replay';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';

/** The local stand-in for one service's stream → topic Lambda, wired from the resolved topology. */
export function serviceForwarder(
  aws: AwsClients,
  resolved: ResolvedTopology,
  service: ServiceName,
  opts: Partial<Omit<StreamForwarderRunnerOptions, 'streams' | 'dynamodb' | 'streamArn' | 'checkpointTable' | 'handler'>> = {},
): StreamForwarderRunner {
  return new StreamForwarderRunner({
    streams: aws.streams,
    dynamodb: aws.dynamodb,
    streamArn: resolved.tables[service].streamArn,
    checkpointTable: resolved.checkpointsTable,
    handler: createForwarderHandler({
      sns: aws.sns,
      topicArn: resolved.topics[service],
      onSkipped: ({ event, code, message }) =>
        console.error(
          `[forwarder ${service}] SKIPPED ${event.streamId} v${event.version} (${event.eventId}): SNS refused it for good (${code} ${message}); consumers will read it from the store at the stream's next event`,
        ),
    }),
    ...opts,
  });
}

export interface PipelineOptions {
  only?: ConsumerName[];
  /** Dead-letter redrive rounds: first delay (default 30 s) and the longest (default 15 min). */
  redriveBaseMs?: number;
  redriveMaxMs?: number;
}

/**
 * One consumer's queue runner, wired so that nothing freezes: gaps heal from the source service's store,
 * a down MongoDB pauses receiving (probe = ping), and a slow batch keeps its messages invisible.
 */
export function consumerRunner(
  runtime: Pick<Runtime, 'aws' | 'stores' | 'dbs'>,
  resolved: ResolvedTopology,
  c: Pick<Topology['consumers'][number], 'name' | 'source' | 'owner'>,
  consumer: Consumer,
  log: (line: string, err?: unknown) => void,
): QueueConsumerRunner {
  return new QueueConsumerRunner({
    sqs: runtime.aws.sqs,
    queueUrl: resolved.queues[c.name]!.url,
    dlqUrl: resolved.queues[c.name]!.dlqUrl,
    handler: createSqsHandler(consumer.handle, {
      ...(consumer.handleStream ? { handleStream: consumer.handleStream } : {}),
      store: runtime.stores[c.source],
      onHealed: ({ streamId, fromVersion, applied }) => log(`healed a gap in ${streamId}: applied ${applied} event(s) from v${fromVersion}, read from the ${c.source} store`),
      // a dependency being down gets one line per message (the probe below reports the outage itself)
      onError: (err, record) =>
        isDependencyDown(err)
          ? log(`message ${record.messageId} failed: a dependency does not answer (${err instanceof Error ? err.message : String(err)})`)
          : log(`message ${record.messageId} failed`, err),
    }),
    // up to 4 batches handled at once, received one after another (see QueueConsumerRunnerOptions)
    concurrency: 4,
    // an idle queue costs one ReceiveMessage per wait: the longest SQS allows (stop() cuts it short)
    waitTimeSeconds: 20,
    // a DLQ depth check is a request per consumer; a dead letter is redriven anyway (DeadLetterRedriver)
    dlqCheckMs: 30_000,
    probe: async () => void (await runtime.dbs[c.owner].command({ ping: 1 })),
    onPause: ({ pausedMs, err }) => log(`MongoDB (${c.owner}) does not answer: not receiving for ${pausedMs} ms`, err instanceof Error ? err.message : err),
    onResume: ({ pausedMs }) => log(`MongoDB (${c.owner}) answers again after ${pausedMs} ms: receiving`),
    onPoison: ({ depth }) => log(`${depth} message(s) in the dead-letter queue (redriven automatically)`),
    onError: (err) => log('error', err),
  });
}

/**
 * Catch-up of one consumer queue that is newer than the event store it is fed from. Locally SNS and SQS
 * (LocalStack) keep their messages in memory while the event store (dynoxide), the forwarder's checkpoints and
 * the read models persist: when it was restarted, messages published but not yet consumed before the
 * stop are gone, and the forwarder (checkpointed past them) will not send them again. So when a queue's
 * CreatedTimestamp differs from the one recorded in the checkpoints table at its last catch-up, the
 * source service's whole history is replayed into it (eventstore/replay.ts replayViaQueue): the consumer applies each
 * event once per stream version (checkpoint.ts) and skips what it has, so the read models end equal to a
 * rebuild. The run id derives from the queue's creation, so a catch-up interrupted by a crash and run
 * again deduplicates against itself; the marker is written only after every event was sent. On AWS a
 * queue is created once, so this runs once per queue (a new consumer gets the history, as it should).
 */
export async function catchUpQueue(
  runtime: Pick<Runtime, 'aws' | 'stores'>,
  resolved: ResolvedTopology,
  c: Pick<Topology['consumers'][number], 'name' | 'source' | 'queue'>,
): Promise<{ replayed: number } | undefined> {
  const url = resolved.queues[c.name]!.url;
  const attrs = await runtime.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['CreatedTimestamp'] }));
  const created = attrs.Attributes?.CreatedTimestamp ?? 'unknown';
  const key = { id: { S: `catch-up|${c.queue}` } };
  const marker = await runtime.aws.dynamodb.send(new GetItemCommand({ TableName: resolved.checkpointsTable, Key: key, ConsistentRead: true }));
  if (marker.Item?.queueCreated?.S === created) return undefined;
  const report = await replayViaQueue({ store: runtime.stores[c.source], sqs: runtime.aws.sqs, queueUrl: url, runId: `catchup-${created}` });
  await runtime.aws.dynamodb.send(
    new PutItemCommand({
      TableName: resolved.checkpointsTable,
      Item: { ...key, queueCreated: { S: created }, replayed: { N: String(report.sent) }, updatedAt: { S: new Date().toISOString() } },
    }),
  );
  return { replayed: report.sent };
}

export async function startPipeline(config: Config = loadConfig(), opts: PipelineOptions = {}) {
  const runtime = await createRuntime(config);
  const resolved = await resolveTopology(runtime.aws, runtime.topo);
  const handlers = consumers(runtime);
  const forwarders = SERVICES.map((service) =>
    serviceForwarder(runtime.aws, resolved, service, { onError: (err) => console.error(`[forwarder ${service}]`, err) }),
  );
  const selected = runtime.topo.consumers.filter((c) => !opts.only || opts.only.includes(c.name));
  // each read model's indexes exist before its first write (createIndexes leaves existing ones as they are)
  for (const c of selected) await handlers[c.name].init();
  const queueRunners = selected.map((c) =>
    consumerRunner(runtime, resolved, c, handlers[c.name], (line, err) =>
      err === undefined ? console.error(`[consumer ${c.name}] ${line}`) : console.error(`[consumer ${c.name}] ${line}`, err),
    ),
  );
  const redrivers = selected.map(
    (c) =>
      new DeadLetterRedriver({
        sqs: runtime.aws.sqs,
        consumer: c.name,
        queueUrl: resolved.queues[c.name]!.url,
        dlqUrl: resolved.queues[c.name]!.dlqUrl,
        baseDelayMs: opts.redriveBaseMs ?? config.pipeline.redriveBaseMs,
        maxDelayMs: opts.redriveMaxMs ?? config.pipeline.redriveMaxMs,
        onMove: (m) => console.error(`[redrive ${c.name}] moved ${m.streamId} v${m.version} (message ${m.messageId}) back to the queue, redrive #${m.redrives}`),
        onUndecodable: ({ messageId }) => console.error(`[redrive ${c.name}] message ${messageId} is not an event: left in the dead-letter queue for a human`),
        onError: (err) => console.error(`[redrive ${c.name}]`, err),
      }),
  );
  const runners = [...forwarders, ...queueRunners, ...redrivers];
  for (const r of runners) r.start();
  // queues newer than the store they are fed from get its history (see catchUpQueue); retried until done
  let stopping = false;
  const catchUp = Promise.all(
    selected.map(async (c) => {
      for (let attempt = 1; !stopping; attempt++) {
        try {
          const r = await catchUpQueue(runtime, resolved, c);
          if (r && r.replayed > 0) console.error(`[catch-up ${c.name}] ${c.queue} is newer than the ${c.source} store: replayed ${r.replayed} event(s) into it`);
          return;
        } catch (err) {
          console.error(`[catch-up ${c.name}] attempt ${attempt} failed (retrying)`, err);
          await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
        }
      }
    }),
  );
  return {
    /** Resolves when every queue has caught up (tests). */
    caughtUp: catchUp.then(() => undefined),
    async stop() {
      stopping = true;
      await catchUp;
      await Promise.all(runners.map((r) => r.stop()));
      await runtime.close();
    },
  };
}

if (require.main === module) {
  Promise.resolve()
    .then(() => startPipeline(loadConfig()))
    .then((p) => {
      const stop = () => void p.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
