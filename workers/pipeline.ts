/**
 * Process entry point: the local stand-ins for the AWS event plumbing. Per service, a forwarder polls the
 * event table's DynamoDB stream and publishes to the service's SNS FIFO topic (the Lambda on AWS); per
 * consumer, a poller feeds its SQS FIFO queue to its Lambda-shaped handler. On AWS the same handlers run as
 * Lambdas, wired from the same topology.
 */
import { loadConfig, type Config } from '../platform/config';
import { createRuntime } from '../platform/runtime';
import type { AwsClients } from '../platform/aws';
import { resolveTopology, type ResolvedTopology } from '../platform/provision';
import { SERVICES, type ConsumerName } from '../platform/topology';
import { createForwarderHandler, StreamForwarderRunner, type StreamForwarderRunnerOptions } from '../eventstore/forwarder';
import type { ServiceName } from '../eventstore/types';
import { createSqsHandler, QueueConsumerRunner } from '../eventstore/consumer';
import { consumers } from '../projections';

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
    handler: createForwarderHandler({ sns: aws.sns, topicArn: resolved.topics[service] }),
    ...opts,
  });
}

export async function startPipeline(config: Config = loadConfig(), opts: { only?: ConsumerName[] } = {}) {
  const runtime = await createRuntime(config);
  const resolved = await resolveTopology(runtime.aws, runtime.topo);
  const handlers = consumers(runtime);
  const forwarders = SERVICES.map((service) =>
    serviceForwarder(runtime.aws, resolved, service, { onError: (err) => console.error(`[forwarder ${service}]`, err) }),
  );
  const queueRunners = runtime.topo.consumers
    .filter((c) => !opts.only || opts.only.includes(c.name))
    .map(
      (c) =>
        new QueueConsumerRunner({
          sqs: runtime.aws.sqs,
          queueUrl: resolved.queues[c.name]!.url,
          dlqUrl: resolved.queues[c.name]!.dlqUrl,
          handler: createSqsHandler(handlers[c.name].handle, {
            ...(handlers[c.name].handleStream ? { handleStream: handlers[c.name].handleStream } : {}),
          }),
          // up to 4 batches handled at once, received one after another (see QueueConsumerRunnerOptions)
          concurrency: 4,
          onPoison: ({ depth }) => console.error(`[consumer ${c.name}] ${depth} message(s) in the dead-letter queue`),
          onError: (err) => console.error(`[consumer ${c.name}]`, err),
        }),
    );
  for (const r of [...forwarders, ...queueRunners]) r.start();
  return {
    async stop() {
      await Promise.all([...forwarders, ...queueRunners].map((r) => r.stop()));
      await runtime.close();
    },
  };
}

if (require.main === module) {
  startPipeline()
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
