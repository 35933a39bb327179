/**
 * Load generator for the benchmarks (not a test framework): closed loop (fixed concurrency) or open loop
 * (fixed arrival rate), bounded by a duration and/or a count, with latency percentiles and error counts by
 * status, and the one-line texts that report them. CPU per process: ./cpu.ts.
 *
 * Open-loop latency is measured from each request's scheduled arrival time, not from when it was sent: a
 * system that falls behind shows its queueing in the percentiles (no coordinated omission).
 */

/** What one operation reports: `ok` counts towards throughput; `status` keys the error table. */
export interface Outcome {
  ok: boolean;
  status: number | string;
  detail?: string;
}

export type Operation = (i: number) => Promise<Outcome>;

export interface LoadOptions {
  label: string;
  op: Operation;
  /** Closed loop: this many workers, each sending its next request when the previous one answers. */
  concurrency?: number;
  /** Open loop: arrivals per second, whatever the answers take (in-flight capped by maxInFlight). */
  rate?: number;
  maxInFlight?: number;
  /** Stop issuing after this long (ms). At least one of durationMs and count is needed. */
  durationMs?: number;
  /** Stop issuing after this many operations. */
  count?: number;
  /** Operations issued before the measurement (same op, numbered from `firstIndex`), not counted. */
  warmupMs?: number;
  /** Index of the first operation (so phases that share a key space don't reuse keys). */
  firstIndex?: number;
  /** Give in-flight operations this long to finish after issuing stops (ms; default 30 s). */
  drainMs?: number;
  /**
   * Open loop: stop issuing once this many operations are in flight (the system has fallen that far
   * behind, so the target is missed anyway); the result says when. Spares the run a long backlog.
   */
  giveUpInFlight?: number;
}

export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  label: string;
  mode: 'concurrency' | 'rate';
  /** The concurrency or the rate asked for. */
  target: number;
  issued: number;
  ok: number;
  errors: Record<string, number>;
  /** A sample of error details, one per status. */
  errorSamples: Record<string, string>;
  /** From the first issue to the last answer (s). */
  elapsedS: number;
  /** Issuing window (s): the duration asked for, or until the count was reached. */
  issueS: number;
  /** Successful operations per second over elapsedS. */
  throughput: number;
  /** Latency of successful operations (ms). */
  latency: Latency;
  /** Latency of every answered operation, errors included (ms). */
  latencyAll: Latency;
  /** Operations still unanswered when the drain timed out. */
  unfinished: number;
  /** Next free operation index. */
  nextIndex: number;
  /** Seconds into the phase when issuing stopped early (giveUpInFlight reached). */
  gaveUpAtS?: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    count: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1]! : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

