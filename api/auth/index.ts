/**
 * The auth service in one call, for the app and the workers:
 *
 *   const auth = await createAuthService({ config, store: authStore, db: authDb });
 *   buildServer({ plugins: [auth.authPlugin, auth.routes, ...otherRoutes] });
 *   consumers: { 'auth-users': auth.consumers['auth-users'], 'auth-ownership': auth.consumers['auth-ownership'] }
 */
import type { Db } from 'mongodb';
import type { JWTVerifyGetKey } from './jose';
import type { Config } from '../../platform/config';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import type { ScryptParams } from '../../domain/auth/passwords';
import { type OwnershipLogger, ownershipConsumer } from '../../projections/ownership';
import { type UsersProjection, usersProjection } from '../../projections/users';
import { authPlugin, remoteJwks } from '../plugins/auth';
import type { RoutePlugin } from '../server';
import { type LoginRateLimiter, type SignUpRateLimiter, loginRateLimiter, signUpRateLimiter } from './rate-limit';
import { authRoutes } from './routes';
import { type TokenService, tokensFromConfig } from './tokens';

export type EventHandler = (event: StoredEvent) => Promise<void>;

export interface AuthService {
  routes: RoutePlugin;
  /** Register first: verifies Bearer tokens on every route and sets `request.caller`. */
  authPlugin: RoutePlugin;
  consumers: { 'auth-users': EventHandler; 'auth-ownership': EventHandler };
  tokens: TokenService;
  users: UsersProjection;
}

export interface AuthServiceDeps {
  config: Pick<Config, 'auth' | 'dataDir'>;
  /** The auth service's event store (service 'auth'). */
  store: EventStore;
  /** The auth service's Mongo db (collections `users`, `restaurant_owners`). */
  db: Db;
  now?: () => Date;
  logger?: OwnershipLogger;
  rateLimiter?: LoginRateLimiter;
  signUpLimiter?: SignUpRateLimiter;
  scrypt?: ScryptParams;
  /** Pre-built tokens (tests); by default from config (env key or `<dataDir>/auth/signing-key.json`). */
  tokens?: TokenService;
}

export async function createAuthService(deps: AuthServiceDeps): Promise<AuthService> {
  const { config, store, db } = deps;
  const tokens = deps.tokens ?? (await tokensFromConfig(config, deps.now));
  const users = usersProjection(db);
  // in the auth process the keys are local; AUTH_JWKS_URL lets a split deployment verify over HTTP
  const jwks: JWTVerifyGetKey = config.auth.jwksUrl ? remoteJwks(config.auth.jwksUrl) : tokens.localJwks();
  const limits = config.auth.limits;
  const now = deps.now ? () => deps.now!().getTime() : Date.now;
  return {
    routes: authRoutes({
      store,
      users: users.readModel,
      tokens,
      rateLimiter:
        deps.rateLimiter ??
        loginRateLimiter({
          failuresPerEmailAndIp: limits.loginFailuresPerAccountAndIp,
          failureWindowMs: limits.loginFailureWindowSeconds * 1000,
          perIp: limits.loginAttemptsPerIp,
          ipWindowMs: limits.loginIpWindowSeconds * 1000,
          now,
        }),
      signUpLimiter: deps.signUpLimiter ?? signUpRateLimiter({ perIp: limits.signUpsPerIp, windowMs: limits.signUpWindowSeconds * 1000, now }),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.scrypt ? { scrypt: deps.scrypt } : {}),
    }),
    authPlugin: authPlugin({ jwks, issuer: config.auth.issuer, audience: config.auth.audience }),
    consumers: {
      'auth-users': users.handle,
      'auth-ownership': ownershipConsumer({ store, db, ...(deps.logger ? { logger: deps.logger } : {}) }),
    },
    tokens,
    users,
  };
}

export { authRoutes } from './routes';
export { authPlugin, remoteJwks } from '../plugins/auth';
export { createTokenService, loadSigningKey, tokensFromConfig } from './tokens';
export type { TokenService } from './tokens';
