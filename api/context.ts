/**
 * What routes know about the caller. The auth plugin (`api/plugins/auth.ts`) verifies the Bearer token
 * against the JWKS and sets `request.caller`; routes call `requireCaller(request)`.
 */
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './problem';

export interface Caller {
  userId: string;
  email: string;
  /** The name the user signed up with (tokens issued before it was a claim have none). */
  name?: string;
  /** e.g. ['customer'] or ['customer', 'owner'] */
  roles: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export function requireCaller(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthorized('This route needs a Bearer token: sign in with POST /auth/login.');
  return request.caller;
}

/** Security requirement for OpenAPI route schemas. */
export const bearerSecurity = [{ bearerAuth: [] as string[] }];
