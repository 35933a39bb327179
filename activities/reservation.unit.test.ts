/**
 * The reservation activities over the in-memory event store: the double-booking race, idempotent
 * retries, compensation and the cancellation cutoff. (The race runs on DynamoDB in reservation.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { InMemoryEventStore } from '../eventstore/memory';
import { createReservationActivities, type ReservationServiceEvent } from './reservation';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { replicaFixture } from '../test/fixtures/restaurants';
import type { Placement, Refusal, ReservationRequest } from '../workflows/messages';

function placed(p: Placement | Refusal): Placement {
  if ('refused' in p) throw new Error(`refused: ${p.refused.message}`);
  return p;
}

const NOW = new Date('2026-12-01T09:00:00Z');
const START = '2026-12-01T12:00:00.000Z'; // 13:00 in Rome
const restaurant = replicaFixture();

function setup(r: RestaurantReplica = restaurant) {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  const acts = createReservationActivities({ store, restaurants: { get: async () => r }, now: () => NOW, maxLedgerAttempts: 50 });
  return { store, acts };
}

const request = (over: Partial<ReservationRequest> = {}): ReservationRequest => ({
  reservationId: randomUUID(),
  restaurantId: 'r1',
  customerId: 'c1',
  partySize: 2,
  start: START,
  requestHash: 'h',
  ...over,
});

test('30 concurrent requests for the last table: exactly one holds it, the others get NO_TABLE with alternatives', async () => {
  const { store, acts } = setup();
  const results = await Promise.all(Array.from({ length: 30 }, () => acts.placeReservation(request())));
  const ok = results.filter((r) => !('refused' in r));
  const refused = results.filter((r): r is Refusal => 'refused' in r);
  expect(ok).toHaveLength(1);
  expect(refused).toHaveLength(29);
  for (const r of refused) {
    expect(r.refused.code).toBe('NO_TABLE');
    const { alternatives } = r.refused.details as { alternatives: string[] };
    // the nearest free starts: the turn before (ends as the held one begins) and the one after
    expect(alternatives).toEqual(['2026-12-01T12:00:00+01:00', '2026-12-01T14:00:00+01:00']);
  }
  const ledger = await store.readStream('ledger-r1-2026-12-01');
  // automatic acceptance: held and confirmed in one event
  expect(ledger.map((e) => e.type)).toEqual(['TableBooked']);
});

test('a retried placement returns the same placement and writes nothing twice', async () => {
  const { store, acts } = setup();
  const req = request();
  const first = placed(await acts.placeReservation(req));
  const again = await acts.placeReservation(req);
  expect(again).toMatchObject({ status: 'accepted', tableId: first.tableId, start: '2026-12-01T13:00:00+01:00', end: '2026-12-01T14:00:00+01:00' });
  expect((await store.readStream(`reservation-${req.reservationId}`)).map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationAccepted']);
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked']);
});

test('placement timings: decision deadline never past the start, reminder and cutoff before it', async () => {
  const { acts } = setup({ ...restaurant, policy: { ...restaurant.policy, acceptance: 'manual', decisionTimeoutMinutes: 600 } });
  const p = placed(await acts.placeReservation(request()));
  expect(p.status).toBe('pending');
  expect(p.startInMs).toBe(3 * 3600_000);
  expect(p.decisionTimeoutMs).toBe(p.startInMs);
  expect(p.reminderInMs).toBe(3600_000);
  expect(p.customerCutoffInMs).toBe(3600_000);
  expect(p.endInMs).toBe(4 * 3600_000);
});

test('a rule broken at placement is a refusal with its code, not a failure', async () => {
  const { acts } = setup();
  await expect(acts.placeReservation(request({ partySize: 9 }))).resolves.toMatchObject({ refused: { code: 'PARTY_TOO_LARGE' } });
  await expect(acts.placeReservation(request({ start: '2026-12-01T09:30:00.000Z' }))).resolves.toMatchObject({
    refused: { code: 'BETWEEN_SERVICES' },
  });
});

test('outcomes are recorded once even when retried, and release the table', async () => {
  const { store, acts } = setup({ ...restaurant, policy: { ...restaurant.policy, acceptance: 'manual' } });
  const req = request();
  await acts.placeReservation(req);
  await acts.recordOutcome({ reservationId: req.reservationId, outcome: 'reject', reason: 'full' });
  await acts.recordOutcome({ reservationId: req.reservationId, outcome: 'reject', reason: 'full' });
  expect((await store.readStream(`reservation-${req.reservationId}`)).map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationRejected']);
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableHeld', 'TableReleased']);
  // the table is free again
  await expect(acts.placeReservation(request())).resolves.toMatchObject({ tableId: 't1' });
});

test('compensation keeps the table of a reservation recorded as accepted (no double booking)', async () => {
  const { store, acts } = setup();
  const req = request();
  await acts.placeReservation(req);
  await expect(acts.releaseTable({ reservationId: req.reservationId, restaurantId: 'r1', start: START, reason: 'compensation' })).resolves.toEqual({
    released: false,
    status: 'accepted',
  });
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked']);
  // and the table is still taken
  await expect(acts.placeReservation(request({ customerId: 'c2' }))).resolves.toMatchObject({ refused: { code: 'NO_TABLE' } });
});

test('compensation releases a hold nothing recorded (placement died after the ledger), once', async () => {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  const append = store.append.bind(store);
  // the reservation's own stream cannot be written: placement holds the table, then fails
  store.append = (id, e, o) => (id.startsWith('reservation-') ? Promise.reject(new Error('store down')) : append(id, e, o));
  const acts = createReservationActivities({ store, restaurants: { get: async () => restaurant }, now: () => NOW });
  const req = request();
  await expect(acts.placeReservation(req)).rejects.toThrow('store down');
  const release = () => acts.releaseTable({ reservationId: req.reservationId, restaurantId: 'r1', start: START, reason: 'placement-failed' });
  await expect(release()).resolves.toEqual({ released: true, status: 'none' });
  await expect(release()).resolves.toEqual({ released: false, status: 'none' });
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked', 'TableReleased']);
});

test('ledger steps go to the opening day recorded at placement, even after the restaurant changes its timezone', async () => {
  let r: RestaurantReplica = { ...restaurant, policy: { ...restaurant.policy, acceptance: 'manual' } };
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  const acts = createReservationActivities({ store, restaurants: { get: async () => r }, now: () => NOW });
  const req = request();
  placed(await acts.placeReservation(req));
  expect((await store.readStream(`reservation-${req.reservationId}`))[0]!.data).toMatchObject({ openingDate: '2026-12-01' });
  // 13:00 Rome is 01:00 the next day in Auckland: the hold must still be released on 2026-12-01's ledger
  r = { ...r, timezone: 'Pacific/Auckland', openingHours: Object.fromEntries(Object.keys(r.openingHours).map((d) => [d, [{ open: '00:00', close: '23:00' }]])) as RestaurantReplica['openingHours'] };
  await acts.recordOutcome({ reservationId: req.reservationId, outcome: 'reject', reason: 'full' });
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableHeld', 'TableReleased']);
  expect(await store.readStream('ledger-r1-2026-12-02')).toEqual([]);
});

test('one customer may hold at most policy.maxBookingsPerCustomerPerDay reservations per restaurant and day', async () => {
  const { acts } = setup({ ...restaurant, tables: [1, 2, 3, 4].map((i) => ({ id: `t${i}`, seats: 4 })), policy: { ...restaurant.policy, maxBookingsPerCustomerPerDay: 2 } });
  placed(await acts.placeReservation(request()));
  placed(await acts.placeReservation(request()));
  await expect(acts.placeReservation(request())).resolves.toMatchObject({
    refused: { code: 'TOO_MANY_ACTIVE_RESERVATIONS', details: { maxBookingsPerCustomerPerDay: 2 } },
  });
  // another customer is not affected
  placed(await acts.placeReservation(request({ customerId: 'c2' })));
});

/** Two workers: one store, two activity instances, each with its own ledger cache. */
function twoWorkers(r: RestaurantReplica = restaurant) {
  const { store, acts: a } = setup(r);
  const b = createReservationActivities({ store, restaurants: { get: async () => r }, now: () => NOW, maxLedgerAttempts: 50 });
  return { store, a, b };
}

