/**
 * Small in-memory sliding-window limiters for sign-in and sign-up. In memory on purpose: they slow down
 * password guessing and mass sign-ups against one API process; several instances would each allow the
 * limit (acceptable for this scale; a shared store would be the next step). The clock is injected (the service clock).
 *
 * Sign-in counts in two ways, so that nobody can lock someone else out:
 * - failed attempts per (email, IP): guessing one account's password from one address is slowed down, but
 *   failures from an attacker's address never block the owner signing in from theirs;
 * - all attempts per IP: one address cannot spray guesses over many accounts.
 * Counting only failures per account (never attempts, never across addresses) is what makes a victim's
 * lockout impossible; the price is that guesses spread over many addresses are limited per address only.
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
    const decision = this.peek(key);
    if (decision.allowed) this.record(key);
    return decision;
  }

  /** Whether `key` is below its limit, without counting anything. */
  peek(key: string): LimitDecision {
    const t = this.now();
    this.sweep(t);
    const recent = this.recent(key, t);
    if (recent.length >= this.limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0]! + this.windowMs - t) / 1000)) };
    }
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Counts one event for `key` (a failure, say), whatever the limit. */
  record(key: string): void {
    const t = this.now();
    const recent = this.recent(key, t);
    recent.push(t);
    // the oldest entries beyond the limit can never matter again; keep the list bounded
    this.hits.set(key, recent.length > this.limit ? recent.slice(-this.limit) : recent);
  }

  /** Forgets `key` (a successful sign-in clears that account's failures from that address). */
  clear(key: string): void {
    this.hits.delete(key);
  }

  private recent(key: string, t: number): number[] {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (recent.length > 0) this.hits.set(key, recent);
    else this.hits.delete(key);
    return recent;
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
  /** Failed sign-ins per (email, IP) within `failureWindowMs`; default 10. */
  failuresPerEmailAndIp?: number;
  /** Default 15 minutes. */
  failureWindowMs?: number;
  /** Sign-in attempts per IP within `ipWindowMs`, whatever the outcome; default 50. */
  perIp?: number;
  /** Default 1 minute. */
  ipWindowMs?: number;
  now?: () => number;
}

export interface LoginRateLimiter {
  /** Before checking the password: counts the attempt for the IP; `allowed: false` means 429 + `Retry-After`. */
  check(ip: string, email: string): LimitDecision;
  /** The password was wrong (or the account unknown). */
  failed(ip: string, email: string): void;
  /** Signed in: that address's failures for that account are forgotten. */
  succeeded(ip: string, email: string): void;
}

export function loginRateLimiter(opts: LoginRateLimitOptions = {}): LoginRateLimiter {
  const failures = new SlidingWindowLimiter(opts.failuresPerEmailAndIp ?? 10, opts.failureWindowMs ?? 15 * 60_000, opts.now);
  const byIp = new SlidingWindowLimiter(opts.perIp ?? 50, opts.ipWindowMs ?? 60_000, opts.now);
  // JSON keeps the pair unambiguous whatever characters an email holds
  const key = (ip: string, email: string) => JSON.stringify([ip, email]);
  return {
    check(ip, email) {
      const perAccount = failures.peek(key(ip, email));
      if (!perAccount.allowed) return perAccount;
      return byIp.hit(ip);
    },
    failed: (ip, email) => failures.record(key(ip, email)),
    succeeded: (ip, email) => failures.clear(key(ip, email)),
  };
}

export interface SignUpRateLimitOptions {
  /** Sign-ups per IP within `windowMs`; default 20. */
  perIp?: number;
  /** Default 10 minutes. */
  windowMs?: number;
  now?: () => number;
}

export interface SignUpRateLimiter {
  /** Counts one sign-up attempt from `ip`; `allowed: false` means 429 + `Retry-After`. */
  check(ip: string): LimitDecision;
}

/** Each sign-up costs a password hash and two stream writes: an address gets a handful per window. */
export function signUpRateLimiter(opts: SignUpRateLimitOptions = {}): SignUpRateLimiter {
  const byIp = new SlidingWindowLimiter(opts.perIp ?? 20, opts.windowMs ?? 10 * 60_000, opts.now);
  return { check: (ip) => byIp.hit(ip) };
}
