/**
 * The forwarder Lambda (DynamoDB Streams event source on one service's event table): the very handler the
 * local `StreamForwarderRunner` calls (eventstore/forwarder.ts), wired from config.
 *
 * Environment: SERVICE (whose table's stream this is: catalog, reservation or auth), TOPIC_ARN (the
 * service's SNS FIFO topic; when unset it is looked up by the topology's name under RESOURCE_PREFIX), and
 * what platform/config.ts reads; any NAME_SECRET_ARN has NAME read from Secrets Manager at cold start
 * (platform/secrets.ts). A thrown error fails the whole batch; the event source mapping retries it.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import { createForwarderHandler, type ForwarderHandler } from '../../eventstore/forwarder';
import type { ServiceName } from '../../eventstore/types';
import { awsClients } from '../../platform/aws';
import { ConfigError } from '../../platform/config';
import { resolveTopology } from '../../platform/provision';
import { loadConfigWithSecrets } from '../../platform/secrets';
import { SERVICES, topology } from '../../platform/topology';
import { once } from './once';

export interface ForwarderLambdaDeps {
  sns: SNSClient;
  topicArn: string;
  service: ServiceName;
}

export function forwarderLambda(deps: ForwarderLambdaDeps): ForwarderHandler {
  return createForwarderHandler({
    sns: deps.sns,
    topicArn: deps.topicArn,
    onSkipped: ({ event, code, message }) =>
      console.error(
        `[forwarder ${deps.service}] SKIPPED ${event.streamId} v${event.version} (${event.eventId}): SNS refused it for good (${code} ${message}); consumers will read it from the store at the stream's next event`,
      ),
  });
}

/** The service named by SERVICE, checked against the topology's services. */
function serviceFromEnv(env: Record<string, string | undefined>): ServiceName {
  const v = env.SERVICE;
  const known: readonly string[] = SERVICES;
  if (v === undefined || !known.includes(v)) throw new ConfigError(`SERVICE must be one of ${SERVICES.join(', ')}, got "${v ?? ''}"`);
  return v as ServiceName;
}

const fromEnv = once(async (): Promise<ForwarderHandler> => {
  const service = serviceFromEnv(process.env);
  // no NAME_SECRET_ARN set (the usual case here): no Secrets Manager client is made
  const config = await loadConfigWithSecrets();
  const aws = awsClients(config);
  const topicArn = process.env.TOPIC_ARN || (await resolveTopology(aws, topology(config.resourcePrefix))).topics[service];
  return forwarderLambda({ sns: aws.sns, topicArn, service });
});

export const handler = async (event: DynamoDBStreamEvent): Promise<void> => (await fromEnv())(event);