/** Latency of `count` calls made one at a time (so each figure is a call's own, not a queue's), in ms. */
export async function sequentialLatency(count: number, call: (i: number) => Promise<unknown>): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await call(i);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runPhase(opts: LoadOptions, firstIndex: number, durationMs: number | undefined, count: number | undefined, record: boolean) {
  if (durationMs === undefined && count === undefined) throw new Error(`${opts.label}: give a duration or a count`);
  const okLat: number[] = [];
  const allLat: number[] = [];
  const errors: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  let ok = 0;
  let issued = 0;
  let inFlight = 0;
  let lastAnswer = 0;
  const t0 = performance.now();
  const deadline = durationMs === undefined ? Infinity : t0 + durationMs;
  let gaveUpAt: number | undefined;
  const more = () => {
    if (gaveUpAt !== undefined) return false;
    if (opts.giveUpInFlight !== undefined && record && inFlight >= opts.giveUpInFlight) {
      gaveUpAt = performance.now();
      return false;
    }
    return (count === undefined || issued < count) && performance.now() < deadline;
  };

  const one = async (i: number, scheduledAt: number) => {
    inFlight++;
    let outcome: Outcome;
    try {
      outcome = await opts.op(i);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      outcome = { ok: false, status: (err as { code?: string }).code ?? 'exception', detail: msg };
    }
    inFlight--;
    const now = performance.now();
    lastAnswer = now;
    if (!record) return;
    const ms = now - scheduledAt;
    allLat.push(ms);
    if (outcome.ok) {
      ok++;
      okLat.push(ms);
    } else {
      const key = String(outcome.status);
      errors[key] = (errors[key] ?? 0) + 1;
      if (errorSamples[key] === undefined && outcome.detail) errorSamples[key] = outcome.detail.slice(0, 300);
    }
  };

  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  if (opts.concurrency !== undefined) {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (more()) {
          const i = firstIndex + issued++;
          await one(i, performance.now());
        }
      }),
    );
  } else if (opts.rate !== undefined) {
    const interval = 1000 / opts.rate;
    const cap = opts.maxInFlight ?? 2000;
    // arrivals due but not yet sent because the in-flight cap was reached keep their scheduled time
    for (let n = 0; more(); ) {
      const now = performance.now();
      const due = Math.floor((now - t0) / interval) + 1;
      while (n < due && more() && inFlight < cap) {
        const scheduled = t0 + n * interval;
        n++;
        const i = firstIndex + issued++;
        track(one(i, scheduled));
      }
      await sleep(Math.max(1, Math.min(5, t0 + n * interval - performance.now())));
    }
  } else {
    throw new Error(`${opts.label}: give a concurrency or a rate`);
  }
  const issueEnd = performance.now();
  const drainUntil = issueEnd + (opts.drainMs ?? 30_000);
  while (pending.size > 0 && performance.now() < drainUntil) await Promise.race([...pending, sleep(100)]);
  const end = pending.size > 0 ? performance.now() : Math.max(lastAnswer, issueEnd);
  return {
    ok,
    issued,
    errors,
    errorSamples,
    okLat,
    allLat,
    elapsedS: (end - t0) / 1000,
    issueS: (issueEnd - t0) / 1000,
    unfinished: pending.size,
    ...(gaveUpAt !== undefined ? { gaveUpAtS: (gaveUpAt - t0) / 1000 } : {}),
  };
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  let index = opts.firstIndex ?? 0;
  if (opts.warmupMs) {
    const w = await runPhase(opts, index, opts.warmupMs, undefined, false);
    index += w.issued;
  }
  const r = await runPhase(opts, index, opts.durationMs, opts.count, true);
  return {
    label: opts.label,
    mode: opts.concurrency !== undefined ? 'concurrency' : 'rate',
    target: (opts.concurrency ?? opts.rate)!,
    issued: r.issued,
    ok: r.ok,
    errors: r.errors,
    errorSamples: r.errorSamples,
    elapsedS: r.elapsedS,
    issueS: r.issueS,
    throughput: r.ok / r.elapsedS,
    latency: summarize(r.okLat),
    latencyAll: summarize(r.allLat),
    unfinished: r.unfinished,
    nextIndex: index + r.issued,
    ...(r.gaveUpAtS !== undefined ? { gaveUpAtS: r.gaveUpAtS } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Formatting

export const ms = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
export const rate = (v: number): string => `${v.toFixed(1)}/s`;

export function errorText(r: LoadResult): string {
  const entries = Object.entries(r.errors);
  const n = entries.reduce((a, [, c]) => a + c, 0) + r.unfinished;
  if (n === 0) return '0 errors';
  const parts = entries.map(([k, c]) => `${k}×${c}`);
  if (r.unfinished) parts.push(`unanswered×${r.unfinished}`);
  return `${n} errors: ${parts.join(', ')}`;
}

export function describe(r: LoadResult): string {
  const how = r.mode === 'rate' ? `offered ${r.target}/s` : `concurrency ${r.target}`;
  const gaveUp = r.gaveUpAtS === undefined ? '' : `; GAVE UP after ${r.gaveUpAtS.toFixed(1)} s with ${r.issued} issued: too far behind`;
  return (
    `${rate(r.throughput)} over ${r.elapsedS.toFixed(1)} s (${how}; ${r.ok} ok, ${errorText(r)}${gaveUp}), ` +
    `p50 ${ms(r.latency.p50)}, p90 ${ms(r.latency.p90)}, p99 ${ms(r.latency.p99)}, max ${ms(r.latency.max)}`
  );
}

export function printErrorSamples(r: LoadResult, indent = '    '): void {
  for (const [k, v] of Object.entries(r.errorSamples)) console.log(`${indent}e.g. ${k}: ${v}`);
}
