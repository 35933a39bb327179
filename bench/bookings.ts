/**
 * Booking benchmark (not a test): auto-accepted `POST /reservations` through the whole system (API →
 * Update-with-Start → reservation workflow → activities on DynamoDB → pipeline → projections), next to
 * the floor (bench/floor.ts): a bare workflow with one activity doing one PutItem, started the same way.
 *
 *   npx tsx bench/bookings.ts [--apis 1] [--workers 1] [--rate 50] [--duration 60] [--concurrency 32]
 *                             [--steps 25,50,75,100] [--step-duration 15] [--saturation-duration 20]
 *
 * The fixture and the booking operation: bench/fixture.ts; the system and its settling: bench/system.ts.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config';
import type { System } from '../test/system';
import { costMeter, type CostWindow } from './aws-count';
import { runMain } from './cli';
import { countingProxy } from './counting-proxy';
import { cpuPerOpText, cpuSampler, cpuText, type CpuReport } from './cpu';
import { bookingOp, prepareFixture, TABLES, type Fixture } from './fixture';
import { floorOp, startFloor } from './floor';
import { describe, printErrorSamples, runLoad, type LoadResult } from './load';
import { pidLabels, settle, systemPids, waitForPipeline, waitForTaskQueue, withSystem } from './system';

// ---------------------------------------------------------------------------------------------------
// The benchmark

export interface BookingBenchOptions {
  /** Sustained phase: offered arrivals per second, for durationS. */
  rate: number;
  durationS: number;
  /** Saturation phases (bookings and floor): closed loop at this concurrency, for saturationS. */
  concurrency: number;
  saturationS: number;
  /** Step phases: offered rates, stepS each (empty: skip). */
  steps: number[];
  stepS: number;
  /** Skip the floor. */
  noFloor?: boolean;
  /** Where the system's processes write their AWS request counts (bench/aws-count.ts), if they do. */
  countDir?: string;
}

export interface PhaseResult {
  name: string;
  result: LoadResult;
  cpu: CpuReport;
}

export interface BookingBenchResult {
  sustained: PhaseResult;
  saturation?: PhaseResult;
  floorSaturation?: PhaseResult;
  floorAtRate?: PhaseResult;
  steps: PhaseResult[];
  /** First step whose p99 exceeded 1 s or whose throughput fell short of 95 % of its rate. */
  knee?: number;
  /** CPU and AWS requests from the start of the saturation phase until the system settled after it. */
  saturationCost?: CostWindow;
}

export const GOAL_RATE = 50;
export const GOAL_P99_MS = 1000;

async function phase(name: string, labels: Map<number, string>, run: () => Promise<LoadResult>): Promise<PhaseResult> {
  const cpu = cpuSampler(labels);
  const result = await run();
  const report = cpu.stop();
  console.log(`  ${name}: ${describe(result)}`);
  printErrorSamples(result);
  console.log(`    ${cpuText(report)}`);
  console.log(`    ${cpuPerOpText(report, result.ok)}`);
  return { name, result, cpu: report };
}

