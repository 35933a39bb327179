/** Every consumer has a projection of the one shape, and each projection's evolve is a pure fold. */
import type { Document } from 'mongodb';
import type { StoredEvent } from '../eventstore/types';
import { CONSUMERS } from '../platform/topology';
import { PROJECTIONS } from './index';

function ev(streamId: string, version: number, type: string, data: Record<string, unknown>): StoredEvent {
  return { type, data, eventId: `${streamId}-${version}`, streamId, version, service: 'auth', metadata: { occurredAt: '2026-12-01T10:00:00.000Z', schemaVersion: 1 } };
}

/** Folds a stream with the projection's own evolve, freezing every input so a mutation throws. */
function fold(consumer: keyof typeof PROJECTIONS, events: StoredEvent[]): Document | undefined {
  const f = PROJECTIONS[consumer].foldOf(events[0]!.streamId);
  if (!f) return undefined;
  return events.reduce<Document | undefined>((doc, e) => f.evolve(doc === undefined ? undefined : deepFreeze(doc), deepFreeze(e)), undefined);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

test('every consumer of the topology has a projection, and only its own streams fold', () => {
  expect(Object.keys(PROJECTIONS).sort()).toEqual(CONSUMERS.map((c) => c.name).sort());
  for (const p of Object.values(PROJECTIONS)) {
    expect(p.collections.length).toBeGreaterThan(0);
    expect(p.foldOf('email-a@b.co')).toBeUndefined();
  }
});

test('users: a pure fold of the user stream, the hash left out', () => {
  const u = 'user-u1';
  const doc = fold('auth-users', [
    ev(u, 1, 'UserRegistered', { userId: 'u1', email: 'a@b.co', name: 'Ada', passwordHash: 'scrypt$x' }),
    ev(u, 2, 'RestaurantOwnershipGranted', { restaurantId: 'r1' }),
    ev(u, 3, 'RestaurantOwnershipGranted', { restaurantId: 'r1' }),
    ev(u, 4, 'PasswordChanged', { passwordHash: 'scrypt$y' }),
    ev(u, 5, 'RestaurantOwnershipRevoked', { restaurantId: 'r1' }),
  ]);
  expect(doc).toEqual({ email: 'a@b.co', name: 'Ada', ownedRestaurantIds: [], version: 5 });
  expect(() => fold('auth-users', [ev(u, 1, 'PasswordChanged', {})])).toThrow(/not UserRegistered/);
});

test('restaurant owners: the creator, kept through later events', () => {
  const s = 'restaurant-r1';
  const created = ev(s, 1, 'RestaurantCreated', { restaurantId: 'r1', ownerId: 'o1' });
  expect(fold('auth-ownership', [created, ev(s, 2, 'RestaurantClosed', { restaurantId: 'r1' })])).toEqual({ ownerId: 'o1' });
});

test('catalog: a stream that does not start with its creation is refused', () => {
  expect(() => fold('catalog-restaurants', [ev('restaurant-r1', 1, 'RestaurantClosed', { restaurantId: 'r1' })])).toThrow(/not RestaurantCreated/);
});