test('stale ledger caches across workers: a release seen late still frees the table, and nothing is booked twice', async () => {
  const { store, a, b } = twoWorkers({ ...restaurant, policy: { ...restaurant.policy, acceptance: 'manual' } });
  const first = request();
  placed(await a.placeReservation(first)); // a knows the table is held
  await b.recordOutcome({ reservationId: first.reservationId, outcome: 'reject', reason: 'full' }); // b releases it
  // a decides on its cached ledger first (table taken), must not answer NO_TABLE from it
  const second = placed(await a.placeReservation(request()));
  expect(second.tableId).toBe('t1');
  // and b, whose cache misses a's second hold, must not hold the same table again
  await expect(b.placeReservation(request())).resolves.toMatchObject({ refused: { code: 'NO_TABLE' } });
  const ledger = await store.readStream('ledger-r1-2026-12-01');
  expect(ledger.map((e) => e.type)).toEqual(['TableHeld', 'TableReleased', 'TableHeld']);
  expect(ledger.map((e) => e.version)).toEqual([1, 2, 3]);
});

test('a placement retried on another worker (cold cache) returns the same placement and writes nothing twice', async () => {
  const { store, a, b } = twoWorkers();
  const req = request();
  const first = placed(await a.placeReservation(req));
  expect(await b.placeReservation(req)).toMatchObject({ status: 'accepted', tableId: first.tableId });
  expect((await store.readStream(`reservation-${req.reservationId}`)).map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationAccepted']);
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked']);
});

test('a new booking on a ledger this worker knows reads no stream: three conditional appends, nothing else', async () => {
  const { store, acts } = setup({ ...restaurant, tables: [{ id: 't1', seats: 4 }, { id: 't2', seats: 4 }] });
  placed(await acts.placeReservation(request())); // warms the cache (the ledger is read once)
  const calls: string[] = [];
  const read = store.readStream.bind(store);
  const append = store.append.bind(store);
  store.readStream = (id, o) => (calls.push(`read ${id.split('-')[0]}`), read(id, o));
  store.append = (id, e, o) => (calls.push(`append ${id.split('-')[0]}`), append(id, e, o));
  // a made-up id (no Idempotency-Key) on a first attempt: nothing to look up
  expect(placed(await acts.placeReservation(request({ newId: true }))).tableId).toBe('t2');
  expect(calls).toEqual(['append ledger', 'append reservation', 'append reservation']);
});

test('a retried placement is answered from what is stored, even when the rules would now refuse it', async () => {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  let now = NOW;
  let attempt = 1;
  const acts = createReservationActivities({ store, restaurants: { get: async () => restaurant }, now: () => now, attempt: () => attempt });
  const req = request({ newId: true });
  const first = placed(await acts.placeReservation(req));
  // the retry comes when the start is too close to book (the first answer was lost)
  now = new Date(Date.parse(START) - 30 * 60_000);
  attempt = 2;
  expect(await acts.placeReservation(req)).toMatchObject({ status: 'accepted', tableId: first.tableId });
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked']);
});

test('an Idempotency-Key naming an older reservation: answered from the stream, no second table', async () => {
  const { store, acts } = setup({ ...restaurant, tables: [{ id: 't1', seats: 4 }, { id: 't2', seats: 4 }] });
  const req = request(); // no newId: the id came from a key
  const first = placed(await acts.placeReservation(req));
  expect(await acts.placeReservation(req)).toMatchObject({ tableId: first.tableId, status: 'accepted' });
  await acts.recordOutcome({ reservationId: req.reservationId, outcome: 'cancel', actor: { userId: 'c1', role: 'customer' } });
  // once it has ended, never a new placement (nor a "pending" answer) for that id: the final status
  await expect(acts.placeReservation(req)).resolves.toMatchObject({ refused: { code: 'ALREADY_FINAL', details: { reservationStatus: 'cancelled' } } });
  expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked', 'TableReleased']);
});

test('an automatic acceptance interrupted after the request is finished by the retry', async () => {
  const { store, acts } = setup();
  const req = request();
  placed(await acts.placeReservation(req));
  // as if the attempt had died between the two appends: the stream ends at the request
  const stream = `reservation-${req.reservationId}`;
  const [requested] = await store.readStream(stream);
  const partial = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  await partial.append(stream, [requested as never], { expectedVersion: 'no_stream' });
  for (const e of await store.readStream('ledger-r1-2026-12-01')) await partial.append(e.streamId, [e as never], { expectedVersion: e.version - 1 || 'no_stream' });
  const retry = createReservationActivities({ store: partial, restaurants: { get: async () => restaurant }, now: () => NOW, attempt: () => 2 });
  expect(await retry.placeReservation(req)).toMatchObject({ status: 'accepted' });
  expect((await partial.readStream(stream)).map((e) => [e.type, e.data])).toEqual([
    ['ReservationRequested', expect.anything()],
    ['ReservationAccepted', { by: 'auto' }],
  ]);
});

describe('the cancellation cutoff, as the decider enforces it (start 12:00Z, customer cutoff 120 minutes → until 10:00Z)', () => {
  const cancel = (reservationId: string, role: 'customer' | 'owner', at: string) =>
    ({ reservationId, outcome: 'cancel', actor: { userId: role, role }, at, cancellationCutoffMinutes: 120 }) as const;

  test('a customer asking at the cutoff cancels; a minute past it is refused PAST_CUTOFF and nothing is written', async () => {
    const { store, acts } = setup();
    const early = request();
    const late = request({ customerId: 'c2', start: '2026-12-01T13:00:00.000Z' });
    placed(await acts.placeReservation(early));
    placed(await acts.placeReservation(late));
    await expect(acts.recordOutcome(cancel(early.reservationId, 'customer', '2026-12-01T10:00:00.000Z'))).resolves.toMatchObject({ status: 'cancelled' });
    // its start is 13:00Z: the cutoff 11:00Z
    await expect(acts.recordOutcome(cancel(late.reservationId, 'customer', '2026-12-01T11:01:00.000Z'))).rejects.toMatchObject({
      type: 'PAST_CUTOFF',
      nonRetryable: true,
    });
    expect((await store.readStream(`reservation-${late.reservationId}`)).map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationAccepted']);
  });

  test('the owner cancels past the customer cutoff, but not once the reservation has started', async () => {
    const { acts } = setup();
    const a = request();
    placed(await acts.placeReservation(a));
    await expect(acts.recordOutcome(cancel(a.reservationId, 'owner', '2026-12-01T12:00:00.000Z'))).rejects.toMatchObject({ type: 'ALREADY_STARTED' });
    await expect(acts.recordOutcome(cancel(a.reservationId, 'owner', '2026-12-01T11:30:00.000Z'))).resolves.toMatchObject({ status: 'cancelled' });
  });

  test('a retry long after the request decides as the first try did: the instant asked, not the clock now', async () => {
    const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
    let now = NOW;
    const acts = createReservationActivities({ store, restaurants: { get: async () => restaurant }, now: () => now });
    const a = request();
    placed(await acts.placeReservation(a));
    now = new Date('2026-12-01T11:50:00.000Z'); // the retry runs past the cutoff
    await expect(acts.recordOutcome(cancel(a.reservationId, 'customer', '2026-12-01T09:30:00.000Z'))).resolves.toMatchObject({ status: 'cancelled' });
    expect((await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type)).toEqual(['TableBooked', 'TableReleased']);
  });
});

describe('the floor (start 12:00Z, seating from 11:30Z, no-show after 12:15Z)', () => {
  const owner = { userId: 'owner', role: 'owner' } as const;
  const step = (reservationId: string, outcome: 'seat' | 'no-show' | 'complete-early' | 'complete', at?: string) =>
    ({ reservationId, outcome, actor: owner, ...(at ? { at } : {}), seatEarlyMinutes: 30, noShowGraceMinutes: 15 }) as const;
  const ledger = async (store: InMemoryEventStore<ReservationServiceEvent>) => (await store.readStream('ledger-r1-2026-12-01')).map((e) => e.type);

  test('a no-show after the grace is final and gives the table back (the rest of the turn is free again); retried, it writes nothing twice', async () => {
    const { store, acts } = setup();
    const a = request();
    placed(await acts.placeReservation(a));
    await expect(acts.recordOutcome(step(a.reservationId, 'no-show', '2026-12-01T12:15:00.000Z'))).rejects.toMatchObject({ type: 'NOT_YET', nonRetryable: true });
    await expect(acts.recordOutcome(step(a.reservationId, 'no-show', '2026-12-01T12:16:00.000Z'))).resolves.toMatchObject({ status: 'no-show' });
    await expect(acts.recordOutcome(step(a.reservationId, 'no-show', '2026-12-01T12:16:00.000Z'))).resolves.toMatchObject({ status: 'no-show' });
    expect((await store.readStream(`reservation-${a.reservationId}`)).map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationNoShow']);
    expect(await ledger(store)).toEqual(['TableBooked', 'TableReleased']);
    expect((await store.readStream('ledger-r1-2026-12-01')).at(-1)?.data).toMatchObject({ reason: 'no-show' });
    // the table can be booked again
    await expect(acts.placeReservation(request({ customerId: 'c2' }))).resolves.toMatchObject({ tableId: 't1' });
  });

  test('seated in its window keeps the table; the end of the turn completes it and the ledger keeps the booking', async () => {
    const { store, acts } = setup();
    const a = request();
    placed(await acts.placeReservation(a));
    await expect(acts.recordOutcome(step(a.reservationId, 'seat', '2026-12-01T11:29:00.000Z'))).rejects.toMatchObject({ type: 'NOT_YET' });
    await expect(acts.recordOutcome(step(a.reservationId, 'seat', '2026-12-01T11:30:00.000Z'))).resolves.toMatchObject({ status: 'seated' });
    await expect(acts.recordOutcome(step(a.reservationId, 'complete'))).resolves.toMatchObject({ status: 'completed' });
    expect(await ledger(store)).toEqual(['TableBooked']);
  });

  test('an early end of a seated party releases the table; a retry does not release twice; not seated → NOT_SEATED', async () => {
    const { store, acts } = setup();
    const a = request();
    const b = request({ customerId: 'c2', start: '2026-12-01T13:00:00.000Z' });
    placed(await acts.placeReservation(a));
    placed(await acts.placeReservation(b));
    await expect(acts.recordOutcome(step(b.reservationId, 'complete-early', '2026-12-01T13:10:00.000Z'))).rejects.toMatchObject({ type: 'NOT_SEATED' });
    await acts.recordOutcome(step(a.reservationId, 'seat', '2026-12-01T12:00:00.000Z'));
    await expect(acts.recordOutcome(step(a.reservationId, 'complete-early', '2026-12-01T12:20:00.000Z'))).resolves.toMatchObject({ status: 'completed' });
    await expect(acts.recordOutcome(step(a.reservationId, 'complete-early', '2026-12-01T12:20:00.000Z'))).resolves.toMatchObject({ status: 'completed' });
    const events = await store.readStream(`reservation-${a.reservationId}`);
    expect(events.map((e) => e.type)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationSeated', 'ReservationCompleted']);
    expect(events.at(-1)?.data).toEqual({ early: true, at: '2026-12-01T12:20:00.000Z' });
    const released = (await store.readStream('ledger-r1-2026-12-01')).filter((e) => e.type === 'TableReleased');
    expect(released.map((e) => (e.data as { reason: string; reservationId: string }).reason)).toEqual(['completed-early']);
  });

  test('after a completion at the end of the turn, an early end is refused (and nothing is released)', async () => {
    const { store, acts } = setup();
    const a = request();
    placed(await acts.placeReservation(a));
    await acts.recordOutcome(step(a.reservationId, 'seat', '2026-12-01T12:00:00.000Z'));
    await acts.recordOutcome(step(a.reservationId, 'complete'));
    await expect(acts.recordOutcome(step(a.reservationId, 'complete-early', '2026-12-01T12:20:00.000Z'))).rejects.toMatchObject({ type: 'ALREADY_FINAL' });
    expect(await ledger(store)).toEqual(['TableBooked']);
  });
});
