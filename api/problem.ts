/**
 * RFC 9457 problem details. Throw an `HttpProblem` anywhere in a route; the server's error handler
 * renders it as `application/problem+json`. Validation errors from route schemas become 400 problems.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Seconds a client is told to wait before retrying after a 503 (or polling after a 202). */
export const RETRY_AFTER_SECONDS = 2;

/** The status's reason phrase, the problem's default `title`. */
export const problemTitle = (status: number): string => TITLES[status] ?? 'Error';

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    detail: string,
    /**
     * Extension members, e.g. `{ alternatives: [...] }`, and optionally `type` / `title`. A
     * `retryAfterSeconds` member is also sent as the `Retry-After` header (429, 503).
     */
    readonly extra: Record<string, unknown> & { type?: string; title?: string; retryAfterSeconds?: number } = {},
  ) {
    super(detail);
  }

  /** Seconds a client should wait before retrying, when the problem says so. */
  get retryAfterSeconds(): number | undefined {
    return this.extra.retryAfterSeconds;
  }

  toBody(instance?: string): ProblemBody {
    const { type, title, ...ext } = this.extra;
    return {
      type: type ?? 'about:blank',
      title: title ?? problemTitle(this.status),
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...ext,
    };
  }
}

/** Sends the problem as `application/problem+json`, with `Retry-After` when it carries one. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: HttpProblem): FastifyReply {
  if (problem.retryAfterSeconds !== undefined) void reply.header('retry-after', String(problem.retryAfterSeconds));
  // the path only: a query string may carry what a client typed (a search, a cursor), and the instance names the resource
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem.toBody(request.url.split('?')[0]));
}

/** 503 for a dependency that is down or too slow; the client may retry after `retryAfterSeconds`. */
export const unavailable = (detail: string, retryAfterSeconds = RETRY_AFTER_SECONDS) => new HttpProblem(503, detail, { retryAfterSeconds });
export const tooManyRequests = (detail: string, retryAfterSeconds: number) => new HttpProblem(429, detail, { retryAfterSeconds });

export const badRequest = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(400, detail, extra);
export const unauthorized = (detail: string) => new HttpProblem(401, detail);
export const forbidden = (detail: string) => new HttpProblem(403, detail);
export const notFound = (detail: string) => new HttpProblem(404, detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(409, detail, extra);
export const preconditionFailed = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(412, detail, extra);
export const unprocessable = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(422, detail, extra);

/** The id the server registers `problemSchema` under. */
export const PROBLEM_SCHEMA_ID = 'Problem';
/** A route's error response (4xx/5xx): a problem body, documented as `application/problem+json` by the server. */
export const problemRef = { $ref: `${PROBLEM_SCHEMA_ID}#` } as const;
/** Error responses for these statuses, each a problem. */
export const problemResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, problemRef]));

/** JSON schema of a problem body, registered once by the server (`PROBLEM_SCHEMA_ID`). */
export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  required: ['type', 'title', 'status'],
  additionalProperties: true,
} as const;
