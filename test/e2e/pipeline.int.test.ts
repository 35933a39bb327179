/**
 * The event pipeline end to end, through separate processes: a catalog write travels DynamoDB → stream
 * forwarder → SNS FIFO → SQS FIFO → each consumer, and shows up in auth (ownership), in the catalog read
 * model (search) and in the reservation service's replica (availability). `npm run replay` (scripts/replay.ts)
 * rebuilds a read model from the store, or replays a history through a consumer's queue.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { serviceDbName } from '../../platform/mongo';
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

/** `npm run replay -- <args>` against the test system's resources; its output. */
async function replayScript(args: string[]): Promise<string> {
  const root = path.resolve(__dirname, '../..');
  const { stdout } = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['scripts/replay.ts', ...args], { cwd: root, env: sys.env, timeout: 90_000 });
  return stdout;
}

const everything = (c: Collection<Document>) => c.find({}).sort({ _id: 1 }).toArray();

test('npm run replay: --rebuild mends a damaged read model from the store; --via-queue empties one and the pipeline builds it again; indexes exist from the start', async () => {
  const mongo = await MongoClient.connect(sys.config.mongo.uri);
  try {
    const catalog = mongo.db(serviceDbName(sys.config, 'catalog')).collection('restaurants');
    const reservation = mongo.db(serviceDbName(sys.config, 'reservation'));
    const replica = reservation.collection('restaurants');

    // the indexes the search and the reservation lists use were created when the pipeline and the API started
    expect((await catalog.indexes()).map((i) => i.name)).toEqual(expect.arrayContaining(['closed_1_cuisineKey_1', 'nameKey_1__id_1', 'location.lat_1']));
    expect((await reservation.collection('reservations').indexes()).map((i) => i.name)).toEqual(expect.arrayContaining(['by_customer', 'by_restaurant']));

    const [lost, wrong] = [await createRestaurant(api, owner.token), await createRestaurant(api, owner.token)];
    await eventually(async () => {
      for (const id of [lost, wrong]) {
        expect(await catalog.findOne({ _id: id as never })).not.toBeNull();
        expect(await replica.findOne({ _id: id as never })).not.toBeNull();
      }
    }, 30_000);
    const liveCatalog = await everything(catalog);
    const liveReplica = await everything(replica);

    // direct rebuild: a lost document and a wrong one are put back as the live consumer wrote them
    await catalog.deleteOne({ _id: lost as never });
    await catalog.updateOne({ _id: wrong as never }, { $set: { name: 'Damaged' } });
    expect(await replayScript(['--consumer', 'catalog-restaurants', '--rebuild'])).toMatch(/^rebuild of catalog-restaurants from catalog's store/m);
    expect(await everything(catalog)).toEqual(liveCatalog);

    // replay via queue: the replica is emptied, then the pipeline's consumer builds it again from the messages
    expect(await replayScript(['--consumer', 'reservation-restaurants', '--rebuild', '--via-queue'])).toMatch(/events of \d+ streams from catalog → .* \(read model emptied first\)/);
    await eventually(async () => expect(await everything(replica)).toEqual(liveReplica), 60_000);
  } finally {
    await mongo.close();
  }
}, 180_000);
