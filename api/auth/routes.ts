/**
 * Auth HTTP routes: register, login (rate limited), who-am-I, and the public signing keys.
 * Passwords and hashes never leave this module: request bodies are not logged by Fastify, response
 * schemas list only public fields, and errors never echo input values.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventStore } from '../../eventstore/types';
import type { ScryptParams } from '../../domain/auth/passwords';
import { normaliseEmail } from '../../domain/auth/user';
import type { UsersReadModel } from '../../projections/users';
import { bearerSecurity, requireCaller } from '../context';
import { HttpProblem, notFound, problemRef, sendProblem, tooManyRequests } from '../problem';
import type { RoutePlugin } from '../server';
import { accounts } from './accounts';
import type { LoginRateLimiter, SignUpRateLimiter } from './rate-limit';
import type { TokenService } from './tokens';

export interface AuthRoutesDeps {
  store: EventStore;
  users: UsersReadModel;
  tokens: TokenService;
  rateLimiter: LoginRateLimiter;
  signUpLimiter: SignUpRateLimiter;
  /** Cost of new password hashes (config.auth.passwordHash). */
  scrypt: ScryptParams;
}

const email = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;

const registerSchema = {
  tags: ['auth'],
  summary: 'Create an account',
  description: 'Every account is a customer; it becomes an owner when a restaurant it created is recorded.',
  body: {
    type: 'object',
    required: ['email', 'password', 'name'],
    additionalProperties: false,
    properties: {
      email,
      password: { type: 'string', minLength: 8, maxLength: 200 },
      name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
    },
  },
  response: {
    201: { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: { type: 'string' } } },
    400: problemRef,
    409: problemRef,
    429: problemRef,
  },
} as const;

const loginSchema = {
  tags: ['auth'],
  summary: 'Sign in: exchange email and password for a short-lived access token',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', minLength: 1, maxLength: 254 },
      password: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['accessToken', 'tokenType', 'expiresIn'],
      additionalProperties: false,
      properties: {
        accessToken: { type: 'string' },
        tokenType: { type: 'string', enum: ['Bearer'] },
        expiresIn: { type: 'integer', description: 'seconds' },
      },
    },
    400: problemRef,
    401: problemRef,
    429: problemRef,
  },
} as const;

const meSchema = {
  tags: ['auth'],
  summary: 'The signed-in user',
  security: bearerSecurity,
  response: {
    200: {
      type: 'object',
      required: ['userId', 'email', 'name', 'ownedRestaurantIds'],
      additionalProperties: false,
      properties: {
        userId: { type: 'string' },
        email: { type: 'string' },
        name: { type: 'string' },
        ownedRestaurantIds: { type: 'array', items: { type: 'string' } },
      },
    },
    401: problemRef,
    404: problemRef,
  },
} as const;

const jwksSchema = {
  tags: ['auth'],
  summary: 'Public keys that verify access tokens (JWKS, RFC 7517)',
  response: {
    200: {
      type: 'object',
      required: ['keys'],
      properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
    },
  },
} as const;

/** Clients paste emails with stray blanks; trim before the schema's format check rather than refuse them. */
async function trimEmail(request: FastifyRequest): Promise<void> {
  const body = request.body as { email?: unknown } | null;
  if (body && typeof body === 'object' && typeof body.email === 'string') body.email = body.email.trim();
}

/** Both auth bodies are a few hundred bytes; a larger one is refused before it is parsed. */
const AUTH_BODY_LIMIT = 4 * 1024;

function tooMany(reply: FastifyReply, request: FastifyRequest, what: string, retryAfterSeconds: number): FastifyReply {
  return sendProblem(reply, request, tooManyRequests(`Too many ${what} from this address; wait ${retryAfterSeconds} s and try again.`, retryAfterSeconds));
}

export function authRoutes(deps: AuthRoutesDeps): RoutePlugin {
  const { store, users, tokens, rateLimiter: limiter, signUpLimiter: signUps } = deps;
  const accts = accounts(store, { scrypt: deps.scrypt });

  return async (app) => {
    app.post<{ Body: { email: string; password: string; name: string } }>('/auth/register', { schema: registerSchema, preValidation: trimEmail, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
      const limit = signUps.check(request.ip);
      if (!limit.allowed) return tooMany(reply, request, 'sign-ups', limit.retryAfterSeconds);
      const { userId } = await accts.register(request.body, { correlationId: request.id });
      return reply.status(201).send({ userId });
    });

    app.post<{ Body: { email: string; password: string } }>('/auth/login', { schema: loginSchema, preValidation: trimEmail, bodyLimit: AUTH_BODY_LIMIT }, async (request, reply) => {
      const { email, password } = request.body;
      const account = normaliseEmail(email);
      const limit = limiter.check(request.ip, account);
      if (!limit.allowed) return tooMany(reply, request, 'sign-in attempts', limit.retryAfterSeconds);
      const user = await accts.authenticate(email, password);
      // one answer for "no such email" and "wrong password": the API does not confirm who has an account
      if (!user) {
        limiter.failed(request.ip, account);
        throw new HttpProblem(401, 'Wrong email or password.');
      }
      limiter.succeeded(request.ip, account);
      return tokens.issueToken(user);
    });

    app.get('/auth/me', { schema: meSchema }, async (request) => {
      const caller = requireCaller(request);
      const view = await users.get(caller.userId);
      if (view) return { userId: view.userId, email: view.email, name: view.name, ownedRestaurantIds: view.ownedRestaurantIds };
      // just registered: the read model has not caught up, the stream has the truth
      const user = await accts.load(caller.userId);
      if (!user) throw notFound('This account no longer exists.');
      return { userId: user.userId, email: user.email, name: user.name, ownedRestaurantIds: user.ownedRestaurantIds };
    });

    app.get('/.well-known/jwks.json', { schema: jwksSchema }, async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return tokens.jwks();
    });
  };
}
