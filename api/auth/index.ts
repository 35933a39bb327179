/**
 * The auth service's HTTP side in one call, for the app:
 *
 *   const auth = await createAuthService({ config, store: authStore, db: authDb });
 *   buildServer({ plugins: [auth.authPlugin, auth.routes, ...otherRoutes] });
 *
 * A process that serves other services but not this one verifies tokens alone, with the auth service's
 * published keys and no signing key of its own:
 *
 *   buildServer({ plugins: [remoteTokenVerifier(config), ...otherRoutes] });
 *
 * Its consumers (the users read model, ownership grants) are wired with every other consumer, once, in
 * projections/index.ts.
 */
import type { Db } from 'mongodb';
import type { JWTVerifyGetKey } from './jose';
import type { Config } from '../../platform/config';
import type { EventStore } from '../../eventstore/types';
import { usersReadModel } from '../../projections/users';
import { authPlugin, remoteJwks } from '../plugins/auth';
import type { RoutePlugin } from '../server';
import { loginRateLimiter, signUpRateLimiter } from './rate-limit';
import { authRoutes } from './routes';
import { tokensFromConfig } from './tokens';

export interface AuthService {
  routes: RoutePlugin;
  /** Register first: verifies Bearer tokens on every route and sets `request.caller`. */
  authPlugin: RoutePlugin;
}

export interface AuthServiceDeps {
  config: Pick<Config, 'auth' | 'dataDir'>;
  /** The auth service's event store (service 'auth'). */
  store: EventStore;
  /** The auth service's Mongo db (collections `users`, `restaurant_owners`). */
  db: Db;
  /** The service clock: token times and the rate limiters' windows (default: the system clock). */
  now?: () => Date;
}

export async function createAuthService(deps: AuthServiceDeps): Promise<AuthService> {
  const { config, store, db } = deps;
  // the signing key from config: the env's JWK, else `<dataDir>/auth/signing-key.json` (created on first start)
  const tokens = await tokensFromConfig(config, deps.now);
  const users = usersReadModel(db);
  // in the auth process the keys are local; AUTH_JWKS_URL lets a split deployment verify over HTTP
  const jwks: JWTVerifyGetKey = config.auth.jwksUrl ? remoteJwks(config.auth.jwksUrl) : tokens.localJwks();
  const limits = config.auth.limits;
  const now = deps.now ? () => deps.now!().getTime() : Date.now;
  return {
    routes: authRoutes({
      store,
      users,
      tokens,
      // limits and hashing cost come from config.auth alone
      rateLimiter: loginRateLimiter({
        failuresPerEmailAndIp: limits.loginFailuresPerAccountAndIp,
        failureWindowMs: limits.loginFailureWindowSeconds * 1000,
        perIp: limits.loginAttemptsPerIp,
        ipWindowMs: limits.loginIpWindowSeconds * 1000,
        now,
      }),
      signUpLimiter: signUpRateLimiter({ perIp: limits.signUpsPerIp, windowMs: limits.signUpWindowSeconds * 1000, now }),
      scrypt: config.auth.passwordHash,
    }),
    authPlugin: tokenVerifier(config, jwks),
  };
}

/** Token verification (`request.caller` on every route) with the given key resolver and config.auth's iss/aud. */
function tokenVerifier(config: Pick<Config, 'auth'>, jwks: JWTVerifyGetKey): RoutePlugin {
  return authPlugin({ jwks, issuer: config.auth.issuer, audience: config.auth.audience });
}

/**
 * Token verification for a process without the auth service: the auth service's public keys from
 * AUTH_JWKS_URL (fetched on first use, then cached). It never loads or creates a signing key, so a process
 * that only verifies cannot mint tokens.
 */
export function remoteTokenVerifier(config: Pick<Config, 'auth'>): RoutePlugin {
  const url = config.auth.jwksUrl;
  // config refuses API_SERVICES without auth when it is unset; this is for callers that build a config by hand
  if (!url) throw new Error('AUTH_JWKS_URL must be set to verify tokens without the auth service (its public keys are published there)');
  return tokenVerifier(config, remoteJwks(url));
}
