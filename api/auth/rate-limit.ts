/**
 * A small in-memory sliding-window limiter for login attempts, per IP and per email. In memory on purpose:
 * it slows down password guessing against one API process; several instances would each allow the limit
 * (acceptable for this scale; a shared store would be the next step). The clock is injected for tests.
 */

export interface LimitDecision {
  allowed: boolean;
  /** Whole seconds until the oldest counted attempt leaves the window (0 when allowed). */
  retryAfterSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt for `key` unless the key is already at its limit. */
  hit(key: string): LimitDecision {
    const t = this.now();
    this.sweep(t);
    const recent = (this.hits.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + this.windowMs - t) / 1000)) };
    }
    recent.push(t);
    this.hits.set(key, recent);
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Forgets idle keys now and then so the map does not grow with every address ever seen. */
  private sweep(t: number): void {
    if (t - this.lastSweep < this.windowMs) return;
    this.lastSweep = t;
    for (const [key, times] of this.hits) {
      if (times.every((at) => at <= t - this.windowMs)) this.hits.delete(key);
    }
  }
}

export interface LoginRateLimitOptions {
  perEmail?: number;
  perIp?: number;
  windowMs?: number;
  now?: () => number;
}

export interface LoginRateLimiter {
  /** Counts one login attempt; `allowed: false` means answer 429 with `Retry-After`. */
  check(ip: string, email: string): LimitDecision;
}

/** Defaults: 10 attempts per minute per email, 50 per minute per IP. */
export function loginRateLimiter(opts: LoginRateLimitOptions = {}): LoginRateLimiter {
  const windowMs = opts.windowMs ?? 60_000;
  const byEmail = new SlidingWindowLimiter(opts.perEmail ?? 10, windowMs, opts.now);
  const byIp = new SlidingWindowLimiter(opts.perIp ?? 50, windowMs, opts.now);
  return {
    check(ip, email) {
      const a = byIp.hit(ip);
      if (!a.allowed) return a;
      return byEmail.hit(email);
    },
  };
}
