/**
 * Access tokens: short-lived JWTs signed with Ed25519 (EdDSA). Only the auth service holds the private
 * key; every other service verifies with the public key set from `GET /.well-known/jwks.json`, so a
 * leaked verifier cannot mint tokens. The key id (`kid`) is the RFC 7638 thumbprint of the public key,
 * which makes rotation a matter of publishing two keys for a while.
 *
 * Key source, in order: `config.auth.privateJwk` (a JWK JSON string, for deployments that keep secrets
 * elsewhere), else `<dataDir>/auth/signing-key.json`, created (mode 0600) on first start.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CryptoKey, type JSONWebKeySet, type JWK, type JWTVerifyGetKey, jose } from './jose';
import type { Config } from '../../platform/config';
import { rolesOf } from '../../domain/auth/user';

export const TOKEN_ALG = 'EdDSA';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** Public half only (no `d`), with `kid`, `alg` and `use`. */
  publicJwk: JWK;
}

export interface TokenSubject {
  userId: string;
  email: string;
  /** The name the user signed up with (the `name` claim: e.g. the diner's name on a reservation). */
  name?: string;
  ownedRestaurantIds: readonly string[];
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds. */
  expiresIn: number;
}

export interface TokenService {
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string;
  /**
   * Roles are a snapshot taken at sign-in: a user granted a restaurant sees `owner` in their next token
   * (at most `tokenTtlSeconds` later). Issued at the service clock's time.
   */
  issueToken(user: TokenSubject): Promise<IssuedToken>;
  /** The public key set, as served at `/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet;
  /** A verifier key resolver for `authPlugin` in the same process (no HTTP round trip). */
  localJwks(): JWTVerifyGetKey;
}

function isPrivateEd25519(jwk: unknown): jwk is JWK & { d: string; x: string } {
  const j = jwk as Partial<JWK> | null;
  return !!j && j.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.d === 'string' && typeof j.x === 'string';
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
  if (!isPrivateEd25519(jwk)) throw new Error('the auth signing key must be an Ed25519 private JWK (kty OKP, crv Ed25519, with d and x)');
  const { kty, crv, x } = jwk;
  const base = { kty, crv, x } as JWK;
  const kid = await jose.calculateJwkThumbprint(base);
  const privateKey = (await jose.importJWK({ ...jwk, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey;
  return { kid, privateKey, publicJwk: { ...base, kid, alg: TOKEN_ALG, use: 'sig' } };
}

export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await jose.generateKeyPair(TOKEN_ALG, { extractable: true });
  return jose.exportJWK(privateKey);
}

/**
 * The signing key from `privateJwk` (JSON string) or the key file under `dataDir`, created when absent.
 * The file is written with the exclusive flag: two processes starting together end up with one key.
 */
export async function loadSigningKey(opts: { dataDir: string; privateJwk?: string | undefined }): Promise<SigningKey> {
  if (opts.privateJwk) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(opts.privateJwk);
    } catch {
      throw new Error('AUTH_PRIVATE_JWK is not valid JSON: expected an Ed25519 private JWK');
    }
    return fromPrivateJwk(parsed as JWK);
  }
  const dir = path.join(opts.dataDir, 'auth');
  const file = path.join(dir, 'signing-key.json');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return await fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot use the signing key in ${file}: ${(err as Error).message}`);
  }
  const jwk = await generateSigningJwk();
  try {
    await writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    return await fromPrivateJwk(jwk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
  }
}

export function createTokenService(opts: {
  key: SigningKey;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => Date;
}): TokenService {
  const { key, issuer, audience, ttlSeconds } = opts;
  const clock = opts.now ?? (() => new Date());
  const set: JSONWebKeySet = { keys: [key.publicJwk] };
  const local = jose.createLocalJWKSet(set);
  return {
    kid: key.kid,
    issuer,
    audience,
    async issueToken(user) {
      const iat = Math.floor(clock().getTime() / 1000);
      const accessToken = await new jose.SignJWT({ email: user.email, ...(user.name ? { name: user.name } : {}), roles: rolesOf(user) })
        .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(user.userId)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key.privateKey);
      return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds };
    },
    jwks: () => structuredClone(set),
    localJwks: () => local,
  };
}

/** The token service as configured: key from env or the data dir, iss/aud/ttl from `config.auth`. */
export async function tokensFromConfig(config: Pick<Config, 'auth' | 'dataDir'>, now?: () => Date): Promise<TokenService> {
  const key = await loadSigningKey({ dataDir: config.dataDir, privateJwk: config.auth.privateJwk });
  return createTokenService({
    key,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    ttlSeconds: config.auth.tokenTtlSeconds,
    ...(now ? { now } : {}),
  });
}
