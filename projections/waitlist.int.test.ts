/**
 * The waitlist read model on FerretDB: a day's document holds exactly the waitlist decider's fold (offered
 * tables included, though they are derived on read), an entry is found by its id through the indexed
 * `entryIds`, redeliveries change nothing, and the queries fold what the document has not caught up with
 * from the stream.
 */
import { testDatabase } from '../test/mongo-db';
import { InMemoryEventStore } from '../eventstore/memory';
import type { StoredEvent } from '../eventstore/types';
import { initProjection } from './projection';
import { waitlistDecider, waitlistStreamId, type FreedTable, type WaitlistEvent } from '../domain/reservation/waitlist';
import { liveHandlerOn } from '../test/fixtures/consumers';
import { entryView, queueViews, waitlistProjection, waitlistQueries } from './waitlist';

const db = testDatabase('waitlists');

const R = 'r-9f1c';
const DATE = '2026-12-24';
const STREAM = waitlistStreamId(R, DATE);
const at = (hh: string) => `${DATE}T${hh}:00:00+01:00`;

const freed: FreedTable = { tableId: 'T.1', seats: 4, from: at('19'), until: at('21'), turnMinutes: 90, offerMinutes: 10 };

const join = (entryId: string, customerId: string, partySize = 2): WaitlistEvent => ({
  type: 'WaitlistJoined',
  data: { entryId, customerId, partySize, start: at('19'), flexMinutes: 30 },
});

const EVENTS: WaitlistEvent[] = [
  join('e-1', 'u-1'),
  join('e-2', 'u-2'),
  join('e-3', 'u-3', 6),
  { type: 'WaitlistOffered', data: { entryId: 'e-1', tableId: 'T.1', start: at('19'), expiresAt: '2026-12-24T17:10:00.000Z', freed, passedOver: [] } },
  { type: 'WaitlistOfferExpired', data: { entryId: 'e-1', tableId: 'T.1' } },
  { type: 'WaitlistOffered', data: { entryId: 'e-2', tableId: 'T.1', start: at('19'), expiresAt: '2026-12-24T17:20:00.000Z', freed, passedOver: ['e-1'] } },
];

function stored(streamId: string, events: readonly WaitlistEvent[], from = 1): StoredEvent[] {
  return events.map((e, i) => ({
    ...e,
    eventId: `${streamId}-${from + i}`,
    streamId,
    version: from + i,
    service: 'reservation',
    metadata: { occurredAt: `2026-12-20T10:00:0${i}.000Z`, schemaVersion: 1 },
  }));
}

test('the day document is the decider fold; an entry is found by id; redeliveries change nothing', async () => {
  await initProjection(db(), waitlistProjection);
  const live = liveHandlerOn(db(), 'reservation-waitlists');
  const all = stored(STREAM, EVENTS);
  await live.handleStream(all.slice(0, 4)); // a queue batch
  for (const e of all.slice(3)) await live.handle(e); // one at a time, the first of them redelivered
  await live.handleStream(all); // everything again: no effect

  // another day and another restaurant never mix in
  await live.handleStream(stored(waitlistStreamId(R, '2026-12-25'), [join('e-9', 'u-9')]));

  const q = waitlistQueries(db());
  const expected = EVENTS.reduce(waitlistDecider.evolve, waitlistDecider.initialState());
  const day = await q.day(R, DATE);
  expect(day).toEqual({ restaurantId: R, openingDate: DATE, state: expected });
  expect(day.state.offeredTables).toEqual({ 'T.1': 'e-2' }); // derived: a table id with a '.' is never a field name

  expect(await q.dayOfEntry('e-3')).toEqual(day);
  expect((await q.dayOfEntry('e-9'))?.openingDate).toBe('2026-12-25');
  expect(await q.dayOfEntry('nobody')).toBeNull();
  expect(await q.day(R, '2026-12-26')).toEqual({ restaurantId: R, openingDate: '2026-12-26', state: waitlistDecider.initialState() });

  // the lookup is the index's: FerretDB has it
  const indexes = await db().collection('waitlists').listIndexes().toArray();
  expect(indexes.map((i) => i.name)).toContain('by_entry');

  expect(queueViews(day).map((v) => [v.entryId, v.status, v.position])).toEqual([
    ['e-1', 'waiting', 1],
    ['e-2', 'offered', undefined],
    ['e-3', 'waiting', 2],
  ]);
  expect(entryView(day, 'e-2')).toEqual({
    entryId: 'e-2',
    restaurantId: R,
    customerId: 'u-2',
    partySize: 2,
    start: at('19'),
    flexMinutes: 30,
    status: 'offered',
    offer: { start: at('19'), tableId: 'T.1', expiresAt: '2026-12-24T17:20:00.000Z' },
  });
});

test('with the store, the queries fold the events the document has not caught up with', async () => {
  const streamId = waitlistStreamId('r-lag', DATE);
  const store = new InMemoryEventStore('reservation');
  const first = [join('l-1', 'u-1'), join('l-2', 'u-2')];
  const rest: WaitlistEvent[] = [
    { type: 'WaitlistOffered', data: { entryId: 'l-1', tableId: 'T.1', start: at('19'), expiresAt: '2026-12-24T17:10:00.000Z', freed, passedOver: [] } },
    { type: 'WaitlistOfferAccepted', data: { entryId: 'l-1', tableId: 'T.1', start: at('19'), reservationId: 'res-1' } },
    { type: 'WaitlistWithdrawn', data: { entryId: 'l-2' } },
  ];
  await store.append(streamId, [...first, ...rest], { expectedVersion: 'no_stream' });
  // the read model has only the joins
  await liveHandlerOn(db(), 'reservation-waitlists').handleStream(stored(streamId, first));

  const eventual = await waitlistQueries(db()).dayOfEntry('l-1');
  expect(eventual?.state.entries['l-1']?.status).toBe('waiting');

  const fresh = await waitlistQueries(db(), store).dayOfEntry('l-1');
  expect(fresh?.state).toEqual([...first, ...rest].reduce(waitlistDecider.evolve, waitlistDecider.initialState()));
  expect(entryView(fresh!, 'l-1')).toMatchObject({ status: 'booked', reservationId: 'res-1' });
  expect(entryView(fresh!, 'l-1')).not.toHaveProperty('position');
  expect(entryView(fresh!, 'l-2')).toMatchObject({ status: 'withdrawn' });
  expect((await waitlistQueries(db(), store).day('r-lag', DATE)).state).toEqual(fresh?.state);
});
