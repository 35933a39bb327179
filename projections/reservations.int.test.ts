/**
 * The reservation read models on FerretDB: the ledger documents availability reads (held, booked at once,
 * confirmed, released) agree with the ledger decider's own fold, and the reservation documents carry the
 * status and history the list routes serve; redeliveries change nothing.
 */
import { testDatabase } from '../test/mongo-db';
import type { StoredEvent } from '../eventstore/types';
import { ledgerDecider, ledgerStreamId, type LedgerEvent } from '../domain/reservation/ledger';
import { liveHandlerOn } from '../test/fixtures/consumers';
import { matchesList, reservationProjections, reservationViewOf } from './reservations';
import { addDays } from '../domain/time/zoned-time';

const db = testDatabase('reservations');
/** The consumer's live handler (as the pipeline runs it) and the queries the routes use. */
const projections = () => ({ ...liveHandlerOn(db(), 'reservation-reservations'), ...reservationProjections(db()) });

function stored(streamId: string, version: number, type: string, data: object): StoredEvent {
  return {
    type,
    data,
    eventId: `${streamId}-${version}`,
    streamId,
    version,
    service: 'reservation',
    metadata: { occurredAt: `2026-11-2${version}T10:00:00.000Z`, schemaVersion: 1 },
  };
}

const turn = (hh: string) => ({ start: `2026-12-01T${hh}:00:00+01:00`, end: `2026-12-01T${Number(hh) + 1}:00:00+01:00`, partySize: 2 });

test('the ledger document follows held, booked, confirmed and released exactly like the decider', async () => {
  const p = projections();
  const streamId = ledgerStreamId('r-1', '2026-12-01');
  const events: LedgerEvent[] = [
    { type: 'TableHeld', data: { reservationId: 'a', tableId: 't1', ...turn('12') } },
    { type: 'TableBooked', data: { reservationId: 'b', tableId: 't2', ...turn('12') } },
    { type: 'TableHeld', data: { reservationId: 'c', tableId: 't1', ...turn('14') } },
    { type: 'TableConfirmed', data: { reservationId: 'a', tableId: 't1' } },
    { type: 'TableReleased', data: { reservationId: 'c', tableId: 't1', reason: 'rejected' } },
  ];
  const all = events.map((e, i) => stored(streamId, i + 1, e.type, e.data));
  await p.handleStream(all.slice(0, 3)); // a queue batch: one read and one write
  for (const e of all.slice(2)) await p.handle(e); // one at a time, the first of them redelivered
  await p.handleStream(all); // everything redelivered: no effect

  const expected = events.reduce(ledgerDecider.evolve, ledgerDecider.initialState());
  expect(await p.ledger('r-1', '2026-12-01')).toEqual(expected);
  expect(Object.fromEntries(Object.values(expected.bookings).map((b) => [b.reservationId, b.status]))).toEqual({ a: 'confirmed', b: 'confirmed' });
  expect(await p.ledger('r-1', '2026-12-02')).toEqual({ bookings: {} });
});

test('a reservation document: requested, accepted, cancelled, with its history; listed per customer and restaurant', async () => {
  const p = projections();
  const streamId = 'reservation-res-1';
  const requested = {
    reservationId: 'res-1',
    restaurantId: 'r-2',
    customerId: 'u-1',
    tableId: 't1',
    acceptance: 'auto',
    name: 'Ada',
    ...turn('19'),
  };
  const all = [
    stored(streamId, 1, 'ReservationRequested', requested),
    stored(streamId, 2, 'ReservationAccepted', {}),
    stored(streamId, 3, 'ReservationCancelled', { by: 'customer' }),
  ];
  await p.handle(all[0]!);
  await p.handle(all[1]!);
  expect((await p.get('res-1'))?.status).toBe('accepted');
  await p.handle(all[1]!); // redelivered
  await p.handle(all[2]!);

  const view = await p.get('res-1');
  expect(view).toEqual({
    reservationId: 'res-1',
    restaurantId: 'r-2',
    customerId: 'u-1',
    tableId: 't1',
    name: 'Ada',
    ...turn('19'),
    status: 'cancelled',
    history: all.map((e) => ({ type: e.type, at: e.metadata.occurredAt })),
  });
  // the API's fallback while the read model lags builds the same view straight from the events
  expect(reservationViewOf('res-1', all as never)).toEqual(view);
  expect(reservationViewOf('res-2', [])).toBeNull();
  expect((await p.byCustomer('u-1', {})).map((r) => r.reservationId)).toEqual(['res-1']);
  expect(await p.byCustomer('u-1', { status: 'accepted' })).toEqual([]);
  expect((await p.byRestaurant('r-2', { status: 'cancelled', from: new Date('2026-12-01T00:00:00Z') })).map((r) => r.reservationId)).toEqual(['res-1']);
  expect(await p.byRestaurant('r-2', { to: new Date('2026-12-01T00:00:00Z') })).toEqual([]);
  // local calendar dates (inclusive at both ends), and the same test in memory for the API's own-writes merge
  const day = view!.start.slice(0, 10);
  const before = addDays(day, -1);
  for (const [f, hit] of [
    [{ fromDate: day, toDate: day }, true],
    [{ fromDate: before, toDate: before }, false],
    [{ fromDate: addDays(day, 1) }, false],
    [{ toDate: day, status: 'cancelled' }, true],
    [{ toDate: before }, false],
    [{ fromDate: day, to: new Date(Date.parse(view!.start)) }, false],
    [{ fromDate: before, from: new Date(Date.parse(view!.start)) }, true],
  ] as const) {
    expect((await p.byCustomer('u-1', f)).map((r) => r.reservationId)).toEqual(hit ? ['res-1'] : []);
    expect(matchesList(view!, f)).toBe(hit);
  }
});

test("the owner's list counts each diner's no-shows at the restaurant (only theirs, only there)", async () => {
  const p = projections();
  const reservation = async (id: string, restaurantId: string, customerId: string, last: [string, object]) => {
    const streamId = `reservation-${id}`;
    await p.handle(stored(streamId, 1, 'ReservationRequested', { reservationId: id, restaurantId, customerId, tableId: 't1', acceptance: 'auto', ...turn('19') }));
    await p.handle(stored(streamId, 2, 'ReservationAccepted', { by: 'auto' }));
    await p.handle(stored(streamId, 3, ...last));
  };
  const noShow: [string, object] = ['ReservationNoShow', { at: '2026-12-01T18:20:00.000Z' }];
  await reservation('ns-1', 'r-ns', 'u-a', noShow);
  await reservation('ns-2', 'r-ns', 'u-a', noShow);
  await reservation('ns-3', 'r-ns', 'u-a', ['ReservationSeated', { at: '2026-12-01T18:00:00.000Z' }]);
  await reservation('ns-4', 'r-other', 'u-a', noShow);
  await reservation('ns-5', 'r-ns', 'u-b', ['ReservationCompleted', {}]);
  expect((await p.get('ns-1'))?.status).toBe('no-show');
  expect((await p.get('ns-3'))?.status).toBe('seated');
  expect(await p.noShowCounts('r-ns', ['u-a', 'u-b', 'u-a', 'u-c'])).toEqual({ 'u-a': 2, 'u-b': 0, 'u-c': 0 });
  expect(await p.noShowCounts('r-other', ['u-a'])).toEqual({ 'u-a': 1 });
  expect(await p.noShowCounts('r-ns', [])).toEqual({});
});
