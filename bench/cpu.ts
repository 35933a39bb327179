/**
 * CPU per process while a benchmark runs, from /proc (Linux only; elsewhere the sampler reports nothing):
 * this run's own processes by pid, this run's servers by the port they listen on, everything else "other".
 */
import fs from 'node:fs';
import os from 'node:os';
import { loadConfig } from '../platform/config';
import { STACK_DEF } from '../scripts/stack/layout.js';

const TICK = 100; // USER_HZ on Linux

interface ProcTimes {
  ticks: number;
  label: string;
}

/** The ports of the servers this run uses (from the environment, defaulting to the local stack's). */
export function ownServerPorts(env: Record<string, string | undefined> = process.env): { snsSqs: string; ferretdb: string; temporal: string } {
  const port = (v: string | undefined, fallback: string) => {
    if (!v) return fallback;
    const u = v.includes('://') ? new URL(v) : new URL(`tcp://${v}`);
    return u.port || fallback;
  };
  return {
    snsSqs: port(env.AWS_ENDPOINT_URL, String(STACK_DEF.ports.localstack)),
    ferretdb: port(env.MONGODB_URI, String(STACK_DEF.ports.mongodb)),
    temporal: port(env.TEMPORAL_ADDRESS, String(STACK_DEF.ports.temporal)),
  };
}

const OWN_SERVERS = ownServerPorts();

/**
 * The local servers this run uses, by role, each found as the process listening on the role's port (from
 * /proc/net/tcp{,6} and the socket inodes under /proc/<pid>/fd), with their descendants. One process serving
 * two roles (DynamoDB and SNS/SQS behind AWS_ENDPOINT_URL alone) gets both names. Ports: TEMPORAL_ADDRESS, MONGODB_URI, the
 * DynamoDB endpoint platform/config.ts resolves, AWS_ENDPOINT_URL for SNS/SQS.
 */
export function serverRoles(env: Record<string, string | undefined> = process.env): Array<{ role: string; port: number }> {
  const p = ownServerPorts(env);
  const portOf = (v: string) => Number((v.includes('://') ? new URL(v) : new URL(`tcp://${v}`)).port);
  // the app's own reading of the environment (platform/config.ts), whichever endpoints it supports
  let dynamodb = Number(p.snsSqs);
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
    { role: 'sns/sqs', port: Number(p.snsSqs) },
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
  if ((m = /localstack-server\.py.*--port\s+(\d+)/.exec(cmd))) return m[1] === OWN_SERVERS.snsSqs ? 'sns/sqs' : 'other';
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