export async function benchBookings(sys: System, f: Fixture, o: BookingBenchOptions): Promise<BookingBenchResult> {
  let index = 0;
  const op = bookingOp(f);
  const floor = o.noFloor ? undefined : await startFloor(sys);
  const labels = pidLabels(sys, floor);
  // an open-loop phase more than ~5 s behind has missed p99 ≤ 1 s for good: stop it rather than pile up work
  const giveUp = (rate: number) => Math.max(20, Math.round(rate * 5));
  try {
    // warm-up: bundles are loaded, connections open, JIT warm
    const warm = await runLoad({ label: 'warm-up', op, concurrency: 8, count: 50, firstIndex: index });
    index = warm.nextIndex;
    console.log(`  warm-up: ${describe(warm)}`);
    await settle(sys);

    const sustained = await phase(`bookings sustained @ ${o.rate}/s`, labels, () =>
      runLoad({ label: 'sustained', op, rate: o.rate, durationMs: o.durationS * 1000, firstIndex: index, giveUpInFlight: giveUp(o.rate) }),
    );
    index = sustained.result.nextIndex;
    await settle(sys);

    const steps: PhaseResult[] = [];
    let knee: number | undefined;
    for (const r of o.steps) {
      const s = await phase(`bookings step @ ${r}/s`, labels, () =>
        runLoad({ label: `step ${r}`, op, rate: r, durationMs: o.stepS * 1000, firstIndex: index, giveUpInFlight: giveUp(r) }),
      );
      index = s.result.nextIndex;
      steps.push(s);
      await settle(sys);
      if (s.result.gaveUpAtS !== undefined || s.result.latency.p99 > GOAL_P99_MS || s.result.throughput < r * 0.95) {
        knee = r;
        break;
      }
    }

    let saturation: PhaseResult | undefined;
    let saturationCost: CostWindow | undefined;
    if (o.saturationS > 0) {
      const meter = costMeter(labels, o.countDir, systemPids(sys));
      saturation = await phase(`bookings saturation, concurrency ${o.concurrency}`, labels, () =>
        runLoad({ label: 'saturation', op, concurrency: o.concurrency, durationMs: o.saturationS * 1000, firstIndex: index }),
      );
      index = saturation.result.nextIndex;
      await settle(sys);
      saturationCost = await meter.stop();
    }

    let floorSaturation: PhaseResult | undefined;
    let floorAtRate: PhaseResult | undefined;
    if (floor) {
      const runId = randomBytes(4).toString('hex');
      const fop = floorOp(floor, runId);
      const fw = await runLoad({ label: 'floor warm-up', op: fop, concurrency: 8, count: 200, firstIndex: 0 });
      floorAtRate = await phase(`floor @ ${o.rate}/s (client → Temporal directly)`, labels, () =>
        runLoad({ label: 'floor rate', op: fop, rate: o.rate, durationMs: Math.min(o.durationS, 30) * 1000, firstIndex: fw.nextIndex, giveUpInFlight: giveUp(o.rate) }),
      );
      await waitForTaskQueue(sys, floor.taskQueue, [floor.pid]);
      if (o.saturationS > 0) {
        floorSaturation = await phase(`floor saturation, concurrency ${o.concurrency} (client → Temporal directly)`, labels, () =>
          runLoad({ label: 'floor saturation', op: fop, concurrency: o.concurrency, durationMs: o.saturationS * 1000, firstIndex: floorAtRate!.result.nextIndex }),
        );
      }
    }
    return {
      sustained,
      steps,
      ...(knee !== undefined ? { knee } : {}),
      ...(saturation ? { saturation } : {}),
      ...(saturationCost ? { saturationCost } : {}),
      ...(floorSaturation ? { floorSaturation } : {}),
      ...(floorAtRate ? { floorAtRate } : {}),
    };
  } finally {
    await floor?.stop();
  }
}

