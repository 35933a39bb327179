import type { DomainErrorCode } from '../errors';
import { spec } from '../testing/decider-spec';
import {
  type EmailEvent,
  type UserCommand,
  type UserEvent,
  emailGuardDecider,
  emailOwner,
  emailStreamId,
  normaliseEmail,
  rolesOf,
  userDecider,
  userFromEvents,
} from './user';
import { DEFAULT_SCRYPT, dummyVerify, hashPassword, verifyPassword } from './passwords';

const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u1', email: 'ada@example.com', name: 'Ada', passwordHash: 'scrypt$h1' },
};
const granted = (restaurantId: string): UserEvent => ({ type: 'RestaurantOwnershipGranted', data: { restaurantId } });
const revoked = (restaurantId: string): UserEvent => ({ type: 'RestaurantOwnershipRevoked', data: { restaurantId } });

interface Case {
  name: string;
  given: UserEvent[];
  when: UserCommand;
  then: UserEvent[] | { error: DomainErrorCode };
}

const cases: Case[] = [
  {
    name: 'register a new user, email normalised and name trimmed',
    given: [],
    when: { type: 'Register', userId: 'u1', email: '  Ada@Example.COM ', name: ' Ada ', passwordHash: 'scrypt$h1' },
    then: [registered],
  },
  {
    name: 'register twice with the same user id',
    given: [registered],
    when: { type: 'Register', userId: 'u1', email: 'ada@example.com', name: 'Ada', passwordHash: 'scrypt$h1' },
    then: { error: 'ALREADY_EXISTS' },
  },
  {
    name: 'register with an email that is not one',
    given: [],
    when: { type: 'Register', userId: 'u1', email: 'nope', name: 'Ada', passwordHash: 'x' },
    then: { error: 'INVALID_EMAIL' },
  },
  {
    name: 'register with a blank name',
    given: [],
    when: { type: 'Register', userId: 'u1', email: 'a@b.c', name: '   ', passwordHash: 'x' },
    then: { error: 'INVALID_NAME' },
  },
  {
    name: 'change password',
    given: [registered],
    when: { type: 'ChangePassword', passwordHash: 'scrypt$h2' },
    then: [{ type: 'PasswordChanged', data: { passwordHash: 'scrypt$h2' } }],
  },
  {
    name: 'change password of an unknown user',
    given: [],
    when: { type: 'ChangePassword', passwordHash: 'scrypt$h2' },
    then: { error: 'NOT_FOUND' },
  },
  { name: 'grant ownership', given: [registered], when: { type: 'GrantOwnership', restaurantId: 'r1' }, then: [granted('r1')] },
  {
    name: 'grant ownership already held: no events (idempotent)',
    given: [registered, granted('r1')],
    when: { type: 'GrantOwnership', restaurantId: 'r1' },
    then: [],
  },
  {
    name: 'grant again after a revoke',
    given: [registered, granted('r1'), revoked('r1')],
    when: { type: 'GrantOwnership', restaurantId: 'r1' },
    then: [granted('r1')],
  },
  {
    name: 'grant ownership to an unknown user',
    given: [],
    when: { type: 'GrantOwnership', restaurantId: 'r1' },
    then: { error: 'NOT_FOUND' },
  },
  {
    name: 'revoke ownership',
    given: [registered, granted('r1'), granted('r2')],
    when: { type: 'RevokeOwnership', restaurantId: 'r1' },
    then: [revoked('r1')],
  },
  {
    name: 'revoke ownership not held: no events',
    given: [registered, granted('r2')],
    when: { type: 'RevokeOwnership', restaurantId: 'r1' },
    then: [],
  },
  {
    name: 'revoke twice: second is a no-op',
    given: [registered, granted('r1'), revoked('r1')],
    when: { type: 'RevokeOwnership', restaurantId: 'r1' },
    then: [],
  },
];

describe('User decider', () => {
  test.each(cases)('$name', ({ given, when, then }) => {
    const w = spec(userDecider).given(given).when(when);
    if (Array.isArray(then)) w.then(then);
    else w.thenThrows(then.error);
  });

  test.each([
    { name: 'fresh user is a customer', given: [registered], owned: [], roles: ['customer'] },
    { name: 'owner after a grant', given: [registered, granted('r1')], owned: ['r1'], roles: ['customer', 'owner'] },
    { name: 'duplicate grant events do not duplicate', given: [registered, granted('r1'), granted('r1')], owned: ['r1'], roles: ['customer', 'owner'] },
    { name: 'back to customer after the last revoke', given: [registered, granted('r1'), revoked('r1')], owned: [], roles: ['customer'] },
  ])('state: $name', ({ given, owned, roles }) => {
    const state = userFromEvents(given);
    if (state.status !== 'registered') throw new Error('expected a registered user');
    expect(state.ownedRestaurantIds).toEqual(owned);
    expect(rolesOf(state)).toEqual(roles);
  });

  test('password change replaces the hash in state', () => {
    const state = userFromEvents([registered, { type: 'PasswordChanged', data: { passwordHash: 'scrypt$h2' } }]);
    expect(state.status === 'registered' && state.passwordHash).toBe('scrypt$h2');
  });
});

describe('Email guard decider', () => {
  const claimed: EmailEvent = { type: 'EmailClaimed', data: { userId: 'u1' } };
  test.each([
    { name: 'claim a free email', given: [] as EmailEvent[], then: [{ type: 'EmailClaimed', data: { userId: 'u2' } }] as EmailEvent[] | string },
    { name: 'claim a taken email', given: [claimed], then: 'EMAIL_TAKEN' },
  ])('$name', ({ given, then }) => {
    let state = emailGuardDecider.initialState();
    for (const e of given) state = emailGuardDecider.evolve(state, e);
    const act = () => emailGuardDecider.decide({ type: 'ClaimEmail', email: 'A@b.c', userId: 'u2' }, state);
    if (typeof then === 'string') expect(act).toThrow(expect.objectContaining({ name: 'DomainError', code: then }));
    else expect(act()).toEqual(then);
  });

  test('owner lookup and stream id use the normalised email', () => {
    expect(emailOwner([])).toBeNull();
    expect(emailOwner([claimed, { type: 'EmailClaimed', data: { userId: 'u9' } }])).toBe('u1');
    expect(emailStreamId('  Ada@Example.com')).toBe('email-ada@example.com');
    expect(normaliseEmail(' X@Y.Z ')).toBe('x@y.z');
  });
});

describe('passwords', () => {
  const cheap = { N: 1024, r: 8, p: 1 };

  test('hash format, per-user salt, verify right and wrong', async () => {
    const a = await hashPassword('correct horse', cheap);
    const b = await hashPassword('correct horse', cheap);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
    expect(await verifyPassword('correct horse', 'scrypt$999$8$1$AAAA$AAAA')).toBe(false);
  });

  test('the default cost is what verification reads back', async () => {
    const h = await hashPassword('pw-12345678');
    expect(h.startsWith(`scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$`)).toBe(true);
    expect(await verifyPassword('pw-12345678', h)).toBe(true);
  });

  test('dummy verification always answers false', async () => {
    await expect(dummyVerify('anything', cheap)).resolves.toBe(false);
  });
});
