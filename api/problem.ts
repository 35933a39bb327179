/**
 * RFC 9457 problem details. Throw an `HttpProblem` anywhere in a route; the server's error handler
 * renders it as `application/problem+json`. Validation errors from route schemas become 400 problems.
 */
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
  409: 'Conflict',
  412: 'Precondition Failed',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    detail: string,
    /** Extension members, e.g. `{ alternatives: [...] }`, and optionally `type` / `title`. */
    readonly extra: Record<string, unknown> & { type?: string; title?: string } = {},
  ) {
    super(detail);
  }

  toBody(instance?: string): ProblemBody {
    const { type, title, ...ext } = this.extra;
    return {
      type: type ?? 'about:blank',
      title: title ?? TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...ext,
    };
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(400, detail, extra);
export const unauthorized = (detail: string) => new HttpProblem(401, detail);
export const forbidden = (detail: string) => new HttpProblem(403, detail);
export const notFound = (detail: string) => new HttpProblem(404, detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(409, detail, extra);
export const preconditionFailed = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(412, detail, extra);
export const unprocessable = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(422, detail, extra);

/** JSON schema of a problem body, for route `response` schemas (4xx/5xx). */
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
