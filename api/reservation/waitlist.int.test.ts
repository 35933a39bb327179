/**
 * The waitlist through the running system (its own prefix, databases and task queue on the local stack:
 * API, reservation worker with the waitlist workflow, pipeline and read models): a full evening, two diners
 * wait, one withdraws, the booking is cancelled, the table is offered to the one still waiting, who accepts
 * and so holds a reservation. Along the way: 409 SLOT_AVAILABLE for a start that is free, who may see and do
 * what, the owner's list in queue order.
 */
import { createRestaurant, eventually, json, localDate, signUp, startSystem, waitBookable, type System, type User } from '../../test/system';

const TZ = 'Europe/Rome';
let sys: System;
let url: string;
let owner: User;
let ada: User; // holds the only table
let bea: User; // waits, is offered the table, accepts
let cal: User; // waits, then withdraws
let restaurantId: string;
const day = localDate(TZ, 2);
const evening = `${day}T19:30`;
const reservations: string[] = [];

beforeAll(async () => {
  sys = await startSystem({ apis: 1, workers: 1 });
  url = sys.apis[0]!.url;
  [owner, ada, bea, cal] = await Promise.all([signUp(url, 'owner'), signUp(url, 'ada'), signUp(url, 'bea'), signUp(url, 'cal')]);
  // one table: one booking fills the evening
  restaurantId = await createRestaurant(url, owner.token, { timezone: TZ, tables: [{ id: 't1', seats: 4 }], policy: { waitlistOfferMinutes: 10 } });
  await waitBookable(url, restaurantId, TZ);
}, 180_000);

afterAll(async () => {
  // no timers left behind: the reservations end, and the waitlist's entries with them
  for (const id of reservations) await json(`${url}/reservations/${id}/cancel`, { body: {}, token: owner.token }).catch(() => undefined);
  await sys?.stop();
}, 120_000);

type Entry = { entryId: string; status: string; position?: number; offer?: { start: string; tableId: string; expiresAt: string }; reservationId?: string };

/** The entry once the read model has it in the status wanted. */
const entryWhen = (entryId: string, token: string, status: string) =>
  eventually(async () => {
    const res = await json<Entry>(`${url}/waitlist/${entryId}`, { token });
    if (res.status !== 200 || res.body.status !== status) throw new Error(`entry ${entryId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }, 30_000);

test('a full evening: wait, withdraw, a cancellation offers the table to the next in line, who accepts', async () => {
  const booked = await json<{ reservationId: string; status: string; start: string }>(`${url}/reservations`, { body: { restaurantId, partySize: 2, start: evening }, token: ada.token });
  expect(booked.status).toBe(201);
  reservations.push(booked.body.reservationId);

  // a start with a free table: book it instead
  const free = await json(`${url}/restaurants/${restaurantId}/waitlist`, { body: { partySize: 2, start: `${day}T21:00` }, token: bea.token });
  expect(free.status).toBe(409);
  expect(free.body).toMatchObject({ code: 'SLOT_AVAILABLE', alternatives: expect.any(Array) });
  expect(Date.parse(free.body.start)).toBe(Date.parse(booked.body.start) + 90 * 60_000); // 21:00 that day
  // a booking rule: 422 as for a reservation
  const rule = await json(`${url}/restaurants/${restaurantId}/waitlist`, { body: { partySize: 9, start: evening }, token: bea.token });
  expect([rule.status, rule.body.code]).toEqual([422, 'PARTY_TOO_LARGE']);

  const joinB = await json<Entry>(`${url}/restaurants/${restaurantId}/waitlist`, { body: { partySize: 2, start: evening, flexMinutes: 15 }, token: bea.token, headers: { 'idempotency-key': 'bea-1' } });
  expect(joinB.status).toBe(201);
  expect(joinB.body).toMatchObject({ status: 'waiting', position: 1 });
  expect(joinB.headers.get('location')).toBe(`/waitlist/${joinB.body.entryId}`);
  // the same key again: the same entry, already in line
  const again = await json<Entry>(`${url}/restaurants/${restaurantId}/waitlist`, { body: { partySize: 2, start: evening, flexMinutes: 15 }, token: bea.token, headers: { 'idempotency-key': 'bea-1' } });
  expect([again.status, again.body.entryId, again.body.position]).toEqual([200, joinB.body.entryId, 1]);

  const joinC = await json<Entry>(`${url}/restaurants/${restaurantId}/waitlist`, { body: { partySize: 3, start: evening }, token: cal.token });
  expect([joinC.status, joinC.body.position]).toEqual([201, 2]);

  const b = joinB.body.entryId;
  const c = joinC.body.entryId;
  expect(await entryWhen(b, bea.token, 'waiting')).toMatchObject({ restaurantId, partySize: 2, flexMinutes: 15, position: 1 });
  // the owner may read it, another diner may not
  expect((await json(`${url}/waitlist/${b}`, { token: owner.token })).status).toBe(200);
  expect((await json(`${url}/waitlist/${b}`, { token: ada.token })).status).toBe(403);
  expect((await json(`${url}/waitlist/not-an-entry`, { token: ada.token })).status).toBe(404);
  // only its diner acts on it
  expect((await json(`${url}/waitlist/${b}/withdraw`, { body: {}, token: owner.token })).status).toBe(403);

  await entryWhen(c, cal.token, 'waiting');
  const withdrawn = await json(`${url}/waitlist/${c}/withdraw`, { body: {}, token: cal.token });
  expect([withdrawn.status, withdrawn.body]).toEqual([200, { entryId: c, status: 'withdrawn' }]);
  // nothing offered to a withdrawn entry
  const notOffered = await json(`${url}/waitlist/${c}/accept`, { body: {}, token: cal.token });
  expect([notOffered.status, notOffered.body.code]).toEqual([409, 'NOT_OFFERED']);

  // the table is freed: the first entry still waiting that it fits is offered it
  const cancelled = await json(`${url}/reservations/${booked.body.reservationId}/cancel`, { body: {}, token: ada.token });
  expect(cancelled.status).toBe(200);
  const offered = await entryWhen(b, bea.token, 'offered');
  expect(offered.offer).toMatchObject({ tableId: 't1' });
  expect(Date.parse(offered.offer!.start)).toBe(Date.parse(booked.body.start));
  expect(Date.parse(offered.offer!.expiresAt)).toBeGreaterThan(Date.now());
  expect(offered).not.toHaveProperty('position');

  const list = await json<{ items: Entry[] }>(`${url}/restaurants/${restaurantId}/waitlist?date=${day}`, { token: owner.token });
  expect(list.status).toBe(200);
  expect(list.body.items.map((e) => [e.entryId, e.status])).toEqual([
    [b, 'offered'],
    [c, 'withdrawn'],
  ]);
  expect((await json(`${url}/restaurants/${restaurantId}/waitlist?date=${day}`, { token: bea.token })).status).toBe(403);

  const accepted = await json<{ reservationId: string; status: string }>(`${url}/waitlist/${b}/accept`, { body: {}, token: bea.token });
  expect(accepted.status).toBe(201);
  expect(accepted.body.status).toBe('accepted'); // auto acceptance
  reservations.push(accepted.body.reservationId);
  expect(accepted.headers.get('location')).toBe(`/reservations/${accepted.body.reservationId}`);
  const reservation = await json(`${url}/reservations/${accepted.body.reservationId}`, { token: bea.token });
  expect(reservation.body).toMatchObject({ status: 'accepted', tableId: 't1', customerId: bea.userId, partySize: 2 });

  expect(await entryWhen(b, bea.token, 'booked')).toMatchObject({ reservationId: accepted.body.reservationId });
}, 180_000);

