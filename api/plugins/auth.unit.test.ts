import Fastify, { type FastifyInstance } from 'fastify';
import { jose, type JWTVerifyGetKey } from '../auth/jose';
import { requireCaller } from '../context';
import { authPlugin } from './auth';

const issuer = 'https://auth.test';
const audience = 'reservations';

describe('auth plugin: the token verification cache', () => {
  let app: FastifyInstance;
  let sign: (claims: { exp: number; iat: number }) => Promise<string>;
  /** How many times a signature was checked (the key resolver is asked once per check). */
  let checks = 0;

  beforeAll(async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair('EdDSA');
    const local = jose.createLocalJWKSet({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
    const jwks: JWTVerifyGetKey = (header, token) => {
      checks++;
      return local(header, token);
    };
    sign = (claims) =>
      new jose.SignJWT({ email: 'ada@example.com', roles: ['customer'], ...claims })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
        .setSubject('u1')
        .setIssuer(issuer)
        .setAudience(audience)
        .sign(privateKey);
    app = Fastify();
    await app.register(authPlugin({ jwks, issuer, audience, clockToleranceSeconds: 5 }));
    app.get('/me', async (request) => requireCaller(request));
    await app.ready();
  });
  afterAll(() => app.close());

  const me = (token: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });
  const nowS = () => Math.floor(Date.now() / 1000);

  test('a token verified once is not checked again while it is valid', async () => {
    const token = await sign({ iat: nowS(), exp: nowS() + 3600 });
    checks = 0;
    for (let i = 0; i < 3; i++) expect((await me(token)).json()).toMatchObject({ userId: 'u1', email: 'ada@example.com' });
    expect(checks).toBe(1);
  });

  test('a token past its expiry but within the clock tolerance verifies, and is never kept', async () => {
    const token = await sign({ iat: nowS() - 60, exp: nowS() - 2 });
    checks = 0;
    expect((await me(token)).statusCode).toBe(200);
    expect((await me(token)).statusCode).toBe(200);
    expect(checks).toBe(2);
  });

  test('a token that does not verify is refused every time (nothing kept)', async () => {
    const token = await sign({ iat: nowS() - 60, exp: nowS() - 30 });
    checks = 0;
    for (let i = 0; i < 2; i++) {
      const res = await me(token);
      expect([res.statusCode, res.headers['content-type']]).toEqual([401, 'application/problem+json; charset=utf-8']);
    }
    expect(checks).toBe(2);
  });
});
