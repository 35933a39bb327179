/**
 * The bench's results file: `bench/results/latest.json` (the figures, machine and stack) and
 * `bench/results/latest.md` (the same for people). Figures, not verdicts: only the correctness checks fail a run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../platform/config';
import { serverPidLabels } from './cpu';
import { COST_EXCLUDES, LAMBDA_ASSUMPTIONS, PRICES, type CostLine } from './prices';

export const RESULTS_DIR = path.join(ROOT_DIR, 'bench', 'results');

export function machine(): Record<string, unknown> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' });
    } catch {
      return '';
    }
  };
  const cpus = os.cpus();
  const changed = git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean);
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    gitCommit: git(['rev-parse', 'HEAD']).trim(),
    // other people's uncommitted edits in the same working tree change what ran
    gitUncommittedFiles: changed.map((l) => l.slice(3)),
  };
}

/** The servers measured, by role, with their command lines (what the stack was). */
export function stackDescription(): Array<{ role: string; pid: number; command: string }> {
  const out: Array<{ role: string; pid: number; command: string }> = [];
  const seen = new Set<string>();
  for (const [pid, role] of serverPidLabels()) {
    if (seen.has(role)) continue;
    seen.add(role);
    let command = '';
    try {
      command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 200);
    } catch {
      /* gone */
    }
    out.push({ role, pid, command });
  }
  return out.sort((a, b) => a.role.localeCompare(b.role));
}

const fmt = (v: unknown, digits = 1): string => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(digits) : 'n/a') : v === undefined || v === null ? 'n/a' : String(v));

export function costLine(usd: number): string {
  return `on AWS at on-demand prices this is $${usd.toFixed(2)} per million bookings`;
}

// the results object is built in index.ts; these are the fields the markdown reads
interface ResultsView {
  date: string;
  mode: string;
  durationSeconds: number;
  machine: Record<string, unknown>;
  stack: Array<{ role: string; pid: number; command: string }>;
  floorPerSecond?: number;
  bookingsPerSecond?: number;
  bookingsP99Ms?: number;
  bookingsToFloor?: number;
  cpuMsPerBooking: Record<string, number>;
  awsRequestsPerBooking: object & { byCommand?: Record<string, number> };
  awsCost: { usdPerMillionBookings: number; lines: CostLine[] };
  availabilityPerSecond?: number;
  availabilityP99Ms?: number;
  hotRestaurantPerSecond?: number;
  hotRestaurantP99Ms?: number;
  hotToSpread?: number;
  availabilityP99MsAt1k?: number;
  availabilityP99MsAt100k?: number;
  availabilityP99MsAtLarge?: number;
  bookingsP99MsAt1k?: number;
  bookingsP99MsAt100k?: number;
  bookingsP99MsAtLarge?: number;
  growth?: { smallReservations: number; largeReservations: number };
  rebuildEventsPerSecond?: number;
  rebuild?: { events: number; seconds: number; system?: { events: number; eventsPerSecond: number; matchesLive: boolean } };
  checks: { passed: boolean; failures: string[] };
  notes: string[];
}

