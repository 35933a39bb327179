/**
 * The event pipeline end to end, through separate processes: a catalog write travels DynamoDB → stream
 * forwarder → SNS FIFO → SQS FIFO → each consumer, and shows up in auth (ownership), in the catalog read
 * model (search) and in the reservation service's replica (availability).
 */
import { randomBytes } from 'node:crypto';
import { createRestaurant, eventually, json, localDate, signUp, startSystem, type System, type User } from '../system';

let sys: System;
let api: string;
let owner: User;

beforeAll(async () => {
  // no reservation is made here: no worker needed
  sys = await startSystem({ apis: 1, workers: 0 });
  api = sys.apis[0]!.url;
  owner = await signUp(api, 'owner');
}, 120_000);

afterAll(async () => {
  await sys?.stop();
}, 60_000);

test('a new restaurant reaches auth (ownership), search (read model) and reservations (replica)', async () => {
  const restaurantId = await createRestaurant(api, owner.token);

  // auth's ownership consumer: catalog topic → auth-ownership queue → OwnershipGranted in auth's store → users read model
  const me = await eventually(async () => {
    const res = await json<{ ownedRestaurantIds: string[] }>(`${api}/auth/me`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body.ownedRestaurantIds).toContain(restaurantId);
    return res.body;
  }, 30_000);
  expect(me.ownedRestaurantIds).toEqual([restaurantId]);

  // the reservation service's replica: catalog topic → reservation-restaurants queue
  await eventually(async () => {
    const res = await json<{ timezone: string; slots: Array<{ start: string }> }>(
      `${api}/restaurants/${restaurantId}/availability?date=${localDate('Europe/Rome', 2)}&partySize=2`,
    );
    expect(res.status).toBe(200);
    expect(res.body.timezone).toBe('Europe/Rome');
    expect(res.body.slots.length).toBeGreaterThan(0);
  }, 30_000);

  // a rename is visible in search only once the catalog-restaurants consumer applied it (search reads the read model only)
  const word = `zq${randomBytes(5).toString('hex')}`;
  const patched = await json(`${api}/restaurants/${restaurantId}`, { method: 'PATCH', body: { name: `Osteria ${word}` }, token: owner.token });
  expect(patched.status).toBe(200);
  const hit = await eventually(async () => {
    const res = await json<{ items: Array<{ restaurantId: string; name: string }> }>(`${api}/restaurants?q=${word}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((i) => i.restaurantId)).toEqual([restaurantId]);
    return res.body.items[0]!;
  }, 30_000);
  expect(hit.name).toBe(`Osteria ${word}`);
});

test('only its creator owns a restaurant; a restaurant reservations never heard of is 404', async () => {
  const other = await signUp(api, 'stranger');
  const restaurantId = await createRestaurant(api, owner.token);
  await eventually(async () => {
    const res = await json<{ ownedRestaurantIds: string[] }>(`${api}/auth/me`, { token: owner.token });
    expect(res.body.ownedRestaurantIds).toContain(restaurantId);
  }, 30_000);
  const theirs = await json<{ ownedRestaurantIds: string[] }>(`${api}/auth/me`, { token: other.token });
  expect(theirs.body.ownedRestaurantIds).toEqual([]);
  const unknown = await json(`${api}/restaurants/no-such-restaurant/availability?date=${localDate('Europe/Rome', 2)}&partySize=2`);
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
});
