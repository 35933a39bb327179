/**
 * Load generator for the benchmarks (not a test framework): closed loop (fixed concurrency) or open loop
 * (fixed arrival rate), bounded by a duration and/or a count, loopback only, with latency percentiles,
 * error counts by status, and per-process CPU sampled from /proc while the load runs.
 *
 * Open-loop latency is measured from each request's scheduled arrival time, not from when it was sent: a
 * system that falls behind shows its queueing in the percentiles (no coordinated omission).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { loadConfig } from '../platform/config';

// ---------------------------------------------------------------------------------------------------
// HTTP (keep-alive, loopback only)

const agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000 });

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers: http.IncomingHttpHeaders;
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`bench runs against loopback only, not ${url}`);
}

/**
 * One JSON request over a keep-alive socket. Resolves with any status (the caller decides what counts as
 * success); rejects only on a transport error or the timeout.
 */
export function request<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult<T>> {
  const url = new URL(path, baseUrl);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers, timeout: opts.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text && /json/.test(res.headers['content-type'] ?? '')) {
            try {
              body = JSON.parse(text);
            } catch {
              /* keep the text */
            }
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms: ${method} ${path}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export function closeHttp(): void {
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------------
// Load

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

// ---------------------------------------------------------------------------------------------------
// CPU per process (from /proc; Linux only — elsewhere the sampler reports nothing)

const TICK = 100; // USER_HZ on Linux

interface ProcTimes {
  ticks: number;
  label: string;
}

/** The ports of the servers this run uses (from the environment, defaulting to the local stack's). */
export function ownServerPorts(env: Record<string, string | undefined> = process.env): { moto: string; ferretdb: string; temporal: string } {
  const port = (v: string | undefined, fallback: string) => {
    if (!v) return fallback;
    const u = v.includes('://') ? new URL(v) : new URL(`tcp://${v}`);
    return u.port || fallback;
  };
  return {
    moto: port(env.AWS_ENDPOINT_URL, '5000'),
    ferretdb: port(env.MONGODB_URI, '27017'),
    temporal: port(env.TEMPORAL_ADDRESS, '7233'),
  };
}

const OWN_SERVERS = ownServerPorts();

/**
 * The local servers this run uses, by role, each found as the process listening on the role's port (from
 * /proc/net/tcp{,6} and the socket inodes under /proc/<pid>/fd), with their descendants. One process serving
 * two roles (moto: DynamoDB and SNS/SQS) gets both names. Ports: TEMPORAL_ADDRESS, MONGODB_URI, the
 * DynamoDB endpoint platform/config.ts resolves, AWS_ENDPOINT_URL for SNS/SQS.
 */
export function serverRoles(env: Record<string, string | undefined> = process.env): Array<{ role: string; port: number }> {
  const p = ownServerPorts(env);
  const portOf = (v: string) => Number((v.includes('://') ? new URL(v) : new URL(`tcp://${v}`)).port);
  // the app's own reading of the environment (platform/config.ts), whichever endpoints it supports
  let dynamodb = Number(p.moto);
  try {
    const aws = loadConfig(env).aws as { endpoint?: string; dynamodbEndpoint?: string };
    const url = aws.dynamodbEndpoint ?? aws.endpoint;
    if (url) dynamodb = portOf(url);
  } catch {
    /* an invalid setting: the app would not start either */
  }
  return [
    { role: 'temporal', port: Number(p.temporal) },
    { role: 'dynamodb', port: dynamodb },
    { role: 'sns/sqs', port: Number(p.moto) },
    { role: 'mongodb', port: Number(p.ferretdb) },
  ];
}

function listeningInodes(): Map<number, string> {
  const out = new Map<number, string>(); // inode → local port
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue;
      out.set(Number(cols[9]), String(parseInt(cols[1]!.split(':')[1]!, 16)));
    }
  }
  return out;
}

let serverCache: { at: number; labels: Map<number, string> } | undefined;

/** pid → server label ('temporal', 'dynamodb+sns/sqs', 'mongodb'…), refreshed at most every 5 s. */
export function serverPidLabels(): Map<number, string> {
  if (serverCache && performance.now() - serverCache.at < 5000) return serverCache.labels;
  const labels = new Map<number, string>();
  const roles = serverRoles();
  const inodes = listeningInodes();
  const wanted = new Map<string, string[]>(); // port → roles
  for (const r of roles) wanted.set(String(r.port), [...(wanted.get(String(r.port)) ?? []), r.role]);
  const parents = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    /* not Linux */
  }
  for (const e of entries) {
    const pid = Number(e);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        const port = m ? inodes.get(Number(m[1])) : undefined;
        const r = port ? wanted.get(port) : undefined;
        if (r) labels.set(pid, r.join('+'));
      }
    } catch {
      /* gone, or not ours */
    }
  }
  // children of a server (forked workers) count as the server
  for (const [pid] of parents) {
    for (let p = parents.get(pid), hops = 0; p && hops < 5; p = parents.get(p), hops++) {
      const l = labels.get(p);
      if (l && !labels.has(pid)) labels.set(pid, l);
    }
  }
  serverCache = { at: performance.now(), labels };
  return labels;
}

/**
 * Names a process: this run's processes by pid (`extra`), this run's servers by port; everything else is
 * "other" (other people's tests and servers on a shared machine), so its CPU shows as background load.
 */
