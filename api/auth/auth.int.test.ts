/**
 * The auth service end to end over HTTP (app.inject), on FerretDB, with an in-memory event store whose
 * `subscribe` drives the users projection; the email-guard race also runs on the DynamoDB store (dynoxide).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { buildServer } from '../server';
import { requireCaller } from '../context';
import { loadConfig } from '../../platform/config';
import { connectMongo, type Mongo } from '../../platform/mongo';
import { awsClients, destroyAwsClients } from '../../platform/aws';
import { InMemoryEventStore } from '../../eventstore/memory';
import { DynamoDBEventStore } from '../../eventstore/dynamodb';
import { createEventTable } from '../../eventstore/dynamodb-table';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import { createAuthService, type AuthService } from './index';
import { createTokenService, loadSigningKey, tokensFromConfig, type TokenService } from './tokens';
import { authPlugin, remoteJwks } from '../plugins/auth';
import { jose } from './jose';
import { usersReadModel, type UsersReadModel } from '../../projections/users';
import { consumers } from '../../projections';

const prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const logLines: string[] = [];

let dataDir: string;
let mongo: Mongo;
let config: ReturnType<typeof loadConfig>;
/** Tokens signed with the key the service loaded (`<dataDir>/auth/signing-key.json`, made by the first harness). */
let tokens: TokenService;
/** The users read model the routes read. */
let users: UsersReadModel;

interface Harness {
  store: InMemoryEventStore;
  auth: AuthService;
  app: FastifyInstance;
  /** Resolves when the users projection has applied everything written so far. */
  settled(): Promise<void>;
}

/** The services' clock: the rate-limit tests move it past a window. */
let clockMs = Date.now();
let h: Harness;

async function harness(opts: { project?: boolean; perEmail?: number; signUpsPerIp?: number; trustProxy?: string } = {}): Promise<Harness> {
  const store = new InMemoryEventStore('auth');
  const auth = await createAuthService({
    // limits come from config, as in production: high unless the test is about them
    config: {
      ...config,
      auth: {
        ...config.auth,
        limits: { ...config.auth.limits, loginFailuresPerAccountAndIp: opts.perEmail ?? 1000, loginAttemptsPerIp: 5000, signUpsPerIp: opts.signUpsPerIp ?? 1000 },
      },
    },
    store,
    db: mongo.db,
    now: () => new Date(clockMs),
  });
  let chain: Promise<void> = Promise.resolve();
  const projectUser = authConsumers(store).users.handle;
  if (opts.project !== false) {
    store.subscribe((events) => {
      for (const e of events) chain = chain.then(() => projectUser(e));
    });
  }
  const app = await buildServer({
    plugins: [auth.authPlugin, auth.routes],
    docsUi: false,
    // TRUST_PROXY as createApp passes it (config.api.trustProxy)
    ...(opts.trustProxy === undefined ? {} : { trustProxy: loadConfig({ TRUST_PROXY: opts.trustProxy }).api.trustProxy }),
    logger: { level: 'trace', stream: { write: (line: string) => void logLines.push(line) } },
  });
  return { store, auth, app, settled: () => chain };
}

/** The auth consumers as the pipeline runs them (wired once, in projections/index.ts) over this store; the catalog and reservation stores stay empty. */
function authConsumers(store: EventStore) {
  const all = consumers({
    dbs: { auth: mongo.db, catalog: mongo.db, reservation: mongo.db },
    stores: { auth: store, catalog: new InMemoryEventStore('catalog'), reservation: new InMemoryEventStore('reservation') },
  });
  return { users: all['auth-users'], ownership: all['auth-ownership'] };
}

