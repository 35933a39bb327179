/** The seed's HTTP client: one JSON call with a deadline, and a bounded wait for a condition. */

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** Per call; the API answers a booking within its placement deadline (8 s by default). */
  timeoutMs?: number;
}

export const CALL_TIMEOUT_MS = 15_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ApiError extends Error {
  constructor(
    readonly what: string,
    readonly reply: Reply,
  ) {
    super(`${what}: HTTP ${reply.status} ${typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)}`);
  }
}

export function client(baseUrl: string) {
  const root = baseUrl.replace(/\/+$/, '');
  async function call<T = unknown>(path: string, opts: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${root}${path}`, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? CALL_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: unknown = text;
    if (/json/.test(res.headers.get('content-type') ?? '') && text) body = JSON.parse(text);
    return { status: res.status, body: body as T, headers: res.headers };
  }
  return { root, call };
}

export type Call = ReturnType<typeof client>['call'];

/**
 * Polls `check` until it returns a value (not undefined) or `timeoutMs` has passed; then throws with
 * `what` and the last error seen.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`${what} not within ${Math.round(timeoutMs / 1000)} s${why}`);
    }
    await sleep(intervalMs);
  }
}
