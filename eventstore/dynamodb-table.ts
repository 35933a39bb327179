/** DynamoDB tables: the event table (streams on, NEW_IMAGE, on demand) and the create-once-and-wait every table uses. */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/** The event table's key: one item per event, a stream's events in version order. The AWS CDK app uses it too. */
export const EVENT_TABLE_KEY = {
  partition: { name: 'streamId', type: 'S' },
  sort: { name: 'version', type: 'N' },
} as const;

/** Creates the event table (streams on, NEW_IMAGE, on demand) unless it exists. Returns true if created. */
export function createEventTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const { partition, sort } = EVENT_TABLE_KEY;
  return createTable(client, {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partition.name, AttributeType: partition.type },
      { AttributeName: sort.name, AttributeType: sort.type },
    ],
    KeySchema: [
      { AttributeName: partition.name, KeyType: 'HASH' },
      { AttributeName: sort.name, KeyType: 'RANGE' },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  });
}

/** Creates a table unless it exists, and waits until it is ACTIVE. Returns true if this call created it. */
export async function createTable(client: DynamoDBClient, input: CreateTableCommandInput & { TableName: string }): Promise<boolean> {
  if (await tableExists(client, input.TableName)) return false;
  let created = true;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    created = false; // a concurrent provisioner won
  }
  await waitActive(client, input.TableName);
  return created;
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
