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

/** SDK clients for the configured endpoint (moto locally; real AWS when no endpoint is set). */
export function awsClients(config: Pick<Config, 'aws'>): AwsClients {
  const { region, endpoint, accessKeyId, secretAccessKey } = config.aws;
  const common = {
    region,
    ...(endpoint ? { endpoint, credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: 5,
  };
  return {
    dynamodb: new DynamoDBClient(common),
    streams: new DynamoDBStreamsClient(common),
    sns: new SNSClient(common),
    sqs: new SQSClient(common),
  };
}

export function destroyAwsClients(c: AwsClients): void {
  c.dynamodb.destroy();
  c.streams.destroy();
  c.sns.destroy();
  c.sqs.destroy();
}
