import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { eventStoreContract } from './testing/contract';
import { DynamoDBEventStore } from './dynamodb';
import { eventToItem } from './dynamodb-items';
import { createEventTable } from './dynamodb-table';
import { ConcurrencyError } from './types';

// the project-level testTimeout in jest.config.js is not applied (it is a global option)
jest.setTimeout(60_000);

const clients = awsClients(loadConfig());
const run = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const tableName = `${run}-catalog-events`;
const emulatorTable = `${run}-emulator-events`;
const bigTable = `${run}-big-events`;

beforeAll(async () => {
  expect(await createEventTable(clients.dynamodb, tableName)).toBe(true);
  expect(await createEventTable(clients.dynamodb, tableName)).toBe(false); // idempotent
  await createEventTable(clients.dynamodb, emulatorTable);
});

afterAll(async () => {
  for (const t of [tableName, emulatorTable, bigTable]) await clients.dynamodb.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined);
  destroyAwsClients(clients);
});

// the suite's stream ids are unique per test, so each suite uses one table throughout
eventStoreContract('DynamoDBEventStore', async () => new DynamoDBEventStore({ client: clients.dynamodb, tableName, service: 'catalog' }));

// with moto's workarounds (dynamodb-emulator.ts), as DYNAMODB_MOTO_WORKAROUNDS=on runs it
eventStoreContract(
  'DynamoDBEventStore (moto workarounds on: reads by key, serialized transactions)',
  async () =>
    new DynamoDBEventStore({ client: clients.dynamodb, tableName: emulatorTable, service: 'catalog', readByKey: true, serializeTransactions: true }),
);

it('lets exactly one of 20 writers (stores of their own, on two clients) win a race at one version, single puts and transactions mixed', async () => {
  const other = awsClients(loadConfig());
  try {
    const id = `race-${randomBytes(4).toString('hex')}`;
    const writers = Array.from(
      { length: 20 },
      (_, i) => new DynamoDBEventStore({ client: (i % 2 === 0 ? clients : other).dynamodb, tableName, service: 'catalog' }),
    );
    // every writer has read the stream at version 1, as a command handler would before deciding
    await writers[0]!.append(id, [{ type: 'Happened', data: { n: 1 } }], { expectedVersion: 'no_stream' });
    for (const w of writers) expect(await w.readStream(id)).toHaveLength(1);
    const results = await Promise.allSettled(
      writers.map((w, i) => w.append(id, Array.from({ length: i % 3 === 0 ? 3 : 1 }, (_, k) => ({ type: 'Happened', data: { n: i * 10 + k } })), { expectedVersion: 1 })),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
    const size = won[0]! % 3 === 0 ? 3 : 1;
    expect((await writers[5]!.readStream(id)).map((e) => e.version)).toEqual(Array.from({ length: 1 + size }, (_, k) => k + 1));
  } finally {
    destroyAwsClients(other);
  }
});

describe('DynamoDBEventStore in a table of 3000 other events', () => {
  const store = new DynamoDBEventStore({ client: clients.dynamodb, tableName: bigTable, service: 'catalog' });

  beforeAll(async () => {
    await createEventTable(clients.dynamodb, bigTable);
    const batches = Array.from({ length: 120 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => ({
        PutRequest: {
          Item: eventToItem({
            type: 'Filler',
            data: { b, i },
            eventId: `filler-${b}-${i}`,
            streamId: `filler-${b}`,
            version: i + 1,
            service: 'catalog',
            metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
          }),
        },
      })),
    );
    for (let i = 0; i < batches.length; i += 8) {
      await Promise.all(
        batches.slice(i, i + 8).map(async (items) => {
          let left: typeof items | undefined = items;
          while (left && left.length > 0) {
            const out = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [bigTable]: left } }));
            left = out.UnprocessedItems?.[bigTable] as typeof items | undefined;
          }
        }),
      );
    }
  });

  it('reads a 3-event stream, whole and from a version', async () => {
    const id = `short-${randomBytes(4).toString('hex')}`;
    const written = await store.append(id, [1, 2, 3].map((n) => ({ type: 'Happened', data: { n } })), { expectedVersion: 'no_stream' });
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const read = await store.readStream(id);
      times.push(performance.now() - t);
      expect(read).toEqual(written.events);
    }
    expect((await store.readStream(id, { fromVersion: 3 })).map((e) => e.version)).toEqual([3]);
    expect(await store.streamVersion(id)).toBe(3);
    expect(await store.streamVersion('filler-7')).toBe(25);
    times.sort((a, b) => a - b);
    // a figure for people, not an assertion: timings depend on the machine
    console.log(`readStream of a 3-event stream among 3000 items: median ${times[10]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`);
  });

  it('appends one event with a numeric expected version as a single conditional put, checking only a version it has not seen', async () => {
    const id = `single-${randomBytes(4).toString('hex')}`;
    await store.append(id, [{ type: 'Happened', data: { n: 1 } }], { expectedVersion: 'no_stream' });
    // a store that has not seen the stream: version 2 is another process's news
    const other = new DynamoDBEventStore({ client: clients.dynamodb, tableName: bigTable, service: 'catalog' });
    const sent: string[] = [];
    const original = clients.dynamodb.send.bind(clients.dynamodb) as (cmd: object) => Promise<unknown>;
    const spy = jest.spyOn(clients.dynamodb, 'send').mockImplementation(((cmd: object) => {
      sent.push(cmd.constructor.name);
      return original(cmd);
    }) as never);
    const step = async (what: () => Promise<unknown>) => {
      sent.length = 0;
      await what();
      return [...sent];
    };
    try {
      // version 1 was written by this store: it exists for good, nothing to check
      expect(await step(() => store.append(id, [{ type: 'Happened', data: { n: 2 } }], { expectedVersion: 1 }))).toEqual(['PutItemCommand']);
      expect(await step(() => store.append(`${id}-b`, [{ type: 'Happened', data: { n: 1 } }], { expectedVersion: 'no_stream' }))).toEqual(['PutItemCommand']);
      // the other store checks that version 2 exists before it puts version 3
      expect(await step(() => other.append(id, [{ type: 'Happened', data: { n: 3 } }], { expectedVersion: 2 }))).toEqual(['GetItemCommand', 'PutItemCommand']);
      // after reading the stream, the first store puts at once again
      expect(await step(() => store.readStream(id))).toEqual(['QueryCommand']);
      expect(await step(() => store.append(id, [{ type: 'Happened', data: { n: 4 } }], { expectedVersion: 3 }))).toEqual(['PutItemCommand']);
    } finally {
      spy.mockRestore();
    }
    expect(await store.streamVersion(id)).toBe(4);
  });
});
