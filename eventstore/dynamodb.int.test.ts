import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { eventStoreContract } from './contract';
import { createEventTable, DynamoDBEventStore } from './dynamodb';

// the project-level testTimeout in jest.config.js is not applied (it is a global option)
jest.setTimeout(60_000);

const clients = awsClients(loadConfig());
const tableName = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}-catalog-events`;

beforeAll(async () => {
  expect(await createEventTable(clients.dynamodb, tableName)).toBe(true);
  expect(await createEventTable(clients.dynamodb, tableName)).toBe(false); // idempotent
});

afterAll(async () => {
  await clients.dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  destroyAwsClients(clients);
});

// one table for the file: the suite's stream ids are unique per test
eventStoreContract('DynamoDBEventStore (moto)', async () => new DynamoDBEventStore({ client: clients.dynamodb, tableName, service: 'catalog' }));
