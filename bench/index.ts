/**
 * `npm run bench`: the system benchmarks in sequence on one freshly started system, then a summary.
 * Not tests: they print figures (and PASS/FAIL against the goals) and exit 0 unless something broke.
 *
 *   npm run bench -- [--apis 1] [--workers 1] [--rate 50] [--duration 60] [--steps 5,10,25,50,75]
 *                    [--concurrency 16] [--availability-concurrency 32] [--availability-duration 20] [--quick]
 *
 * It brings the local stack up first (scripts/stack.mjs `up`, which skips servers named by
 * AWS_ENDPOINT_URL / MONGODB_URI / TEMPORAL_ADDRESS) and stops only what it started. Each run gets its own
 * resource prefix, Mongo databases and task queues, removed at the end.
 *
 * On a shared machine other processes' CPU distorts every figure: the bench samples it ("other") before
 * and during each phase, and prints CPU per operation per process, which holds up better than rates.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT_DIR } from '../platform/config';
import { availabilitySummary, benchAvailability } from './availability';
import { bookingArgs, bookingOptions, bookingSummary, benchBookings, pidLabels, prepareFixture, settle, TABLES, withSystem } from './bookings';
import { closeHttp, cpuSampler, cpuText, ownServerPorts, runMain } from './lib';

interface StackModule {
  up(opts?: { quiet?: boolean }): Promise<string[]>;
  down(names?: string[]): Promise<void>;
}

const options = {
  ...bookingArgs,
  'availability-concurrency': { type: 'string', default: '32' },
  'availability-duration': { type: 'string', default: '20' },
  /** Short phases (a smoke run of the bench itself). */
  quick: { type: 'boolean', default: false },
  /** Do not bring the local stack up (servers already running or named by the environment). */
  'no-stack': { type: 'boolean', default: false },
} as const;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({ options, allowPositionals: false });
  if (values.quick) {
    values.duration = '15';
    values.steps = '10,25';
    values['step-duration'] = '10';
    values['saturation-duration'] = '10';
    values['availability-duration'] = '10';
  }
  const apis = Number(values.apis);
  const workers = Number(values.workers);

  let stack: StackModule | undefined;
  let started: string[] = [];
  if (!values['no-stack']) {
    // an .mjs module with no types: imported by URL so TypeScript leaves it alone
    const url = pathToFileURL(path.join(ROOT_DIR, 'scripts', 'stack.mjs')).href;
    stack = (await import(url)) as StackModule;
    started = await stack.up({ quiet: true });
  }
  const ports = ownServerPorts();
  const summary: string[] = [];
  try {
    const bg = cpuSampler();
    await new Promise((r) => setTimeout(r, 5000));
    const background = bg.stop();
    const other = background.byLabel.find((x) => x.label === 'other')?.percent ?? 0;
    console.log(`stack: moto :${ports.moto}, FerretDB :${ports.ferretdb}, Temporal :${ports.temporal}`);
    console.log(`before start: ${cpuText(background)}`);
    if (other > 20) console.log(`  NOTE: other processes already use ${other.toFixed(0)}% of a core: expect lower figures than on an idle machine`);

    await withSystem(apis, workers, async (sys) => {
      const f = await prepareFixture(sys.apis.map((a) => a.url), { restaurants: Number(values.restaurants) });
      console.log(`fixture: ${f.restaurantIds.length} restaurants (auto accept) × ${TABLES} tables × ${f.dates.length} dates × ${f.slots.length} slots, ${f.customerTokens.length} customers`);
      await settle(sys);

      // what the system costs doing nothing: the pipeline polls streams and queues all the time
      const idle = cpuSampler(pidLabels(sys));
      await new Promise((r) => setTimeout(r, 10_000));
      const idleReport = idle.stop();
      console.log(`idle system (10 s, no load): ${cpuText(idleReport)}`);

      console.log('\nbookings (POST /reservations, auto accept) and the floor (bare workflow + 1 PutItem):');
      const b = await benchBookings(sys, f, bookingOptions(values));
      await settle(sys);

      console.log('\navailability (GET /restaurants/:id/availability):');
      const a = await benchAvailability(sys, f, {
        concurrency: Number(values['availability-concurrency']),
        durationS: Number(values['availability-duration']),
        bookings: 0,
      });

      const idleOwn = idleReport.byLabel.filter((x) => x.label !== 'other').map((x) => `${x.label} ${x.percent.toFixed(0)}%`);
      summary.push(
        `layout: ${apis} API process(es), ${workers} reservation worker(s), 1 pipeline, bench (load generator) in-process; ` +
          `moto :${ports.moto}, FerretDB :${ports.ferretdb}, Temporal dev server :${ports.temporal}; ${idleReport.cores} cores`,
        `idle cost (no load): ${idleOwn.join(', ')}`,
        `background (other processes) before start: ${other.toFixed(0)}% of a core`,
        ...bookingSummary(b),
        ...availabilitySummary(a),
      );
    });
  } finally {
    closeHttp();
    if (stack && started.length) await stack.down(started);
  }
  console.log('\n==== summary ====');
  for (const l of summary) console.log(l);
}

runMain(main);
