/** The reservation service's restaurant replica on FerretDB, and the short cache its readers use. */
import { testDatabase } from '../test/mongo-db';
import type { StoredEvent } from '../eventstore/types';
import { restaurantReplica } from './restaurant-replica';

const db = testDatabase('replica');

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

test('keeps what booking needs; closing is a flag; redelivery changes nothing', async () => {
  const replica = restaurantReplica(db());
  await replica.handle(created('r1'));
  await replica.handle(event('r1', 2, 'TablesSet', { tables: [{ id: 't9', seats: 2 }] }));
  await replica.handle(created('r1')); // redelivered
  await replica.handle(event('r1', 3, 'RestaurantClosed', {}));
  expect(await replica.get('r1')).toMatchObject({
    restaurantId: 'r1',
    ownerId: 'owner-1',
    timezone: 'Europe/Rome',
    tables: [{ id: 't9', seats: 2 }],
    closed: true,
    version: 3,
  });
  expect(await replica.get('nope')).toBeNull();
});

test('a reader cache answers from memory for cacheMs, and never remembers a restaurant it did not find', async () => {
  const writer = restaurantReplica(db());
  const reader = restaurantReplica(db(), { cacheMs: 60_000 });
  expect(await reader.get('r2')).toBeNull();
  await writer.handle(created('r2'));
  // the miss was not kept: the new restaurant is seen at once
  expect(await reader.get('r2')).toMatchObject({ name: 'Da Mario', version: 1 });
  await writer.handle(event('r2', 2, 'RestaurantDetailsChanged', { name: 'Da Luigi' }));
  expect(await reader.get('r2')).toMatchObject({ name: 'Da Mario', version: 1 }); // cached
  expect(await writer.get('r2')).toMatchObject({ name: 'Da Luigi', version: 2 }); // no cache
});
