import { SlidingWindowLimiter, loginRateLimiter } from './rate-limit';
import { withEventId } from '../../projections/ownership';
import { userDecider, type UserEvent } from '../../domain/auth/user';
import type { StoredEvent } from '../../eventstore/types';

describe('sliding window limiter', () => {
  test('limit per key, sliding (not fixed) window, Retry-After from the oldest hit', () => {
    let t = 0;
    const l = new SlidingWindowLimiter(3, 60_000, () => t);
    expect(l.hit('a').allowed).toBe(true); // t=0
    t = 20_000;
    expect(l.hit('a').allowed).toBe(true);
    t = 40_000;
    expect(l.hit('a').allowed).toBe(true);
    t = 50_000;
    expect(l.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(l.hit('b').allowed).toBe(true);
    t = 60_001; // the first hit left the window, the others did not
    expect(l.hit('a').allowed).toBe(true);
    expect(l.hit('a').allowed).toBe(false);
  });

  test('login limiter: per IP across emails, and per email across IPs', () => {
    let t = 0;
    const l = loginRateLimiter({ perEmail: 2, perIp: 3, windowMs: 1000, now: () => t });
    expect(l.check('ip1', 'a').allowed).toBe(true);
    expect(l.check('ip2', 'a').allowed).toBe(true);
    expect(l.check('ip3', 'a').allowed).toBe(false); // email limit
    expect(l.check('ip1', 'b').allowed).toBe(true);
    expect(l.check('ip1', 'c').allowed).toBe(true); // ip1: 3rd attempt (a, b, c)
    expect(l.check('ip1', 'd')).toEqual({ allowed: false, retryAfterSeconds: 1 }); // IP limit
    t = 1001;
    expect(l.check('ip1', 'a').allowed).toBe(true);
  });
});

describe('withEventId', () => {
  const registered = { type: 'UserRegistered', data: { userId: 'u', email: 'a@b.co', name: 'A', passwordHash: 'h' } } as UserEvent;
  const stored = (e: UserEvent, eventId: string) => ({ ...e, eventId }) as StoredEvent<UserEvent>;

  test('stamps the id and decides nothing once that id is in the stream', () => {
    const d = withEventId(userDecider, 'cat-1:granted');
    let s = d.initialState();
    s = d.evolve(s, stored(registered, 'x'));
    expect(d.decide({ type: 'GrantOwnership', restaurantId: 'r' }, s)).toEqual([
      { type: 'RestaurantOwnershipGranted', data: { restaurantId: 'r' }, eventId: 'cat-1:granted' },
    ]);
    s = d.evolve(s, stored({ type: 'RestaurantOwnershipGranted', data: { restaurantId: 'r' } }, 'cat-1:granted'));
    s = d.evolve(s, stored({ type: 'RestaurantOwnershipRevoked', data: { restaurantId: 'r' } }, 'cat-2:revoked'));
    // not owned any more, but this very grant was already applied: a redelivery, not a new grant
    expect(d.decide({ type: 'GrantOwnership', restaurantId: 'r' }, s)).toEqual([]);
  });
});
