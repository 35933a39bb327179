/**
 * auth-ownership's memory (`restaurant_owners`) on FerretDB: the live consumer applies every catalog event
 * through the one apply path, so a rebuild from the catalog store writes the same documents, checkpoint
 * included; a close of a restaurant never seen created is skipped, not held as a gap.
 */
import type { Db, Document } from 'mongodb';
import { testDatabase } from '../test/mongo-db';
import { consumerOn } from '../test/fixtures/consumers';
import { InMemoryEventStore } from '../eventstore/memory';
import { restaurantStreamId } from '../domain/catalog/events';
import { RESTAURANT_OWNERS_COLLECTION } from './ownership';

const liveDb = testDatabase('owners_live');
const rebuiltDb = testDatabase('owners_rebuilt');

const owners = (db: Db): Promise<Document[]> => db.collection(RESTAURANT_OWNERS_COLLECTION).find({}).sort({ _id: 1 }).toArray();

test('live documents equal rebuilt ones, `_v` included; redeliveries change nothing; an unknown close is skipped', async () => {
  const catalog = new InMemoryEventStore('catalog');
  // owners auth has never seen: the grants are skipped (NOT_FOUND), what is remembered is not
  await catalog.append(restaurantStreamId('r1'), [
    { type: 'RestaurantCreated', data: { restaurantId: 'r1', ownerId: 'u1' } },
    { type: 'MenuSectionAdded', data: { restaurantId: 'r1', section: 'Pasta' } },
    { type: 'RestaurantClosed', data: { restaurantId: 'r1' } },
  ], { expectedVersion: 'no_stream' });
  await catalog.append(restaurantStreamId('r2'), [
    { type: 'RestaurantCreated', data: { restaurantId: 'r2', ownerId: 'u2' } },
    { type: 'TablesSet', data: { restaurantId: 'r2', tables: [] } },
  ], { expectedVersion: 'no_stream' });

  const live = consumerOn(liveDb(), 'auth-ownership', { catalog });
  const events = [...(await catalog.readStream(restaurantStreamId('r1'))), ...(await catalog.readStream(restaurantStreamId('r2')))];
  for (const e of events) await live.handle(e);
  for (const e of events) await live.handle(e); // everything redelivered
  // a close of a restaurant never seen created: skipped, nothing remembered
  const [ghostClosed] = (await catalog.append(restaurantStreamId('r9'), [
    { type: 'RestaurantCreated', data: { restaurantId: 'r9', ownerId: 'u9' } },
    { type: 'RestaurantClosed', data: { restaurantId: 'r9' } },
  ], { expectedVersion: 'no_stream' })).events.slice(1);
  await expect(live.handle(ghostClosed!)).resolves.toBeUndefined();

  expect(await owners(liveDb())).toEqual([
    { _id: 'r1', ownerId: 'u1', _v: { 'restaurant-r1': 3 } },
    { _id: 'r2', ownerId: 'u2', _v: { 'restaurant-r2': 2 } },
  ]);
  await consumerOn(rebuiltDb(), 'auth-ownership', { catalog }).rebuildFromStore();
  const rebuilt = await owners(rebuiltDb());
  // the rebuild also read r9's creation, which the live consumer never got
  expect(rebuilt.filter((d) => d._id !== 'r9')).toEqual(await owners(liveDb()));
});
