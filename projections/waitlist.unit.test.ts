/**
 * The waitlist views, from the decider's state alone: what a diner and the owner see of each entry in each
 * status (position only while waiting, the offer's public part only while offered, the reservation once
 * booked), the queue order, and the stream ids the read model takes.
 */
import { waitlistDecider, waitlistStreamId, type FreedTable, type WaitlistEvent } from '../domain/reservation/waitlist';
import { entryView, queueViews, stateOf, waitlistOfStream, waitlistProjection, type WaitlistDay } from './waitlist';

const at = (hh: string) => `2026-12-24T${hh}:00:00+01:00`;
const freed: FreedTable = { tableId: 't1', seats: 4, from: at('19'), until: at('21'), turnMinutes: 90, offerMinutes: 10 };
const join = (entryId: string, partySize = 2): WaitlistEvent => ({ type: 'WaitlistJoined', data: { entryId, customerId: `u-${entryId}`, partySize, start: at('19'), flexMinutes: 15 } });

function dayAfter(events: WaitlistEvent[]): WaitlistDay {
  return { restaurantId: 'r1', openingDate: '2026-12-24', state: events.reduce(waitlistDecider.evolve, waitlistDecider.initialState()) };
}

const base = (entryId: string) => ({ entryId, restaurantId: 'r1', customerId: `u-${entryId}`, partySize: 2, start: at('19'), flexMinutes: 15 });

test('each status as the routes show it', () => {
  const day = dayAfter([
    join('a'),
    join('b'),
    join('c'),
    join('d'),
    join('e'),
    { type: 'WaitlistOffered', data: { entryId: 'a', tableId: 't1', start: at('19'), expiresAt: '2026-12-24T17:10:00.000Z', freed, passedOver: [] } },
    { type: 'WaitlistOfferAccepted', data: { entryId: 'a', tableId: 't1', start: at('19'), reservationId: 'res-a' } },
    { type: 'WaitlistOffered', data: { entryId: 'b', tableId: 't2', start: at('19'), expiresAt: '2026-12-24T17:15:00.000Z', freed: { ...freed, tableId: 't2' }, passedOver: ['x'] } },
    { type: 'WaitlistWithdrawn', data: { entryId: 'c' } },
    { type: 'WaitlistEntryExpired', data: { entryId: 'd' } },
  ]);
  expect(entryView(day, 'a')).toEqual({ ...base('a'), status: 'booked', reservationId: 'res-a' });
  // the offer's freed interval and passed-over entries stay inside
  expect(entryView(day, 'b')).toEqual({ ...base('b'), status: 'offered', offer: { start: at('19'), tableId: 't2', expiresAt: '2026-12-24T17:15:00.000Z' } });
  expect(entryView(day, 'c')).toEqual({ ...base('c'), status: 'withdrawn' });
  expect(entryView(day, 'd')).toEqual({ ...base('d'), status: 'expired' });
  // the only one waiting is first in line
  expect(entryView(day, 'e')).toEqual({ ...base('e'), status: 'waiting', position: 1 });
  expect(entryView(day, 'zz')).toBeNull();
  expect(queueViews(day).map((v) => v.entryId)).toEqual(['a', 'b', 'c', 'd', 'e']);
});

test('positions count waiting entries in join order; a lapsed offer keeps its place', () => {
  const day = dayAfter([
    join('a'),
    join('b'),
    join('c'),
    { type: 'WaitlistOffered', data: { entryId: 'a', tableId: 't1', start: at('19'), expiresAt: '2026-12-24T17:10:00.000Z', freed, passedOver: [] } },
  ]);
  expect(queueViews(day).map((v) => v.position)).toEqual([undefined, 1, 2]);
  const lapsed = dayAfter([...[join('a'), join('b'), join('c')], { type: 'WaitlistOffered', data: { entryId: 'a', tableId: 't1', start: at('19'), expiresAt: 'x', freed, passedOver: [] } }, { type: 'WaitlistOfferExpired', data: { entryId: 'a', tableId: 't1' } }]);
  expect(queueViews(lapsed).map((v) => [v.entryId, v.position])).toEqual([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
});

test('the stored state derives the offered tables from the entries', () => {
  const { state } = dayAfter([join('a'), { type: 'WaitlistOffered', data: { entryId: 'a', tableId: 'T.1', start: at('19'), expiresAt: 'x', freed, passedOver: [] } }]);
  const { offeredTables: _o, ...storedState } = state;
  expect(stateOf(storedState)).toEqual(state);
  expect(stateOf(undefined)).toEqual(waitlistDecider.initialState());
});

test('the stream ids it takes: waitlist days only, read back exactly', () => {
  const id = waitlistStreamId('7f0e-4b-a1', '2026-12-24');
  expect(waitlistOfStream(id)).toEqual({ restaurantId: '7f0e-4b-a1', openingDate: '2026-12-24' });
  expect(waitlistProjection.foldOf(id)).toMatchObject({ collection: 'waitlists', docId: id });
  for (const other of ['ledger-r1-2026-12-24', 'reservation-x', 'waitlist-r1', 'waitlist-r1-2026-1-2']) {
    expect(waitlistOfStream(other)).toBeUndefined();
    expect(waitlistProjection.foldOf(other)).toBeUndefined();
  }
});
