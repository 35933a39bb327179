/**
 * A consumer Lambda (SQS FIFO event source with ReportBatchItemFailures): the very handler the local
 * `QueueConsumerRunner` calls (eventstore/consumer.ts `createSqsHandler` over the consumer from
 * projections/index.ts), wired from config. Failed messages are reported in `batchItemFailures`; SQS
 * redelivers them and, after MAX_RECEIVE_COUNT receives, moves them to the consumer's dead-letter queue.
 *
 * Environment: CONSUMER_NAME (one of the topology's consumers) and what platform/config.ts reads.
 * MONGODB_URI_SECRET_ARN (`<arn>`, or `<arn>#<field>` for a JSON secret) has MONGODB_URI read from Secrets
 * Manager at cold start, so the Lambda's configuration holds no password; likewise any NAME_SECRET_ARN
 * (platform/secrets.ts). A MONGODB_URI set directly wins.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSqsHandler, isDependencyDown } from '../../eventstore/consumer';
import type { EventStore } from '../../eventstore/types';
import { loadConfig } from '../../platform/config';
import { createRuntime } from '../../platform/runtime';
import { loadConfigWithSecrets } from '../../platform/secrets';
import { consumerDef, topology, type ConsumerName } from '../../platform/topology';
import { consumers, type Consumer } from '../../projections';
import { once } from './once';

export interface ConsumerLambdaDeps {
  name: ConsumerName;
  consumer: Pick<Consumer, 'handle' | 'handleStream'>;
  /** The SOURCE service's event store: gaps heal from it and data-less envelopes are completed from it. */
  store: Pick<EventStore, 'readStream'>;
  log?: (line: string, err?: unknown) => void;
}

/** The Lambda's handler type: an SQS event in, the partial batch response out. */
export type ConsumerLambda = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function consumerLambda(deps: ConsumerLambdaDeps): ConsumerLambda {
  const log = deps.log ?? ((line: string, err?: unknown) => (err === undefined ? console.error(`[consumer ${deps.name}] ${line}`) : console.error(`[consumer ${deps.name}] ${line}`, err)));
  const handle = createSqsHandler(deps.consumer.handle, {
    ...(deps.consumer.handleStream ? { handleStream: deps.consumer.handleStream } : {}),
    store: deps.store,
    onHealed: ({ streamId, fromVersion, applied }) => log(`healed a gap in ${streamId}: applied ${applied} event(s) from v${fromVersion}, read from the store`),
    onError: (err, record) =>
      isDependencyDown(err)
        ? log(`message ${record.messageId} failed: a dependency does not answer (${err instanceof Error ? err.message : String(err)})`)
        : log(`message ${record.messageId} failed`, err),
  });
  return (event) => handle(event);
}

const fromEnv = once(async (): Promise<ConsumerLambda> => {
  // validated before any connection is made (Secrets Manager's included): an unknown name names the known ones;
  // the prefix is never a secret, so the plain environment's config has it
  const def = consumerDef(topology(loadConfig().resourcePrefix), process.env.CONSUMER_NAME ?? '');
  const config = await loadConfigWithSecrets();
  const runtime = await createRuntime(config);
  const consumer = consumers(runtime)[def.name];
  try {
    // the read model's indexes exist before its first write (as the pipeline worker does at start)
    await consumer.init();
  } catch (err) {
    // the next invocation starts over: this one's connections must not linger in the warm container
    await runtime.close();
    throw err;
  }
  return consumerLambda({ name: def.name, consumer, store: runtime.stores[def.source] });
});

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => (await fromEnv())(event);