export function classify(cmd: string, pid: number, extra: Map<number, string>): string {
  const server = serverPidLabels().get(pid);
  if (server) return server;
  const named = extra.get(pid);
  if (named) return named;
  if (pid === process.pid) return 'bench';
  let m: RegExpExecArray | null;
  if ((m = /localstack-server\.py.*--port\s+(\d+)/.exec(cmd))) return m[1] === OWN_SERVERS.moto ? 'sns/sqs' : 'other';
  if ((m = /ferretdb.*--listen-addr=[^\s]*:(\d+)/.exec(cmd))) return m[1] === OWN_SERVERS.ferretdb ? 'ferretdb' : 'other';
  if ((m = /temporal server start-dev.*--port\s+(\d+)/.exec(cmd))) return m[1] === OWN_SERVERS.temporal ? 'temporal' : 'other';
  return 'other';
}

function readProcs(extra: Map<number, string>): Map<number, ProcTimes> {
  const out = new Map<number, ProcTimes>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // fields after the ")" of the command name: state is field 3, utime 14, stime 15
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(pid, { ticks, label: classify(cmd, pid, extra) });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function machineBusy(): { busy: number; total: number } | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface CpuReport {
  seconds: number;
  /** % of one core and CPU seconds, by label, with the number of processes under the label. */
  byLabel: Array<{ label: string; percent: number; cpuSeconds: number; processes: number }>;
  /** Machine-wide busy %, of all cores (100 % = every core busy). */
  machinePercent: number | undefined;
  cores: number;
}

/** Starts sampling; `stop()` returns CPU used per label over the window (child processes counted by their own cmdline). */
export function cpuSampler(extra: Map<number, string> = new Map()): { stop(): CpuReport } {
  const before = readProcs(extra);
  const m0 = machineBusy();
  const t0 = performance.now();
  return {
    stop() {
      const after = readProcs(extra);
      const m1 = machineBusy();
      const seconds = (performance.now() - t0) / 1000;
      const acc = new Map<string, { ticks: number; pids: Set<number> }>();
      for (const [pid, a] of after) {
        const b = before.get(pid);
        const d = a.ticks - (b?.ticks ?? 0);
        if (d <= 0) continue;
        const slot = acc.get(a.label) ?? { ticks: 0, pids: new Set<number>() };
        slot.ticks += d;
        slot.pids.add(pid);
        acc.set(a.label, slot);
      }
      const byLabel = [...acc.entries()]
        .map(([label, v]) => ({ label, percent: (v.ticks / TICK / seconds) * 100, cpuSeconds: v.ticks / TICK, processes: v.pids.size }))
        .filter((x) => x.percent >= 0.5)
        .sort((a, b) => b.percent - a.percent);
      const machinePercent = m0 && m1 && m1.total > m0.total ? ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100 : undefined;
      return { seconds, byLabel, machinePercent, cores: osCores() };
    },
  };
}

function osCores(): number {
  return os.cpus().length;
}

/** CPU milliseconds per successful operation, by label (only this run's own processes and servers). */
export function cpuPerOpText(r: CpuReport, ops: number): string {
  if (ops === 0) return '';
  const parts = r.byLabel.filter((x) => x.label !== 'other').map((x) => ({ label: x.label, ms: (x.cpuSeconds * 1000) / ops }));
  const total = parts.reduce((a, x) => a + x.ms, 0);
  return `cpu per successful op: ${parts.map((x) => `${x.label} ${x.ms.toFixed(1)} ms`).join(', ')}; total ${total.toFixed(1)} ms (→ ~${((r.cores * 1000) / total).toFixed(0)}/s if these ${r.cores} cores did nothing else)`;
}

export function cpuText(r: CpuReport): string {
  const parts = r.byLabel.map((x) => `${x.label}${x.processes > 1 ? ` (${x.processes} procs)` : ''} ${x.percent.toFixed(0)}%`);
  const machine = r.machinePercent === undefined ? '' : `; machine ${r.machinePercent.toFixed(0)}% busy of ${r.cores} cores`;
  return `cpu (100% = one core): ${parts.join(', ')}${machine}`;
}

// ---------------------------------------------------------------------------------------------------
// Counting proxy: how many AWS (moto) requests of each kind an operation costs

export interface CountingProxy {
  url: string;
  /** Requests by API (`DynamoDB PutItem`, `SQS ReceiveMessage`, `SNS Publish`…) since the last reset. */
  counts(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

function apiOf(headers: http.IncomingHttpHeaders, body: Buffer): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [svc, op] = target.split('.');
    const name = svc?.startsWith('DynamoDBStreams') ? 'Streams' : svc?.startsWith('DynamoDB') ? 'DynamoDB' : svc?.startsWith('AmazonSQS') ? 'SQS' : svc;
    return `${name} ${op}`;
  }
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'));
  return action ? `query ${action[1]}` : 'unknown';
}

/** A loopback reverse proxy to `target` that counts requests by AWS API. Adds a hop: use it to count, not to time. */
export function countingProxy(target: string): Promise<CountingProxy> {
  assertLoopback(target);
  const t = new URL(target);
  let counts = new Map<string, number>();
  const upstream = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const api = apiOf(req.headers, body);
      counts.set(api, (counts.get(api) ?? 0) + 1);
      const up = http.request(
        { agent: upstream, host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      up.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        counts: () => new Map(counts),
        reset: () => {
          counts = new Map();
        },
        close: () =>
          new Promise<void>((r) => {
            upstream.destroy();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** A bench CLI's entry: run `main`, exit 0 when it is done (open handles must not keep it up), 1 on error. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
