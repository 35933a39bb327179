/**
 * What every route can answer, added to its schema as the route is registered (so the runtime and the
 * OpenAPI document say the same): the error statuses its declaration implies, each as
 * `application/problem+json`; and a route that declares Bearer security refuses an anonymous request before
 * its body is read.
 */
import type { RouteOptions, onRequestHookHandler } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemRef, problemTitle } from './problem';
import { requireCaller } from './context';

const isProblemRef = (s: unknown): boolean => typeof s === 'object' && s !== null && (s as { $ref?: unknown }).$ref === problemRef.$ref;

const retryAfterHeader = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying.' } } as const;

/** A problem response as OpenAPI wants it: `application/problem+json`, with the headers the status carries. */
function problemResponse(status: number, description: string): Record<string, unknown> {
  return {
    description,
    ...(status === 429 || status === 503 ? { headers: retryAfterHeader } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: problemRef.$ref } } },
  };
}

const COMMON_DESCRIPTIONS: Record<number, string> = {
  400: 'The request does not match the schema (problem details name the field).',
  401: 'No valid Bearer token.',
  413: 'The body is larger than this route accepts.',
  414: 'A path segment is too long.',
  415: 'The body is not application/json.',
  503: 'A dependency is down or too slow; retry after Retry-After seconds.',
};

export type RouteSchema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean;
  security?: unknown[];
  response?: Record<string, unknown>;
};

/** The statuses a route can give whatever its handler does, from what it declares. */
function commonStatuses(schema: RouteSchema): number[] {
  const statuses = [503];
  if (schema.body || schema.querystring || schema.params || schema.headers) statuses.push(400);
  if (schema.body) statuses.push(413, 415);
  if (schema.params) statuses.push(414);
  if (schema.security?.length) statuses.push(401);
  return statuses;
}

export function withCommonResponses(schema: RouteSchema): RouteSchema {
  const response: Record<string, unknown> = { ...(schema.response ?? {}) };
  for (const [code, value] of Object.entries(response)) {
    if (Number(code) >= 400 && isProblemRef(value)) response[code] = problemResponse(Number(code), COMMON_DESCRIPTIONS[Number(code)] ?? problemTitle(Number(code)));
  }
  for (const status of commonStatuses(schema)) {
    if (!(String(status) in response)) response[String(status)] = problemResponse(status, COMMON_DESCRIPTIONS[status]!);
  }
  return { ...schema, response };
}

/** A route that declares Bearer security refuses an anonymous request before parsing or validating its body. */
export const requireToken: onRequestHookHandler = async (request) => {
  requireCaller(request);
};

export function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

