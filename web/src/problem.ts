/**
 * The API's errors as the app shows them: its problem details (RFC 9457) say what went wrong in words,
 * so the app shows their `title` and `detail` (and each field error) as they are, and only words of its
 * own when there is no problem body (a proxy's HTML page, the network down, a deadline passed).
 */
export interface Problem {
  status: number;
  title: string;
  detail?: string;
  code?: string;
  /** Schema errors, one per field. */
  errors?: Array<{ field?: string; message: string }>;
  /** A refused booking start: the nearest free ones. */
  alternatives?: string[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

const FALLBACK_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function strings(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  // alternatives are date-time strings, or objects with a start
  const out = v
    .map((a: unknown) => (typeof a === 'string' ? a : a && typeof a === 'object' && typeof (a as { start?: unknown }).start === 'string' ? (a as { start: string }).start : undefined))
    .filter((a): a is string => a !== undefined);
  return out.length ? out : undefined;
}

/** The problem an error response carries: its body when it is one, else one made from the status. */
export function toProblem(status: number, body: unknown, statusText = ''): Problem {
  if (body && typeof body === 'object' && typeof (body as { title?: unknown }).title === 'string') {
    const b = body as Record<string, unknown>;
    const p: Problem = { ...b, status: typeof b.status === 'number' ? b.status : status, title: b.title as string };
    if (typeof b.detail !== 'string') delete p.detail;
    if (Array.isArray(b.errors)) {
      p.errors = b.errors
        .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string')
        .map((e) => ({ ...(typeof e.field === 'string' ? { field: e.field } : {}), message: e.message as string }));
    } else delete p.errors;
    const alternatives = strings(b.alternatives);
    if (alternatives) p.alternatives = alternatives;
    else delete p.alternatives;
    return p;
  }
  return { status, title: FALLBACK_TITLES[status] ?? (statusText || `HTTP ${status}`), detail: `The server answered ${status} without details.` };
}

/** A failure before any answer: no network, or the request's deadline passed. */
export function networkProblem(err: unknown): Problem {
  const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { status: 0, title: 'No answer', detail: 'The server did not answer in time. Check your connection and try again.' };
  }
  return { status: 0, title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' };
}

/** Any thrown value as a problem to show. */
export function problemOf(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  return networkProblem(err);
}

/** The lines an alert shows: the title, the detail, then each field error. */
export function problemLines(p: Problem): string[] {
  const lines = [p.title];
  if (p.detail && p.detail !== p.title) lines.push(p.detail);
  for (const e of p.errors ?? []) if (!p.detail?.includes(e.message)) lines.push(e.message);
  return lines;
}
