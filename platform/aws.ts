import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config';

export interface AwsClients {
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  sns: SNSClient;
  sqs: SQSClient;
}

/** SQS ReceiveMessage may wait this long for messages (its WaitTimeSeconds maximum) before answering. */
const SQS_LONG_POLL_MAX_MS = 20_000;

/**
 * SDK clients for the configured endpoints (locally DynamoDB + Streams on dynoxide, SNS + SQS on LocalStack; real
 * AWS when no endpoint is set). Every attempt
 * has a deadline: connecting (`connectionTimeout`) and the whole request (`requestTimeout`, thrown as a
 * TimeoutError rather than the SDK's default warning), so an endpoint that is down or hung fails within
 * seconds and the SDK's retries then give up; the API maps those errors to 503.
 */
export function awsClients(config: Pick<Config, 'aws'>): AwsClients {
  const { region, endpoint, dynamodbEndpoint, accessKeyId, secretAccessKey, connectionTimeoutMs, requestTimeoutMs } = config.aws;
  const common = (url: string | undefined) => ({
    region,
    ...(url ? { endpoint: url, credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: 5,
  });
  const handler = (timeoutMs: number) => ({ requestHandler: { connectionTimeout: connectionTimeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true } });
  return {
    dynamodb: new DynamoDBClient({ ...common(dynamodbEndpoint), ...handler(requestTimeoutMs) }),
    streams: new DynamoDBStreamsClient({ ...common(dynamodbEndpoint), ...handler(requestTimeoutMs) }),
    sns: new SNSClient({ ...common(endpoint), ...handler(requestTimeoutMs) }),
    // a long poll legitimately holds the request open for its wait time
    sqs: new SQSClient({ ...common(endpoint), ...handler(requestTimeoutMs + SQS_LONG_POLL_MAX_MS) }),
  };
}

export function destroyAwsClients(c: AwsClients): void {
  c.dynamodb.destroy();
  c.streams.destroy();
  c.sns.destroy();
  c.sqs.destroy();
}
