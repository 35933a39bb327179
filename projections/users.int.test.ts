/** The users projection on FerretDB: in order, redelivered, out of order, rebuilt. */
import { testDatabase } from '../test/mongo-db';
import { InMemoryEventStore } from '../eventstore/memory';
import type { StoredEvent } from '../eventstore/types';
import { GapError } from '../eventstore/checkpoint';
import { rebuildDirect } from './rebuild';
import { consumerOn } from '../test/fixtures/consumers';
import { usersReadModel, usersReadModelProjection } from './users';

const db = testDatabase('users');

function ev(userId: string, version: number, type: string, data: Record<string, unknown>): StoredEvent {
  return {
    type,
    data,
    eventId: `${userId}-${version}`,
    streamId: `user-${userId}`,
    version,
    service: 'auth',
    metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
  };
}

const history = (id: string) => [
  ev(id, 1, 'UserRegistered', { userId: id, email: 'a@b.co', name: 'Ada', passwordHash: 'scrypt$secret' }),
  ev(id, 2, 'RestaurantOwnershipGranted', { restaurantId: 'r1' }),
  ev(id, 3, 'RestaurantOwnershipGranted', { restaurantId: 'r2' }),
  ev(id, 4, 'PasswordChanged', { passwordHash: 'scrypt$other' }),
  ev(id, 5, 'RestaurantOwnershipRevoked', { restaurantId: 'r1' }),
];

test('applies in order, skips redeliveries, never stores the hash', async () => {
  const p = { handle: consumerOn(db(), 'auth-users').handle, readModel: usersReadModel(db()) };
  const events = history('u1');
  for (const e of events) await p.handle(e);
  for (const e of events) await p.handle(e); // everything redelivered
  await p.handle(events[1]!); // an old one, late
  expect(await p.readModel.get('u1')).toEqual({ userId: 'u1', email: 'a@b.co', name: 'Ada', ownedRestaurantIds: ['r2'], version: 5 });
  const raw = await db().collection('users').findOne({ _id: 'u1' as never });
  expect(JSON.stringify(raw)).not.toContain('scrypt');
});

test('a gap throws the one GapError (so the consumer heals it) and applies once the missing event came', async () => {
  const p = { handle: consumerOn(db(), 'auth-users').handle, readModel: usersReadModel(db()) };
  const [e1, e2, e3] = history('u2');
  await p.handle(e1!);
  await expect(p.handle(e3!)).rejects.toBeInstanceOf(GapError);
  await expect(p.handle(e3!)).rejects.toMatchObject({ streamId: 'user-u2', expected: 2, got: 3 });
  await p.handle(e2!);
  await p.handle(e3!);
  expect((await p.readModel.get('u2'))?.ownedRestaurantIds).toEqual(['r1', 'r2']);
});

test('ignores other streams and rebuilds from a store', async () => {
  const p = { handle: consumerOn(db(), 'auth-users').handle, readModel: usersReadModel(db()) };
  await p.handle({ ...ev('x', 1, 'EmailClaimed', { userId: 'x' }), streamId: 'email-a@b.co' });
  const store = new InMemoryEventStore('auth');
  await store.append('user-u3', history('u3').map(({ type, data }) => ({ type, data })), { expectedVersion: 'no_stream' });
  await store.append('email-a@b.co', [{ type: 'EmailClaimed', data: { userId: 'u3' } }], { expectedVersion: 'no_stream' });
  await rebuildDirect({ db: db(), store, projection: usersReadModelProjection, grouped: false });
  expect(await p.readModel.get('u1')).toBeNull();
  expect(await p.readModel.get('u3')).toMatchObject({ ownedRestaurantIds: ['r2'], version: 5 });
});
