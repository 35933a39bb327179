/**
 * The event store contract in the mode the app runs it on the configured DynamoDB (platform/runtime.ts
 * `eventStore`): on dynoxide (the local stack) and AWS none of moto's workarounds, so transactions run side
 * by side and streams are read with Query; 20 concurrent appends at one version must still leave exactly
 * one winner.
 */
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { deprovision, provision } from '../platform/provision';
import { eventStore, motoWorkarounds } from '../platform/runtime';
import { topology } from '../platform/topology';
import { eventStoreContract } from './testing/contract';

const config = loadConfig();
const clients = awsClients(config);
const topo = topology(`modes${Date.now().toString(36).slice(-6)}`);
const workarounds = motoWorkarounds(config);

beforeAll(async () => {
  await provision(clients, topo);
}, 60_000);

afterAll(async () => {
  await deprovision(clients, topo).catch(() => undefined);
  destroyAwsClients(clients);
});

eventStoreContract(`DynamoDBEventStore as the runtime configures it (${config.aws.dynamodbEndpoint ?? 'AWS'}, moto workarounds ${workarounds ? 'on' : 'off'})`, async () =>
  eventStore(config, clients.dynamodb, topo.services.catalog.table, 'catalog'),
);