export function bookingSummary(r: BookingBenchResult): string[] {
  const lines: string[] = [];
  const s = r.sustained.result;
  const pass = s.gaveUpAtS === undefined && s.throughput >= GOAL_RATE && s.latency.p99 <= GOAL_P99_MS;
  const gaveUp = s.gaveUpAtS === undefined ? '' : `, gave up after ${s.gaveUpAtS.toFixed(0)} s: ${s.issued} issued, more than 5 s behind`;
  lines.push(
    `bookings: ${s.throughput.toFixed(1)}/s sustained over ${s.elapsedS.toFixed(0)} s at ${s.target}/s offered (${s.ok} ok, ` +
      `${s.issued - s.ok} errors${gaveUp}), p50 ${Math.round(s.latency.p50)} ms, p99 ${Math.round(s.latency.p99)} ms ` +
      `(goal ≥ ${GOAL_RATE}/s, p99 ≤ ${GOAL_P99_MS} ms): ${pass ? 'PASS' : 'FAIL'}`,
  );
  if (r.steps.length) {
    lines.push(
      `bookings steps: ${r.steps.map((p) => `${p.result.target}/s → ${p.result.throughput.toFixed(1)}/s p99 ${Math.round(p.result.latency.p99)} ms`).join('; ')}` +
        (r.knee !== undefined ? ` (p99 > 1 s or throughput < 95 % from ${r.knee}/s)` : ' (no step crossed p99 1 s)'),
    );
  }
  if (r.saturation) {
    const b = r.saturation.result;
    lines.push(`bookings max: ${b.throughput.toFixed(1)}/s at concurrency ${b.target} (p50 ${Math.round(b.latency.p50)} ms, p99 ${Math.round(b.latency.p99)} ms, ${b.issued - b.ok} errors)`);
  }
  if (r.floorAtRate) {
    const fr = r.floorAtRate.result;
    lines.push(`floor @ ${fr.target}/s: ${fr.throughput.toFixed(1)}/s, p50 ${Math.round(fr.latency.p50)} ms, p99 ${Math.round(fr.latency.p99)} ms (bare workflow + 1 PutItem, Update-with-Start via the Temporal client)`);
  }
  if (r.floorSaturation && r.saturation) {
    const fl = r.floorSaturation.result;
    const ratio = r.saturation.result.throughput / fl.throughput;
    lines.push(
      `floor max: ${fl.throughput.toFixed(1)}/s at concurrency ${fl.target} (p50 ${Math.round(fl.latency.p50)} ms, p99 ${Math.round(fl.latency.p99)} ms); ` +
        `bookings/floor = ${(ratio * 100).toFixed(0)} % (goal ≥ 50 %): ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// CLI

export const bookingArgs = {
  apis: { type: 'string', default: '1' },
  workers: { type: 'string', default: '1' },
  rate: { type: 'string', default: String(GOAL_RATE) },
  duration: { type: 'string', default: '60' },
  concurrency: { type: 'string', default: '16' },
  'saturation-duration': { type: 'string', default: '20' },
  steps: { type: 'string', default: '5,10,25,50,75' },
  'step-duration': { type: 'string', default: '15' },
  'no-floor': { type: 'boolean', default: false },
  /** Instead of timing: count the AWS requests N bookings cause, through a counting proxy in front of AWS_ENDPOINT_URL. */
  'count-aws': { type: 'string', default: '' },
  restaurants: { type: 'string', default: '8' },
} as const;

export function bookingOptions(v: Record<string, string | boolean | undefined>): BookingBenchOptions {
  const n = (k: string) => Number(v[k]);
  return {
    rate: n('rate'),
    durationS: n('duration'),
    concurrency: n('concurrency'),
    saturationS: n('saturation-duration'),
    steps: String(v.steps ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
    stepS: n('step-duration'),
    noFloor: v['no-floor'] === true,
  };
}

/** AWS requests per booking, by API, through a counting proxy (the pipeline's polling included). */
export async function countAwsPerBooking(n: number, apis: number, workers: number): Promise<string[]> {
  const target = loadConfig().aws.endpoint;
  if (!target) throw new Error('counting needs a local AWS endpoint');
  const proxy = await countingProxy(target);
  try {
    return await withSystem(
      apis,
      workers,
      async (sys) => {
        const f = await prepareFixture(sys.apis.map((a) => a.url));
        await waitForPipeline(sys);
        const op = bookingOp(f);
        await runLoad({ label: 'warm', op, concurrency: 4, count: 20 });
        await waitForPipeline(sys);
        // idle polling over a window as long as the measured one, to subtract it
        proxy.reset();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 10_000));
        const idle = proxy.counts();
        const idleS = (performance.now() - t0) / 1000;
        proxy.reset();
        const t1 = performance.now();
        const r = await runLoad({ label: 'count', op, concurrency: 4, count: n, firstIndex: 1000 });
        await waitForPipeline(sys);
        const busyS = (performance.now() - t1) / 1000;
        const busy = proxy.counts();
        const lines = [`AWS requests per booking (${r.ok} bookings ok; background polling over the same time subtracted):`];
        let total = 0;
        const rows = [...busy.entries()]
          .map(([api, c]) => ({ api, per: (c - ((idle.get(api) ?? 0) * busyS) / idleS) / r.ok }))
          .filter((x) => x.per >= 0.05)
          .sort((a, b) => b.per - a.per);
        for (const x of rows) {
          total += x.per;
          lines.push(`  ${x.api.padEnd(34)} ${x.per.toFixed(2)}`);
        }
        lines.push(`  ${'total'.padEnd(34)} ${total.toFixed(2)}   (the floor: 1 DynamoDB PutItem)`);
        return lines;
      },
      { AWS_ENDPOINT_URL: proxy.url },
    );
  } finally {
    await proxy.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: bookingArgs });
  if (values['count-aws']) {
    for (const l of await countAwsPerBooking(Number(values['count-aws']), Number(values.apis), Number(values.workers))) console.log(l);
    return;
  }
  const opts = bookingOptions(values);
  await withSystem(Number(values.apis), Number(values.workers), async (sys) => {
    const f = await prepareFixture(sys.apis.map((a) => a.url), { restaurants: Number(values.restaurants) });
    console.log(`fixture: ${f.restaurantIds.length} restaurants × ${TABLES} tables × ${f.dates.length} dates × ${f.slots.length} slots, ${f.customerTokens.length} customers`);
    const r = await benchBookings(sys, f, opts);
    console.log('');
    for (const l of bookingSummary(r)) console.log(l);
  });
}

if (require.main === module) {
  runMain(main);
}
