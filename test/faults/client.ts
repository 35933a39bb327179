/**
 * The fault suite's HTTP client, behaving like a real one: on a network error, a timeout or any 5xx it
 * retries the SAME request (same body, same headers, so the same Idempotency-Key) on the next API process,
 * with backoff, until a bounded deadline. It counts what it saw in `stats`.
 */
import { sleep } from '../polling';

export interface Stats {
  requests: number;
  /** Responses by status, plus `network` and `timeout`. */
  byStatus: Record<string, number>;
  retries: number;
  /** Slowest request and what it was. */
  slowest: { ms: number; what: string };
  /** Requests that took longer than `slowMs` (answered or not), in order. */
  slow: Array<{ at: number; ms: number; what: string; outcome: string }>;
  /** Requests with no answer within the request timeout: the client gave up on them (and retried). */
  timeouts: Array<{ at: number; what: string }>;
  catalogEdits: number;
  catalogEditFailures: string[];
}

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are inspected, not trusted
  body: any;
}

/** fetch's abort is a DOMException from Node's realm, not an `instanceof Error` inside jest's sandbox: go by name. */
const isTimeout = (err: unknown) => ['TimeoutError', 'AbortError'].includes((err as { name?: unknown } | null)?.name as string);
export const jitter = (ms: number) => Math.round(ms * (0.5 + Math.random()));

export interface ClientOptions {
  apis: () => string[];
  /** Per request; an abort counts as a failure to retry. */
  requestTimeoutMs: number;
  /** How long one call keeps retrying before it throws. */
  callDeadlineMs: number;
  /** Requests slower than this are listed in `stats.slow`. */
  slowMs: number;
}

export class RetryingClient {
  /** Requests in flight that drive a workflow (POST /reservations and decisions). */
  private writes = 0;
  private rr = 0;

  constructor(
    private readonly o: ClientOptions,
    readonly stats: Stats,
  ) {}

  /** Requests driving a workflow that are waiting for their answer right now. */
  writesInFlight(): number {
    return this.writes;
  }

  private count(key: string): void {
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }

  private async once(api: string, method: string, pathname: string, token: string | undefined, body: unknown, headers: Record<string, string>): Promise<Answer> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    if (token) h.authorization = `Bearer ${token}`;
    const t0 = Date.now();
    this.stats.requests++;
    const write = method === 'POST' && pathname.startsWith('/reservations');
    if (write) this.writes++;
    let outcome = 'network error';
    try {
      const res = await fetch(`${api}${pathname}`, {
        method,
        headers: h,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = text;
      if (/json/.test(res.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
      this.count(String(res.status));
      outcome = String(res.status);
      return { status: res.status, body: parsed };
    } catch (err) {
      if (isTimeout(err)) {
        outcome = 'no answer';
        this.stats.timeouts.push({ at: t0, what: `${method} ${pathname} on ${api}` });
      }
      throw err;
    } finally {
      if (write) this.writes--;
      const ms = Date.now() - t0;
      if (ms > this.stats.slowest.ms) this.stats.slowest = { ms, what: `${method} ${pathname} on ${api}` };
      if (ms > this.o.slowMs) this.stats.slow.push({ at: t0, ms, what: `${method} ${pathname} on ${api}`, outcome });
    }
  }

  /**
   * One logical request, retried as a real client would: network errors, timeouts and 5xx are retried on
   * the next API with the same body and headers; anything else is the answer. Throws when the deadline
   * passes, with the last thing seen.
   */
  async call(method: string, pathname: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const deadline = Date.now() + this.o.callDeadlineMs;
    let backoff = 250;
    let last = '';
    for (;;) {
      const apis = this.o.apis();
      const api = apis[this.rr++ % apis.length]!;
      try {
        const a = await this.once(api, method, pathname, opts.token, opts.body, opts.headers ?? {});
        if (a.status < 500) return a;
        last = `${a.status} ${JSON.stringify(a.body).slice(0, 300)}`;
      } catch (err) {
        const timeout = isTimeout(err);
        this.count(timeout ? 'timeout' : 'network');
        last = timeout ? `no answer within ${this.o.requestTimeoutMs} ms` : `network error: ${err instanceof Error ? (err.cause as Error | undefined)?.message ?? err.message : String(err)}`;
      }
      if (Date.now() + backoff > deadline) throw new Error(`${method} ${pathname}: gave up after ${this.o.callDeadlineMs / 1000} s; last: ${last}`);
      this.stats.retries++;
      await sleep(jitter(backoff));
      backoff = Math.min(2000, backoff * 2);
    }
  }
}
