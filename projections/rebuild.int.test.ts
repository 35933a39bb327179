/**
 * The direct rebuild (projections/rebuild.ts) on the shared stack (dynoxide + FerretDB): from a reservation
 * history decided by the real deciders, it writes exactly the documents the live consumer writes, `_v`
 * checkpoints included; a live event after it applies once; a re-run over documents the live consumer wrote
 * meanwhile keeps the newer state (the duplicate-key fallback through applyEvents).
 */
import { randomBytes } from 'node:crypto';
import type { Db, Document } from 'mongodb';
import { appendReservationHistory, dropTable } from '../bench/rebuild';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { createEventTable } from '../eventstore/dynamodb-table';
import { scanHistory } from '../eventstore/scan';
import { isGapError } from '../eventstore/consumer';
import type { StoredEvent } from '../eventstore/types';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { testDatabase } from '../test/mongo-db';
import { rebuildDirect } from './rebuild';
import { liveHandlerOn } from '../test/fixtures/consumers';
import { reservationsProjection } from './reservations';

jest.setTimeout(120_000);

const clients = awsClients(loadConfig());
const table = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}-reservation-events`;
const store = new DynamoDBEventStore({ client: clients.dynamodb, tableName: table, service: 'reservation' });
const liveDb = testDatabase('rebuild_live');
const directDb = testDatabase('rebuild_direct');
/** The reservation read models' live handler, as the pipeline runs it. */
const liveHandler = (db: Db) => liveHandlerOn(db, 'reservation-reservations');

beforeAll(async () => {
  await createEventTable(clients.dynamodb, table);
});

afterAll(async () => {
  await dropTable(clients.dynamodb, table);
  destroyAwsClients(clients);
});

/** Every document, less the reservations' `changedAt`: the time of the write, which two writes of one state do not share. */
async function all(db: Db): Promise<Record<string, Document[]>> {
  const out: Record<string, Document[]> = {};
  for (const c of ['reservations', 'ledgers']) {
    const docs = await db.collection(c).find({}).sort({ _id: 1 }).toArray();
    if (c === 'reservations') for (const d of docs) expect(d.changedAt).toBeInstanceOf(Date);
    out[c] = docs.map(({ changedAt: _c, ...d }) => d);
  }
  return out;
}

async function history(): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  return events;
}

test('the direct rebuild writes exactly what the live consumer wrote; a later event applies once', async () => {
  const appended = await appendReservationHistory(store, 300, { restaurants: 4 });
  const events = await history();
  expect(events).toHaveLength(appended.events);
  expect(new Set(events.map((e) => e.type))).toEqual(
    new Set(['TableHeld', 'TableBooked', 'TableConfirmed', 'TableReleased', 'ReservationRequested', 'ReservationAccepted', 'ReservationRejected', 'ReservationCancelled']),
  );

  // live: the consumer's handler, stream by stream, in queue-batch-sized runs with one redelivery each
  const live = liveHandler(liveDb());
  const byStream = new Map<string, StoredEvent[]>();
  for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
  await Promise.all(
    [...byStream.values()].map(async (stream) => {
      for (let k = 0; k < stream.length; k += 2) await live.handleStream(stream.slice(Math.max(0, k - 1), k + 2));
    }),
  );

  const report = await rebuildDirect({ db: directDb(), store, projection: reservationsProjection, source: scanHistory(clients.dynamodb, table), batchSize: 100 });
  expect(report).toMatchObject({ events: events.length, streams: byStream.size, documents: byStream.size, fallback: { duplicate: 0, gap: 0, regrouped: 0 } });
  const rebuilt = await all(directDb());
  expect(rebuilt).toEqual(await all(liveDb()));
  expect(rebuilt.reservations!.length).toBe(appended.reservations);
  expect(rebuilt.reservations![0]!._v).toEqual({ [`reservation-${String(rebuilt.reservations![0]!._id)}`]: expect.any(Number) });

  // a live event after the rebuild: applied once, its checkpoint advanced like the live read model's
  const accepted = rebuilt.reservations!.find((d) => d.status === 'accepted')!;
  const streamId = `reservation-${String(accepted._id)}`;
  const version = (accepted._v as Record<string, number>)[streamId]!;
  const { events: [late] } = await store.append(streamId, [{ type: 'ReservationCompleted', data: {}, metadata: { occurredAt: '2027-01-05T00:00:00.000Z' } }], { expectedVersion: version });
  const rebuiltView = liveHandler(directDb());
  for (const p of [rebuiltView, live]) {
    await p.handle(late!);
    await p.handle(late!); // redelivered
    await p.handleStream(byStream.get(streamId)!); // old events again
  }
  const after = await all(directDb());
  expect(after).toEqual(await all(liveDb()));
  const doc = after.reservations!.find((d) => d._id === accepted._id)!;
  expect(doc.status).toBe('completed');
  expect(doc._v).toEqual({ [streamId]: version + 1 });
  expect((doc.history as unknown[]).length).toBe((accepted.history as unknown[]).length + 1);

  // re-run without emptying, from the history as it was before that event: every insert collides with a
  // document already there, and the live path keeps each as it is (the completed one included)
  const again = await rebuildDirect({
    db: directDb(),
    store,
    projection: reservationsProjection,
    source: (async function* () {
      yield* events;
    })(),
    truncate: false,
  });
  expect(again.documents).toBe(0);
  expect(again.fallback.duplicate).toBe(byStream.size);
  expect(await all(directDb())).toEqual(await all(liveDb()));

  // an interleaved source (the in-memory store's readAll order) with grouped: false gives the same documents
  const shuffled = [...events].sort((a, b) => a.version - b.version || (a.streamId < b.streamId ? -1 : 1));
  await rebuildDirect({ db: directDb(), store, projection: reservationsProjection, source: (async function* () { yield* shuffled; })(), grouped: false });
  const fromShuffled = await all(directDb());
  // it was read before the late event, so that one document is one event behind; the rest are equal
  const expected = await all(liveDb());
  expect(fromShuffled.ledgers).toEqual(expected.ledgers);
  expect(fromShuffled.reservations!.filter((d) => d._id !== accepted._id)).toEqual(expected.reservations!.filter((d) => d._id !== accepted._id));
  expect(fromShuffled.reservations!.find((d) => d._id === accepted._id)).toEqual(accepted);

  // the same interleaved source taken for grouped: streams met again go through the live path, which reads
  // them from the store (the late event included): every document equal to the live read model's
  const regrouped = await rebuildDirect({ db: directDb(), store, projection: reservationsProjection, source: (async function* () { yield* shuffled; })() });
  expect(regrouped.fallback.regrouped).toBeGreaterThan(0);
  expect(await all(directDb())).toEqual(expected);
});

const refDb = testDatabase('rebuild_ref');

test('a rebuild while the live consumer applies new events: the read model ends equal to one built live', async () => {
  const live = liveHandler(directDb());
  // what the live consumer does with an event: apply it, and on a gap read the stream from the store (consumer.ts)
  const deliver = async (e: StoredEvent) => {
    try {
      await live.handle(e);
    } catch (err) {
      if (!isGapError(err)) throw err;
      await live.handleStream(await store.readStream(e.streamId));
    }
  };
  const accepted = (await liveDb().collection('reservations').find({ status: 'accepted' }).toArray()).slice(0, 10);
  expect(accepted.length).toBeGreaterThan(5);

  const rebuilding = rebuildDirect({ db: directDb(), store, projection: reservationsProjection, source: scanHistory(clients.dynamodb, table, { pageSize: 25 }), batchSize: 20, concurrency: 1 });
  const writing = (async () => {
    // new reservations, and later events of existing ones, appended and delivered while the rebuild runs
    const before = new Set((await history()).map((e) => e.eventId));
    await appendReservationHistory(store, 120, { restaurants: 3, runId: 'concurrent' });
    for (const d of accepted) {
      const streamId = `reservation-${String(d._id)}`;
      await store.append(streamId, [{ type: 'ReservationCompleted', data: {}, metadata: { occurredAt: '2027-01-06T00:00:00.000Z' } }], { expectedVersion: (d._v as Record<string, number>)[streamId]! });
    }
    const fresh = (await history()).filter((e) => !before.has(e.eventId));
    expect(fresh.length).toBeGreaterThan(120);
    for (const e of fresh) await deliver(e);
  })();
  const [report] = await Promise.all([rebuilding, writing]);
  expect(report.events).toBeGreaterThan(0);

  // the reference: every stream of the store applied by the live handler into an empty database
  const ref = liveHandler(refDb());
  const byStream = new Map<string, StoredEvent[]>();
  for (const e of await history()) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
  for (const stream of byStream.values()) await ref.handleStream(stream);
  const got = await all(directDb());
  expect(got).toEqual(await all(refDb()));
  expect(got.reservations!.filter((d) => d.status === 'completed').length).toBeGreaterThanOrEqual(accepted.length);
});