export function markdown(r: ResultsView): string {
  const m = r.machine;
  const rows: Array<[string, string, string]> = [
    ['floorPerSecond', fmt(r.floorPerSecond), 'bare workflow + 1 PutItem, Update-with-Start, closed loop (same concurrency as bookings)'],
    ['bookingsPerSecond', fmt(r.bookingsPerSecond), 'POST /reservations (auto accept), closed loop, most sustained'],
    ['bookingsP99Ms', fmt(r.bookingsP99Ms, 0), 'p99 of that phase'],
    ['bookingsToFloor', fmt(r.bookingsToFloor, 2), 'bookings ÷ floor'],
    ['availabilityPerSecond', fmt(r.availabilityPerSecond), 'GET /restaurants/:id/availability, closed loop'],
    ['availabilityP99Ms', fmt(r.availabilityP99Ms, 0), ''],
    ['hotRestaurantPerSecond', fmt(r.hotRestaurantPerSecond), `64 diners at once on one restaurant's evening; ÷ spread-load rate = ${fmt(r.hotToSpread, 2)}`],
    ['hotRestaurantP99Ms', fmt(r.hotRestaurantP99Ms, 0), ''],
    ['availabilityP99MsAt1k', fmt(r.availabilityP99MsAt1k, 0), `${r.growth?.smallReservations ?? '?'} reservations in the read model`],
    ['availabilityP99MsAt100k', fmt(r.availabilityP99MsAt100k, 0), 'filled only when the large point held 100,000 (quick runs seed 20,000)'],
    ['availabilityP99MsAtLarge', fmt(r.availabilityP99MsAtLarge, 0), `${r.growth?.largeReservations ?? '?'} reservations in the read model`],
    ['bookingsP99MsAt1k', fmt(r.bookingsP99MsAt1k, 0), 'open loop at a low rate'],
    ['bookingsP99MsAtLarge', fmt(r.bookingsP99MsAtLarge, 0), `${r.growth?.largeReservations ?? '?'} reservations`],
    ['rebuildEventsPerSecond', fmt(r.rebuildEventsPerSecond, 0), `direct rebuild (store scan → the projection's fold → bulk inserts) of ${r.rebuild?.events ?? '?'} reservation events in ${fmt(r.rebuild?.seconds)} s; the system's own ${r.rebuild?.system?.events ?? '?'} at ${fmt(r.rebuild?.system?.eventsPerSecond, 0)}/s${r.rebuild?.system ? (r.rebuild.system.matchesLive ? ', equal to the live read model' : ', DIFFERENT from the live read model') : ''}`],
  ];
  const lines = [
    `# Benchmark results (${r.mode})`,
    '',
    `${r.date}, ${m.cpus} × ${m.model}, ${m.memoryGb} GB, ${m.os}, Node.js ${m.node}, commit ${String(m.gitCommit).slice(0, 12)}` +
      ((m.gitUncommittedFiles as string[]).length ? ` plus uncommitted changes to ${(m.gitUncommittedFiles as string[]).join(', ')}` : '') +
      `; the run took ${Math.round(r.durationSeconds)} s.`,
    '',
    'Stack: ' + r.stack.map((s) => `${s.role} (pid ${s.pid}: \`${s.command.slice(0, 90)}\`)`).join('; ') + '.',
    '',
    `**${costLine(r.awsCost.usdPerMillionBookings)}** (${COST_EXCLUDES}).`,
    '',
    '| figure | value | what |',
    '| --- | --- | --- |',
    ...rows.map(([k, v, w]) => `| \`${k}\` | ${v} | ${w} |`),
    '',
    '## CPU per booking (ms, by process)',
    '',
    '| process | ms |',
    '| --- | --- |',
    ...Object.entries(r.cpuMsPerBooking).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`),
    '',
    '## AWS requests per booking',
    '',
    '| kind | per booking |',
    '| --- | --- |',
    ...Object.entries(r.awsRequestsPerBooking as Record<string, unknown>)
      .filter(([k]) => k !== 'byCommand' && k !== 'sqsByCommand')
      .map(([k, v]) => `| ${k} | ${fmt(v, 2)} |`),
    '',
    'By command: ' + Object.entries(r.awsRequestsPerBooking.byCommand ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') + '.',
    '',
    '## Cost per million bookings (AWS on-demand, us-east-1)',
    '',
    '| item | units per booking | $ per million bookings |',
    '| --- | --- | --- |',
    ...r.awsCost.lines.map((l) => `| ${l.item} | ${l.units.toFixed(3)} | ${l.usdPerMillionBookings.toFixed(3)} |`),
    '',
    `Prices from bench/prices.ts (read ${PRICES.dynamodbWriteRequestUnit.asOf}); Lambda at ${LAMBDA_ASSUMPTIONS.memoryGb * 1024} MB, ${LAMBDA_ASSUMPTIONS.durationMs} ms per invocation (assumed).`,
    '',
    `## Checks: ${r.checks.passed ? 'passed' : 'FAILED'}`,
    '',
    ...(r.checks.failures.length ? r.checks.failures.map((f) => `- ${f}`) : ['- hot restaurant: no 5xx; the ledger shows no table booked twice and every 201 holding a table']),
    '',
    ...(r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
  ];
  return lines.join('\n');
}

export function writeResults(r: ResultsView): { json: string; md: string } {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const json = path.join(RESULTS_DIR, 'latest.json');
  const md = path.join(RESULTS_DIR, 'latest.md');
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(md, markdown(r));
  return { json, md };
}
