/**
 * Availability benchmark (not a test): `GET /restaurants/:id/availability?date&partySize`, closed loop at a
 * fixed concurrency, spread over restaurants × dates (some with bookings on their ledgers).
 *
 *   npx tsx bench/availability.ts [--apis 1] [--workers 1] [--concurrency 32] [--duration 20] [--bookings 200]
 *
 * The route answers from projections only — the reservation service's restaurant replica and the ledger
 * document of the date in MongoDB/FerretDB, both read by `_id` — and never replays an event stream. Each
 * API process reads a restaurant date's ledger at most once a second (api/reservation/availability.ts), so
 * the share of requests that reach FerretDB falls as the rate rises past restaurants × dates per second
 * (8 × 55 = 440 here): compare CPU per query at similar rates.
 */
import { parseArgs } from 'node:util';
import type { System } from '../test/system';
import { bookingOp, prepareFixture, TABLES, type Fixture } from './fixture';
import { pidLabels, waitForPipeline, withSystem } from './system';
import { runMain } from './cli';
import { cpuPerOpText, cpuSampler, cpuText, type CpuReport } from './cpu';
import { request } from './http';
import { describe, printErrorSamples, runLoad, type LoadResult, type Outcome } from './load';

/** The goal: at least 1,000 queries/s, closed loop, on the bench machine (2 cores, the load generator included). */
export const GOAL_QPS = 1000;

export interface AvailabilityBenchResult {
  result: LoadResult;
  cpu: CpuReport;
  /** Slots answered per request, on average (sanity check that the answers are real). */
  meanSlots: number;
}

export async function benchAvailability(
  sys: System,
  f: Fixture,
  o: { concurrency: number; durationS: number; bookings: number },
): Promise<AvailabilityBenchResult> {
  // a few bookings so the ledgers the route reads are not all empty
  if (o.bookings > 0) {
    const seed = await runLoad({ label: 'seed bookings', op: bookingOp(f), concurrency: 8, count: o.bookings, firstIndex: 500_000 });
    console.log(`  seed bookings: ${describe(seed)}`);
    const w = await waitForPipeline(sys);
    console.log(`    (pipeline caught up in ${w.seconds.toFixed(0)} s)`);
  }
  let slots = 0;
  let answered = 0;
  const op = async (i: number): Promise<Outcome> => {
    const r = f.restaurantIds[i % f.restaurantIds.length]!;
    const date = f.dates[Math.floor(i / f.restaurantIds.length) % f.dates.length]!;
    const res = await request<{ slots?: unknown[] }>(f.apiUrls[i % f.apiUrls.length]!, 'GET', `/restaurants/${r}/availability?date=${date}&partySize=2`);
    if (res.status !== 200) return { ok: false, status: res.status, detail: JSON.stringify(res.body).slice(0, 300) };
    answered++;
    slots += Array.isArray(res.body.slots) ? res.body.slots.length : 0;
    return { ok: true, status: 200 };
  };
  await runLoad({ label: 'availability warm-up', op, concurrency: o.concurrency, durationMs: 3000 });
  slots = 0;
  answered = 0;
  const cpu = cpuSampler(pidLabels(sys));
  const result = await runLoad({ label: 'availability', op, concurrency: o.concurrency, durationMs: o.durationS * 1000 });
  const report = cpu.stop();
  console.log(`  availability: ${describe(result)}`);
  printErrorSamples(result);
  console.log(`    ${cpuText(report)}`);
  console.log(`    ${cpuPerOpText(report, result.ok)}`);
  return { result, cpu: report, meanSlots: answered ? slots / answered : 0 };
}

export function availabilitySummary(r: AvailabilityBenchResult): string[] {
  const a = r.result;
  const pass = a.throughput >= GOAL_QPS;
  return [
    `availability: ${a.throughput.toFixed(1)} queries/s over ${a.elapsedS.toFixed(0)} s at concurrency ${a.target} (${a.ok} ok, ${a.issued - a.ok} errors), ` +
      `p50 ${Math.round(a.latency.p50)} ms, p99 ${Math.round(a.latency.p99)} ms, ~${r.meanSlots.toFixed(0)} slots per answer (goal ≥ ${GOAL_QPS}/s): ${pass ? 'PASS' : 'FAIL'}`,
  ];
}

export const availabilityArgs = {
  apis: { type: 'string', default: '1' },
  workers: { type: 'string', default: '1' },
  concurrency: { type: 'string', default: '32' },
  duration: { type: 'string', default: '20' },
  bookings: { type: 'string', default: '200' },
  restaurants: { type: 'string', default: '8' },
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: availabilityArgs });
  await withSystem(Number(values.apis), Number(values.workers), async (sys) => {
    const f = await prepareFixture(sys.apis.map((a) => a.url), { restaurants: Number(values.restaurants) });
    console.log(`fixture: ${f.restaurantIds.length} restaurants × ${TABLES} tables × ${f.dates.length} dates, ${f.customerTokens.length} customers`);
    const r = await benchAvailability(sys, f, { concurrency: Number(values.concurrency), durationS: Number(values.duration), bookings: Number(values.bookings) });
    console.log('');
    for (const l of availabilitySummary(r)) console.log(l);
  });
}

if (require.main === module) {
  runMain(main);
}
