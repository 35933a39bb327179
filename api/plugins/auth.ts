/**
 * Bearer-token verification for every service. Register it first (`buildServer({ plugins: [authPlugin(...),
 * ...] })`): an `onRequest` hook verifies any `Authorization` header against the auth service's public keys
 * and sets `request.caller`. No header is not an error here — public routes stay public and protected
 * routes call `requireCaller(request)` — but a header that does not verify is always a 401: a client that
 * sent a token believes it is signed in and must be told it is not.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { type JWTPayload, type JWTVerifyGetKey, jose } from '../auth/jose';
import type { Caller } from '../context';
import { HttpProblem, sendProblem } from '../problem';
import type { RoutePlugin } from '../server';

export interface AuthPluginOptions {
  /** Key resolver: `tokens.localJwks()` inside the auth service, `remoteJwks(url)` anywhere else. */
  jwks: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Seconds of clock skew tolerated between the issuer and this service. */
  clockToleranceSeconds?: number;
}

/**
 * The public keys of the auth service over HTTP, cached and refetched on an unknown `kid` (key rotation),
 * at most once per cooldown. This is how a separately deployed service verifies tokens.
 */
export function remoteJwks(url: string | URL): JWTVerifyGetKey {
  return jose.createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
}

/** A 4xx/5xx for a token that did not verify; the detail says what the client should do. */
function explain(err: unknown): HttpProblem {
  if (err instanceof jose.errors.JWTExpired) return new HttpProblem(401, 'The access token has expired; sign in again with POST /auth/login.');
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new HttpProblem(401, 'The access token was issued for another audience (aud); it is not valid for this API.');
    if (err.claim === 'iss') return new HttpProblem(401, 'The access token was issued by an unknown issuer (iss).');
    if (err.claim === 'nbf' || err.claim === 'iat') return new HttpProblem(401, 'The access token is not valid yet; check the clock and sign in again.');
    return new HttpProblem(401, `The access token's "${err.claim}" claim is not valid.`);
  }
  if (err instanceof jose.errors.JWSSignatureVerificationFailed || err instanceof jose.errors.JWKSNoMatchingKey) {
    return new HttpProblem(401, 'The access token signature does not verify against our keys; sign in again to get a new token.');
  }
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return new HttpProblem(401, 'The access token must be signed with EdDSA.');
  if (err instanceof jose.errors.JWKSTimeout || err instanceof jose.errors.JWKSInvalid || err instanceof jose.errors.JWKSMultipleMatchingKeys) {
    return new HttpProblem(503, 'Cannot verify access tokens right now (the signing keys are unavailable); retry shortly.');
  }
  if (err instanceof jose.errors.JOSEError) return new HttpProblem(401, 'The access token is malformed: expected a signed JWT (header.payload.signature).');
  // a remote key fetch failing at the network level
  return new HttpProblem(503, 'Cannot verify access tokens right now (the signing keys are unavailable); retry shortly.');
}

function toCaller(payload: JWTPayload): Caller | null {
  const { sub, email, roles, name } = payload as JWTPayload & { email?: unknown; roles?: unknown; name?: unknown };
  if (typeof sub !== 'string' || sub === '' || typeof email !== 'string') return null;
  if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string')) return null;
  return { userId: sub, email, roles, ...(typeof name === 'string' && name !== '' ? { name } : {}) };
}

function reject(reply: FastifyReply, request: FastifyRequest, problem: HttpProblem): FastifyReply {
  // RFC 6750 §3: tell the client the token itself is the problem
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer error="invalid_token"');
  return sendProblem(reply, request, problem);
}

export function authPlugin(opts: AuthPluginOptions): RoutePlugin {
  const verifyOptions = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: ['EdDSA'],
    clockTolerance: opts.clockToleranceSeconds ?? 5,
    requiredClaims: ['sub', 'exp', 'iat'],
  };

  /**
   * Tokens this process verified in the last minute, by their text: a diner's next requests skip the
   * signature check (~0.3 ms of CPU each). An entry is used only before the token's own expiry, and for at
   * most a minute: a signing key withdrawn from the JWKS is honoured by this cache a minute longer than
   * the key set's own cache keeps it (cacheMaxAge above). At most 10,000 tokens (the least recently used go
   * first): the keys are whatever clients send, so the bound is what keeps a flood of distinct valid tokens
   * from growing it, and 10,000 covers every diner active within a minute on one process.
   */
  const recent = new LRUCache<string, JWTPayload>({ max: 10_000, ttl: 60_000, updateAgeOnGet: false });
  async function verified(token: string): Promise<JWTPayload> {
    const hit = recent.get(token);
    if (hit) return hit;
    const { payload } = await jose.jwtVerify(token, opts.jwks, verifyOptions);
    // until the token's expiry, if that comes within the minute (a token within the clock tolerance of its
    // expiry still verifies, but is not kept)
    const ttl = Math.min(60_000, (payload.exp ?? 0) * 1000 - Date.now());
    if (ttl > 0) recent.set(token, payload, { ttl });
    return payload;
  }

  const plugin: RoutePlugin = async (app) => {
    if (!app.hasRequestDecorator('caller')) app.decorateRequest('caller', undefined);

    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      if (header === undefined) return;
      const match = /^Bearer[ ]+([A-Za-z0-9_\-.=]+)\s*$/i.exec(header);
      if (!match) {
        return reject(reply, request, new HttpProblem(401, 'The Authorization header must be "Bearer <access token>".'));
      }
      let payload: JWTPayload;
      try {
        payload = await verified(match[1]!);
      } catch (err) {
        const problem = explain(err);
        if (problem.status >= 500) request.log.warn({ err }, 'token verification unavailable');
        return reject(reply, request, problem);
      }
      const caller = toCaller(payload);
      if (!caller) return reject(reply, request, new HttpProblem(401, 'The access token lacks the sub, email or roles claims.'));
      request.caller = caller;
    });
  };

  // What fastify-plugin does (it is not a dependency here): without the skip-override mark, Fastify
  // encapsulates the plugin and the hook would apply only to routes registered inside it — none. With it,
  // the hook and the `caller` decorator land on the parent, so every route registered after it is covered.
  const marked = plugin as RoutePlugin & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = 'auth';
  return plugin;
}
