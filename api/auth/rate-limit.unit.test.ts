import { SlidingWindowLimiter, loginRateLimiter, signUpRateLimiter } from './rate-limit';
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

  test('login limiter: failures per (email, IP), attempts per IP', () => {
    let t = 0;
    const l = loginRateLimiter({ failuresPerEmailAndIp: 2, failureWindowMs: 1000, perIp: 4, ipWindowMs: 1000, now: () => t });
    // two failures for victim@ from the attacker's address block that pair only
    for (let i = 0; i < 2; i++) {
      expect(l.check('attacker', 'victim').allowed).toBe(true);
      l.failed('attacker', 'victim');
    }
    expect(l.check('attacker', 'victim')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // the victim, from their own address, is not locked out
    expect(l.check('victim-ip', 'victim').allowed).toBe(true);
    // the attacker's address still has attempts for other accounts until its own cap (4 attempts: 2 above + 2)
    expect(l.check('attacker', 'other1').allowed).toBe(true);
    expect(l.check('attacker', 'other2').allowed).toBe(true);
    expect(l.check('attacker', 'other3')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    t = 1001;
    expect(l.check('attacker', 'victim').allowed).toBe(true);
  });

  test('successful sign-ins never count against the account, and clear its failures from that address', () => {
    const l = loginRateLimiter({ failuresPerEmailAndIp: 2, perIp: 100, now: () => 0 });
    for (let i = 0; i < 10; i++) {
      expect(l.check('ip', 'a').allowed).toBe(true);
      l.succeeded('ip', 'a');
    }
    l.failed('ip', 'a');
    l.succeeded('ip', 'a');
    l.failed('ip', 'a');
    expect(l.check('ip', 'a').allowed).toBe(true); // one failure since the success, not two
  });

  test('sign-ups: per IP, Retry-After until the oldest leaves the window', () => {
    let t = 0;
    const l = signUpRateLimiter({ perIp: 2, windowMs: 10_000, now: () => t });
    expect(l.check('a').allowed).toBe(true);
    t = 4000;
    expect(l.check('a').allowed).toBe(true);
    expect(l.check('a')).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(l.check('b').allowed).toBe(true);
    t = 10_001;
    expect(l.check('a').allowed).toBe(true);
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