const uniqueEmail = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}@Example.com`;

async function register(app: FastifyInstance, email: string, password = 'correct horse battery', name = 'Ada Lovelace') {
  return app.inject({ method: 'POST', url: '/auth/register', payload: { email, password, name } });
}
async function login(app: FastifyInstance, email: string, password = 'correct horse battery', remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress });
}
async function me(app: FastifyInstance, token?: string, raw?: string) {
  const authorization = raw ?? (token ? `Bearer ${token}` : undefined);
  return app.inject({ method: 'GET', url: '/auth/me', headers: authorization ? { authorization } : {} });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'auth-test-'));
  // the lowest scrypt cost config accepts keeps sign-ups fast
  config = loadConfig({ ...process.env, DATA_DIR: dataDir, AUTH_PRIVATE_JWK: '', AUTH_JWKS_URL: '', AUTH_SCRYPT_N: '1024' });
  mongo = await connectMongo(config, `${prefix}_auth`);
  h = await harness();
  tokens = await tokensFromConfig(config);
  users = usersReadModel(mongo.db);
});

afterAll(async () => {
  await h?.app.close();
  await mongo?.db.dropDatabase().catch(() => undefined);
  await mongo?.client.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('register, login, me', () => {
  test('register -> login -> me, email normalised, customer role', async () => {
    const email = uniqueEmail('ada');
    const reg = await register(h.app, `  ${email} `);
    expect(reg.statusCode).toBe(201);
    const { userId } = reg.json<{ userId: string }>();

    const res = await login(h.app, email.toUpperCase());
    expect(res.statusCode).toBe(200);
    const body = res.json<{ accessToken: string; tokenType: string; expiresIn: number }>();
    expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: config.auth.tokenTtlSeconds });

    const claims = jose.decodeJwt(body.accessToken);
    expect(claims).toMatchObject({ sub: userId, email: email.toLowerCase(), roles: ['customer'], iss: config.auth.issuer, aud: config.auth.audience });
    expect(jose.decodeProtectedHeader(body.accessToken)).toMatchObject({ alg: 'EdDSA', kid: tokens.kid });

    const who = await me(h.app, body.accessToken);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toEqual({ userId, email: email.toLowerCase(), name: 'Ada Lovelace', ownedRestaurantIds: [] });
  });

  test('me right after register works before the read model has anything (stream fallback)', async () => {
    const lagging = await harness({ project: false });
    try {
      const email = uniqueEmail('lag');
      const { userId } = (await register(lagging.app, email)).json<{ userId: string }>();
      expect(await users.get(userId)).toBeNull();
      const token = (await login(lagging.app, email)).json<{ accessToken: string }>().accessToken;
      const who = await me(lagging.app, token);
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({ userId, name: 'Ada Lovelace', ownedRestaurantIds: [] });
    } finally {
      await lagging.app.close();
    }
  });

  test('the users projection fills the read model', async () => {
    const email = uniqueEmail('rm');
    const { userId } = (await register(h.app, email)).json<{ userId: string }>();
    await h.settled();
    expect(await users.get(userId)).toEqual({
      userId,
      email: email.toLowerCase(),
      name: 'Ada Lovelace',
      ownedRestaurantIds: [],
      version: 1,
    });
    const doc = await mongo.db.collection('users').findOne({ _id: userId as never });
    expect(Object.keys(doc ?? {})).not.toContain('passwordHash');
  });

  test('wrong password and unknown email get the same 401', async () => {
    const email = uniqueEmail('wrong');
    await register(h.app, email);
    const wrong = await login(h.app, email, 'not the password');
    const unknown = await login(h.app, uniqueEmail('nobody'), 'not the password');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().detail).toBe('Wrong email or password.');
  });

  test.each([
    ['a bad email', { email: 'not-an-email', password: 'long enough', name: 'X' }, 'email'],
    ['a short password', { email: 'a@b.co', password: 'short', name: 'X' }, 'password'],
    ['a too long password', { email: 'a@b.co', password: 'x'.repeat(201), name: 'X' }, 'password'],
    ['a blank name', { email: 'a@b.co', password: 'long enough', name: '   ' }, 'name'],
    ['an unknown field', { email: 'a@b.co', password: 'long enough', name: 'X', role: 'owner' }, 'role'],
    ['a missing field', { email: 'a@b.co', password: 'long enough' }, 'name'],
  ])('register with %s -> 400 naming the field', async (_what, payload, field) => {
    const res = await h.app.inject({ method: 'POST', url: '/auth/register', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain(field);
  });

  test('registering a taken email (any case) -> 409 EMAIL_TAKEN', async () => {
    const email = uniqueEmail('dup');
    expect((await register(h.app, email)).statusCode).toBe(201);
    const again = await register(h.app, email.toUpperCase());
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'EMAIL_TAKEN', status: 409 });
  });
});

describe('every bad token is a 401 with a clear detail', () => {
  let user: { userId: string; email: string; ownedRestaurantIds: string[] };
  let otherKey: TokenService;

  beforeAll(async () => {
    const email = uniqueEmail('tok');
    const { userId } = (await register(h.app, email)).json<{ userId: string }>();
    user = { userId, email: email.toLowerCase(), ownedRestaurantIds: [] };
    const key = await loadSigningKey({ dataDir: await mkdtemp(path.join(dataDir, 'other-')) });
    otherKey = createTokenService({ key, issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: 900 });
  });

  async function expect401(res: Awaited<ReturnType<typeof me>>, detail: RegExp, invalidToken = true) {
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toMatch(detail);
    if (invalidToken) expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  }

  test('missing token on /auth/me', async () => {
    await expect401(await me(h.app), /needs a Bearer token/, false);
  });
  test('not a Bearer header', async () => {
    await expect401(await me(h.app, undefined, 'Basic YWRhOnB3'), /Bearer <access token>/);
  });
  test('malformed', async () => {
    await expect401(await me(h.app, 'not.a.jwt'), /malformed/);
  });
  test('expired (issued with a past clock)', async () => {
    const anHourAgo = await tokensFromConfig(config, () => new Date(Date.now() - 3600_000)); // the service's key, a past clock
    const { accessToken } = await anHourAgo.issueToken(user);
    await expect401(await me(h.app, accessToken), /expired/);
  });
  test('wrongly signed (another key)', async () => {
    const { accessToken } = await otherKey.issueToken(user);
    await expect401(await me(h.app, accessToken), /signature/);
  });
  test('same kid, tampered payload', async () => {
    const { accessToken } = await tokens.issueToken(user);
    const [head, , sig] = accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...jose.decodeJwt(accessToken), roles: ['customer', 'owner'] })).toString('base64url');
    await expect401(await me(h.app, `${head}.${forged}.${sig}`), /signature/);
  });
  test('wrong audience', async () => {
    const key = await loadSigningKey({ dataDir: config.dataDir });
    const foreign = createTokenService({ key, issuer: config.auth.issuer, audience: 'some-other-api', ttlSeconds: 900 });
    await expect401(await me(h.app, (await foreign.issueToken(user)).accessToken), /audience/);
  });
  test('wrong issuer', async () => {
    const key = await loadSigningKey({ dataDir: config.dataDir });
    const foreign = createTokenService({ key, issuer: 'evil', audience: config.auth.audience, ttlSeconds: 900 });
    await expect401(await me(h.app, (await foreign.issueToken(user)).accessToken), /issuer/);
  });
  test('alg none is refused', async () => {
    const unsigned = new jose.UnsecuredJWT({ email: user.email, roles: ['owner'] })
      .setSubject(user.userId)
      .setIssuer(config.auth.issuer)
      .setAudience(config.auth.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    expect((await me(h.app, unsigned)).statusCode).toBe(401);
  });
  test('a bad token is refused even on a public route', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('signing keys', () => {
  test('the key file is created once, mode 0600, and reused', async () => {
    const file = path.join(config.dataDir, 'auth', 'signing-key.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadSigningKey({ dataDir: config.dataDir });
    expect(again.kid).toBe(tokens.kid);
  });

  test('a key given as a JWK in config wins over the file', async () => {
    const { privateKey } = await jose.generateKeyPair('EdDSA', { extractable: true });
    const jwk = await jose.exportJWK(privateKey);
    const fromEnv = await loadSigningKey({ dataDir: config.dataDir, privateJwk: JSON.stringify(jwk) });
    expect(fromEnv.kid).toBe(await jose.calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x! }));
    expect(fromEnv.kid).not.toBe(tokens.kid);
    await expect(loadSigningKey({ dataDir: config.dataDir, privateJwk: '{"kty":"RSA"}' })).rejects.toThrow(/Ed25519/);
  });

  test('JWKS publishes only the public key', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json<{ keys: Array<Record<string, unknown>> }>();
    expect(keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: tokens.kid, alg: 'EdDSA', use: 'sig' }]);
  });

  test('another service verifies tokens through remoteJwks against a running server', async () => {
    const served = await harness();
    const address = await served.app.listen({ port: 0, host: '127.0.0.1' });
    const other = await buildServer({
      docsUi: false,
      plugins: [
        authPlugin({ jwks: remoteJwks(`${address}/.well-known/jwks.json`), issuer: config.auth.issuer, audience: config.auth.audience }),
        async (app) => {
          app.get('/whoami', async (request) => requireCaller(request));
        },
      ],
    });
    try {
      const email = uniqueEmail('remote');
      const { userId } = (await register(served.app, email)).json<{ userId: string }>();
      const token = (await login(served.app, email)).json<{ accessToken: string }>().accessToken;
      const ok = await other.inject({ method: 'GET', url: '/whoami', headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ userId, email: email.toLowerCase(), name: expect.any(String), roles: ['customer'] });
      const forged = await otherKeyToken(userId, email);
      const bad = await other.inject({ method: 'GET', url: '/whoami', headers: { authorization: `Bearer ${forged}` } });
      expect(bad.statusCode).toBe(401);
      expect((await other.inject({ method: 'GET', url: '/whoami' })).statusCode).toBe(401);
    } finally {
      await other.close();
      await served.app.close();
    }
  });

  async function otherKeyToken(userId: string, email: string): Promise<string> {
    const key = await loadSigningKey({ dataDir: await mkdtemp(path.join(dataDir, 'forger-')) });
    const t = createTokenService({ key, issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: 60 });
    return (await t.issueToken({ userId, email, ownedRestaurantIds: ['r-stolen'] })).accessToken;
  }
});

describe('email uniqueness under concurrency', () => {
  async function race(app: FastifyInstance, store: EventStore) {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => register(app, i % 2 ? email : email.toUpperCase(), `password-${i}-long`, `Racer ${i}`)),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('EMAIL_TAKEN');
    const winner = results.find((r) => r.statusCode === 201)!.json<{ userId: string }>().userId;
    const guard = await store.readStream(`email-${email.toLowerCase()}`);
    expect(guard.map((e) => [e.type, e.data])).toEqual([['EmailClaimed', { userId: winner }]]);
    // the winner (and only the winner) can sign in
    const i = results.findIndex((r) => r.statusCode === 201);
    expect((await login(app, email, `password-${i}-long`)).statusCode).toBe(200);
  }

  test('10 concurrent registrations of one email: one 201, nine 409 (in-memory store)', async () => {
    await race(h.app, h.store);
    const users = new Set<string>();
    for await (const e of h.store.readAll()) if (e.type === 'UserRegistered') users.add(e.streamId);
    const claims: StoredEvent[] = [];
    for await (const e of h.store.readAll()) if (e.type === 'EmailClaimed') claims.push(e);
    expect(users.size).toBe(claims.length); // no user without its email claim
  });

  test('10 concurrent registrations of one email: one 201, nine 409 (DynamoDB on dynoxide)', async () => {
    const clients = awsClients(config);
    const tableName = `${prefix}-auth-events`;
    await createEventTable(clients.dynamodb, tableName);
    try {
      const store = new DynamoDBEventStore({ client: clients.dynamodb, tableName, service: 'auth' });
      const auth = await createAuthService({ config, store, db: mongo.db });
      const app = await buildServer({ plugins: [auth.authPlugin, auth.routes], docsUi: false });
      try {
        await race(app, store);
      } finally {
        await app.close();
      }
    } finally {
      await clients.dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      destroyAwsClients(clients);
    }
  }, 180_000); // generous: other suites share the local stack
});

describe('rate limits', () => {
  test('sign-in: the 4th failure in a row for one email from one address is 429 with Retry-After; the owner is not locked out', async () => {
    const limited = await harness({ perEmail: 3 });
    try {
      const email = uniqueEmail('rate');
      await register(limited.app, email);
      for (let i = 0; i < 3; i++) expect((await login(limited.app, email, 'wrong password', '10.0.0.66')).statusCode).toBe(401);
      const blocked = await login(limited.app, email.toUpperCase(), undefined, '10.0.0.66'); // right password, still blocked: same normalised email
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
      expect(blocked.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
      // the account's owner, from their own address, signs in: failures elsewhere cannot lock them out
      expect((await login(limited.app, email, undefined, '10.0.0.7')).statusCode).toBe(200);
      // and successful sign-ins never count: many in a row are fine
      for (let i = 0; i < 5; i++) expect((await login(limited.app, email, undefined, '10.0.0.7')).statusCode).toBe(200);
      // another email from the attacking address is not affected by that pair's failures
      expect((await login(limited.app, uniqueEmail('other'), undefined, '10.0.0.66')).statusCode).toBe(401);
      clockMs += 15 * 60_000 + 1000;
      expect((await login(limited.app, email, undefined, '10.0.0.66')).statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });

  test('sign-up: per address, 429 with Retry-After past the limit', async () => {
    const limited = await harness({ signUpsPerIp: 2 });
    try {
      expect((await register(limited.app, uniqueEmail('s1'))).statusCode).toBe(201);
      expect((await register(limited.app, uniqueEmail('s2'))).statusCode).toBe(201);
      const blocked = await register(limited.app, uniqueEmail('s3'));
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      clockMs += 10 * 60_000 + 1000;
      expect((await register(limited.app, uniqueEmail('s4'))).statusCode).toBe(201);
    } finally {
      await limited.app.close();
    }
  });
});

describe('rate limits behind a load balancer (TRUST_PROXY)', () => {
  const signUp = (app: FastifyInstance, forwardedFor?: string) =>
    app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: uniqueEmail('xff'), password: 'correct horse battery', name: 'Ada Lovelace' },
      remoteAddress: '127.0.0.1',
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    });

  test('with the balancer trusted, each forwarded client address has its own sign-up limit', async () => {
    const limited = await harness({ signUpsPerIp: 1, trustProxy: '127.0.0.1' });
    try {
      expect((await signUp(limited.app, '203.0.113.9')).statusCode).toBe(201);
      expect((await signUp(limited.app, '203.0.113.9')).statusCode).toBe(429);
      // another client behind the same balancer is not limited by the first one's sign-ups
      expect((await signUp(limited.app, '198.51.100.20')).statusCode).toBe(201);
      expect((await signUp(limited.app, '198.51.100.20')).statusCode).toBe(429);
    } finally {
      await limited.app.close();
    }
  });

  test('without TRUST_PROXY, X-Forwarded-For is ignored: the peer is the client (one limit)', async () => {
    const limited = await harness({ signUpsPerIp: 1, trustProxy: '' });
    try {
      expect((await signUp(limited.app, '203.0.113.9')).statusCode).toBe(201);
      expect((await signUp(limited.app, '198.51.100.20')).statusCode).toBe(429);
    } finally {
      await limited.app.close();
    }
  });
});

describe('ownership from catalog events', () => {
  const catalogEvent = (type: string, data: Record<string, unknown>, version: number, eventId = `cat-${randomBytes(6).toString('hex')}`): StoredEvent => ({
    type,
    data,
    eventId,
    streamId: `restaurant-${String(data.restaurantId)}`,
    version,
    service: 'catalog',
    metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
  });

  test('RestaurantCreated grants (once, even redelivered), shows in /auth/me and the next token; RestaurantClosed revokes', async () => {
    const email = uniqueEmail('owner');
    const { userId } = (await register(h.app, email)).json<{ userId: string }>();
    const restaurantId = `r-${randomBytes(4).toString('hex')}`;
    const created = catalogEvent('RestaurantCreated', { restaurantId, ownerId: userId, name: 'Chez Ada', cuisine: 'french' }, 1);
    const ownership = authConsumers(h.store).ownership.handle;

    await ownership(created);
    await ownership(created); // redelivery
    await ownership(catalogEvent('DishAdded', { restaurantId, dishId: 'd1' }, 2)); // ignored
    await h.settled();

    const stream = await h.store.readStream(`user-${userId}`);
    expect(stream.map((e) => e.type)).toEqual(['UserRegistered', 'RestaurantOwnershipGranted']);
    expect(stream[1]).toMatchObject({ eventId: `${created.eventId}:granted`, metadata: { causationId: created.eventId } });

    const token = (await login(h.app, email)).json<{ accessToken: string }>().accessToken;
    expect(jose.decodeJwt(token).roles).toEqual(['customer', 'owner']);
    expect((await me(h.app, token)).json().ownedRestaurantIds).toEqual([restaurantId]);

    const closed = catalogEvent('RestaurantClosed', { restaurantId }, 3);
    await ownership(closed);
    await ownership(created); // a late redelivery of the creation must not re-grant
    await ownership(closed);
    await h.settled();
    expect((await h.store.readStream(`user-${userId}`)).map((e) => e.type)).toEqual([
      'UserRegistered',
      'RestaurantOwnershipGranted',
      'RestaurantOwnershipRevoked',
    ]);
    expect((await me(h.app, token)).json().ownedRestaurantIds).toEqual([]);
  });

  test('an unknown owner or a never-created restaurant is skipped, not retried forever', async () => {
    const ownership = authConsumers(h.store).ownership.handle;
    await expect(ownership(catalogEvent('RestaurantCreated', { restaurantId: 'r-ghost', ownerId: 'no-such-user' }, 1))).resolves.toBeUndefined();
    await expect(ownership(catalogEvent('RestaurantClosed', { restaurantId: 'r-never' }, 9))).resolves.toBeUndefined();
  });
});

describe('secrets never leak', () => {
  test('no password or hash in logs (trace level) or responses', async () => {
    const email = uniqueEmail('secret');
    const password = `Sup3r-secret-${randomBytes(6).toString('hex')}`;
    logLines.length = 0;
    const responses = [
      await register(h.app, email, password),
      await login(h.app, email, password),
      await login(h.app, email, `${password}-wrong`),
      await h.app.inject({ method: 'POST', url: '/auth/register', payload: { email, password, name: 'Dup' } }),
      await h.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'bad', password, name: 'X', extra: 1 } }),
    ];
    const token = responses[1]!.json<{ accessToken: string }>().accessToken;
    responses.push(await me(h.app, token));

    const { userId } = responses[0]!.json<{ userId: string }>();
    const [registered] = await h.store.readStream(`user-${userId}`);
    const hash = (registered!.data as { passwordHash: string }).passwordHash;
    const salt = hash.split('$')[4]!;

    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('\n');
    for (const secret of [password, hash, salt, hash.split('$')[5]!]) expect(logs).not.toContain(secret);
    for (const r of responses) {
      expect(r.body).not.toContain(password);
      expect(r.body).not.toContain(salt);
      expect(r.body).not.toMatch(/passwordHash|scrypt\$/);
    }
  });
});
