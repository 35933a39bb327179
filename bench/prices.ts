/**
 * AWS on-demand list prices (us-east-1), used by the bench to turn measured requests per booking into
 * dollars per million bookings. Free tiers are ignored (a million bookings a month is past them anyway).
 * Each price names where it was read and when; prices change: check the source before quoting a figure.
 */

export interface Price {
  usd: number;
  per: string;
  source: string;
  /** When the price was read from the source (YYYY-MM-DD). */
  asOf: string;
  note?: string;
}

export const PRICES = {
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    per: 'write request unit (1 KB; a transactional write takes 2 per KB)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand, us-east-1; the figure as quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing)',
    asOf: '2026-12-01',
  },
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1e6,
    per: 'read request unit (4 KB strongly consistent, or 2 eventually consistent reads)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (as quoted by https://airbyte.com/data-engineering-resources/dynamodb-pricing)',
    asOf: '2026-12-01',
  },
  dynamodbStreamsReadRequestUnit: {
    usd: 0.02 / 1e5,
    per: 'streams read request unit (one GetRecords call)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/; https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html',
    asOf: '2026-12-01',
    note: 'GetRecords made by AWS Lambda for a DynamoDB trigger are free: on AWS the forwarder is such a trigger, so this is 0 in the estimate',
  },
  snsFifoPublishRequest: {
    usd: 0.3 / 1e6,
    per: 'FIFO Publish/PublishBatch request (each 64 KB of payload is one request)',
    source: 'https://aws.amazon.com/sns/pricing/ (FIFO topics); batching: https://docs.aws.amazon.com/sns/latest/dg/sns-batch-api-actions.html',
    asOf: '2026-12-01',
    note: 'not found verbatim by this run\'s search: the figure as last published on the pricing page; verify',
  },
  snsFifoPublishPayloadGb: {
    usd: 0.017,
    per: 'GB of payload published to a FIFO topic',
    source: 'https://aws.amazon.com/sns/pricing/ (FIFO topics)',
    asOf: '2026-12-01',
    note: 'as for snsFifoPublishRequest: verify',
  },
  snsFifoSubscriptionMessage: {
    usd: 0.01 / 1e6,
    per: 'FIFO subscription message (one delivery to an SQS FIFO queue)',
    source: 'https://aws.amazon.com/sns/pricing/ (FIFO topics)',
    asOf: '2026-12-01',
    note: 'as for snsFifoPublishRequest: verify',
  },
  snsFifoSubscriptionPayloadGb: {
    usd: 0.001,
    per: 'GB of payload delivered to FIFO subscriptions',
    source: 'https://aws.amazon.com/sns/pricing/ (FIFO topics)',
    asOf: '2026-12-01',
    note: 'as for snsFifoPublishRequest: verify',
  },
  sqsFifoRequest: {
    usd: 0.5 / 1e6,
    per: 'SQS FIFO request (send, receive, delete, change visibility; each 64 KB chunk is one request)',
    source: 'https://aws.amazon.com/sqs/pricing/ (as quoted by https://cloudburn.io/blog/amazon-sqs-pricing, March 2026)',
    asOf: '2026-12-01',
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: 'Lambda invocation',
    source: 'https://aws.amazon.com/lambda/pricing/ (as quoted by https://cloudchipr.com/blog/aws-lambda-pricing)',
    asOf: '2026-12-01',
  },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    per: 'Lambda GB-second, x86, first 6 billion GB-s a month',
    source: 'https://aws.amazon.com/lambda/pricing/ (as quoted by https://cloudchipr.com/blog/aws-lambda-pricing)',
    asOf: '2026-12-01',
  },
} satisfies Record<string, Price>;

/** Assumptions for what a local run cannot measure the AWS way. */
export const LAMBDA_ASSUMPTIONS = {
  memoryGb: 0.125,
  /** Billed duration per invocation (a batch: a few DynamoDB/SNS or MongoDB calls at AWS latencies). */
  durationMs: 50,
};

/** Per booking, what the bill is computed from (measured by bench/aws-count.ts, idle polling subtracted). */
export interface BillableUnits {
  dynamodbWru: number;
  dynamodbRru: number;
  streamsGetRecords: number;
  snsPublishRequests: number;
  snsPayloadBytes: number;
  /** Messages delivered from topics to queues (counted as the messages the consumers received). */
  snsDeliveries: number;
  snsDeliveredBytes: number;
  sqsRequests: number;
  lambdaInvocations: number;
}

export interface CostLine {
  item: string;
  units: number;
  usdPerMillionBookings: number;
}

/** Dollars per million bookings, by item, on AWS on-demand (the forwarder and consumers as Lambda functions). */
export function costPerMillionBookings(u: BillableUnits): { total: number; lines: CostLine[] } {
  const GB = 1024 ** 3;
  const M = 1e6;
  const lines: CostLine[] = [
    { item: 'DynamoDB write request units', units: u.dynamodbWru, usdPerMillionBookings: u.dynamodbWru * PRICES.dynamodbWriteRequestUnit.usd * M },
    { item: 'DynamoDB read request units', units: u.dynamodbRru, usdPerMillionBookings: u.dynamodbRru * PRICES.dynamodbReadRequestUnit.usd * M },
    // free when read by a Lambda trigger, which is what the forwarder is on AWS
    { item: 'DynamoDB Streams GetRecords (free for Lambda triggers)', units: u.streamsGetRecords, usdPerMillionBookings: 0 },
    { item: 'SNS FIFO publish requests', units: u.snsPublishRequests, usdPerMillionBookings: u.snsPublishRequests * PRICES.snsFifoPublishRequest.usd * M },
    { item: 'SNS FIFO publish payload', units: u.snsPayloadBytes, usdPerMillionBookings: (u.snsPayloadBytes / GB) * PRICES.snsFifoPublishPayloadGb.usd * M },
    {
      item: 'SNS FIFO subscription messages (+ payload)',
      units: u.snsDeliveries,
      usdPerMillionBookings: (u.snsDeliveries * PRICES.snsFifoSubscriptionMessage.usd + (u.snsDeliveredBytes / GB) * PRICES.snsFifoSubscriptionPayloadGb.usd) * M,
    },
    { item: 'SQS FIFO requests', units: u.sqsRequests, usdPerMillionBookings: u.sqsRequests * PRICES.sqsFifoRequest.usd * M },
    { item: 'Lambda invocations', units: u.lambdaInvocations, usdPerMillionBookings: u.lambdaInvocations * PRICES.lambdaRequest.usd * M },
    {
      item: `Lambda duration (${LAMBDA_ASSUMPTIONS.memoryGb * 1024} MB × ${LAMBDA_ASSUMPTIONS.durationMs} ms assumed per invocation)`,
      units: u.lambdaInvocations * LAMBDA_ASSUMPTIONS.memoryGb * (LAMBDA_ASSUMPTIONS.durationMs / 1000),
      usdPerMillionBookings: u.lambdaInvocations * LAMBDA_ASSUMPTIONS.memoryGb * (LAMBDA_ASSUMPTIONS.durationMs / 1000) * PRICES.lambdaGbSecondX86.usd * M,
    },
  ];
  return { total: lines.reduce((a, l) => a + l.usdPerMillionBookings, 0), lines };
}

/** What the estimate leaves out, said next to the figure. */
export const COST_EXCLUDES =
  'excludes Temporal (Cloud actions or a self-hosted cluster), MongoDB (Atlas), the API and worker hosts, storage, ' +
  'data transfer, free tiers, and the fixed cost of idle polling (subtracted from the per-booking counts)';
