/** The reservation service's restaurant replica on FerretDB, and the short cache its readers use. */
import { testDatabase } from '../test/mongo-db';
import { consumerOn } from '../test/fixtures/consumers';
import type { StoredEvent } from '../eventstore/types';
import { InMemoryEventStore } from '../eventstore/memory';
import { DEFAULT_POLICY } from '../domain/catalog/events';
import { replicaFromCatalogEvents, restaurantReplica } from './restaurant-replica';

const db = testDatabase('replica');
/** The replica's live handler, as the pipeline runs it. */
const handle = (e: StoredEvent) => consumerOn(db(), 'reservation-restaurants').handle(e);

const event = (restaurantId: string, version: number, type: string, data: object): StoredEvent => ({
  eventId: `${restaurantId}-${version}`,
  streamId: `restaurant-${restaurantId}`,
  version,
  type,
  data: { restaurantId, ...data },
  metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
  service: 'catalog',
});

const created = (id: string) =>
  event(id, 1, 'RestaurantCreated', {
    ownerId: 'owner-1',
    name: 'Da Mario',
    timezone: 'Europe/Rome',
    openingHours: { monday: [{ open: '12:00', close: '15:00' }] },
    tables: [{ id: 't1', seats: 4 }],
    policy: { acceptance: 'auto' },
  });

test('keeps what booking needs, as the fallback folds it from the store; closing is a flag; redelivery changes nothing', async () => {
  const replica = restaurantReplica(db());
  const history = [
    created('r1'),
    event('r1', 2, 'TablesSet', { tables: [{ id: 't9', seats: 2 }] }),
    event('r1', 3, 'MenuSectionAdded', { section: 'Pasta' }),
    event('r1', 4, 'RestaurantDetailsChanged', { name: 'Da Luigi', cuisine: 'roman' }),
    event('r1', 5, 'RestaurantClosed', {}),
  ];
  for (const e of history.slice(0, 2)) await handle(e);
  await handle(created('r1')); // redelivered
  for (const e of history.slice(2)) await handle(e);
  const expected = {
    restaurantId: 'r1',
    ownerId: 'owner-1',
    name: 'Da Luigi',
    timezone: 'Europe/Rome',
    openingHours: { monday: [{ open: '12:00', close: '15:00' }] },
    tables: [{ id: 't9', seats: 2 }],
    // a policy's missing fields read as their defaults
    policy: { ...DEFAULT_POLICY, acceptance: 'auto' },
    closed: true,
    version: 5,
  };
  expect(await replica.get('r1')).toEqual(expected);
  // the fallback (a restaurant not in the replica yet) folds the same events to the same replica
  const store = new InMemoryEventStore('catalog');
  await store.append('restaurant-r1', history.map(({ type, data }) => ({ type, data })), { expectedVersion: 'no_stream' });
  expect(await replicaFromCatalogEvents(store)('r1')).toEqual(expected);
  expect(await replica.get('nope')).toBeNull();
  expect(await replicaFromCatalogEvents(store)('nope')).toBeNull();
});

test('a reader cache answers from memory for cacheMs, and never remembers a restaurant it did not find', async () => {
  const uncached = restaurantReplica(db());
  const reader = restaurantReplica(db(), { cacheMs: 60_000 });
  expect(await reader.get('r2')).toBeNull();
  await handle(created('r2'));
  // the miss was not kept: the new restaurant is seen at once
  expect(await reader.get('r2')).toMatchObject({ name: 'Da Mario', version: 1 });
  await handle(event('r2', 2, 'RestaurantDetailsChanged', { name: 'Da Luigi' }));
  expect(await reader.get('r2')).toMatchObject({ name: 'Da Mario', version: 1 }); // cached
  expect(await uncached.get('r2')).toMatchObject({ name: 'Da Luigi', version: 2 }); // no cache
});

test('with a minVersion a cached copy at least that new answers past cacheMs; an older one is read again', async () => {
  const reader = restaurantReplica(db(), { cacheMs: 1, versionedCacheMs: 60_000 });
  await handle(created('r3'));
  expect(await reader.get('r3', 1)).toMatchObject({ name: 'Da Mario', version: 1 });
  await handle(event('r3', 2, 'RestaurantDetailsChanged', { name: 'Da Luigi' }));
  await new Promise((r) => setTimeout(r, 5));
  // the caller decided on version 1: the cached copy will do
  expect(await reader.get('r3', 1)).toMatchObject({ name: 'Da Mario', version: 1 });
  // the caller saw version 2: the cached copy is too old, so it is read again
  expect(await reader.get('r3', 2)).toMatchObject({ name: 'Da Luigi', version: 2 });
  // without a minVersion, only cacheMs counts
  await handle(event('r3', 3, 'RestaurantDetailsChanged', { name: 'Da Gino' }));
  await new Promise((r) => setTimeout(r, 5));
  expect(await reader.get('r3')).toMatchObject({ name: 'Da Gino', version: 3 });
});
