/**
 * The double-booking race on the local DynamoDB, with real concurrency: two activity sets (as two workers:
 * each its own ledger cache and lanes) over one table, every request in flight at once. The unit test
 * runs the same race over the in-memory store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { createEventTable } from '../eventstore/dynamodb-table';
import { replicaFixture } from '../test/fixtures/restaurants';
import type { Refusal } from '../workflows/messages';
import { createReservationActivities, type ReservationServiceEvent } from './reservation';

jest.setTimeout(120_000);

const clients = awsClients(loadConfig());
const tableName = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}-reservation-events`;

beforeAll(async () => {
  await createEventTable(clients.dynamodb, tableName);
});
afterAll(async () => {
  await clients.dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  destroyAwsClients(clients);
});

const NOW = new Date('2026-12-01T09:00:00Z');
const restaurant = replicaFixture({ restaurantId: randomUUID() });

test('30 concurrent requests for the last table from two workers on DynamoDB: exactly one holds it, 29 get NO_TABLE', async () => {
  const store = new DynamoDBEventStore<ReservationServiceEvent>({ client: clients.dynamodb, tableName, service: 'reservation' });
  const worker = () => createReservationActivities({ store, restaurants: { get: async () => restaurant }, now: () => NOW, maxLedgerAttempts: 50 });
  const workers = [worker(), worker()];
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      workers[i % 2]!.placeReservation({
        reservationId: randomUUID(),
        restaurantId: restaurant.restaurantId,
        customerId: `c${i}`,
        partySize: 2,
        start: '2026-12-01T12:00:00.000Z',
        requestHash: 'h',
        newId: true,
      }),
    ),
  );
  const refused = results.filter((r): r is Refusal => 'refused' in r);
  expect(results.length - refused.length).toBe(1);
  expect(refused.map((r) => r.refused.code)).toEqual(Array(29).fill('NO_TABLE'));
  const ledger = await store.readStream(`ledger-${restaurant.restaurantId}-2026-12-01`);
  expect(ledger.map((e) => e.type)).toEqual(['TableBooked']);
});
