/**
 * Flat cost as data grows: availability and booking p99 with ~1,000 and then 100,000 reservations in the
 * reservation read model (seeded straight into MongoDB/FerretDB, see `seedReadModel`).
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { ledgerStreamId } from '../domain/reservation/ledger';
import type { Runtime } from '../platform/runtime';
import type { System } from '../test/system';
import { bookingOp, type Fixture } from './fixture';
import { waitForPipeline, waitForTaskQueue } from './system';
import { request } from './http';
import { describe, printErrorSamples, runLoad, type LoadResult, type Outcome } from './load';

const SEED_RESTAURANTS = 200;
const SEED_PER_LEDGER = 10;

/**
 * Adds reservations (and their ledgers) for other restaurants to the reservation read model, straight into
 * MongoDB/FerretDB: documents shaped exactly as the projection writes them (projections/reservations.ts,
 * with the `_v` checkpoint), accepted or completed bookings of 200 made-up restaurants over the fixture's
 * dates, 10 per restaurant-date ledger, no events behind them (the rebuild phase later drops them).
 * Returns the number of reservation documents afterwards.
 */
export async function seedReadModel(db: Db, target: number, f: Fixture, runId: string): Promise<number> {
  const reservations = db.collection('reservations');
  const ledgers = db.collection('ledgers');
  let have = await reservations.countDocuments({});
  let ledgerIndex = await ledgers.countDocuments({ restaurantId: { $regex: '^seed-' } });
  while (have < target) {
    const n = Math.min(50, Math.ceil((target - have) / SEED_PER_LEDGER)); // ledgers this batch
    const resDocs: Record<string, unknown>[] = [];
    const ledgerDocs: Record<string, unknown>[] = [];
    for (let l = 0; l < n; l++, ledgerIndex++) {
      const restaurantId = `seed-${runId}-r${ledgerIndex % SEED_RESTAURANTS}`;
      const date = f.dates[Math.floor(ledgerIndex / SEED_RESTAURANTS) % f.dates.length]!;
      const ledgerId = ledgerStreamId(restaurantId, date);
      const bookings: Record<string, unknown> = {};
      for (let j = 0; j < SEED_PER_LEDGER; j++) {
        const reservationId = `seed-${runId}-${ledgerIndex}-${j}`;
        const start = `${date}T${String(18 + Math.floor(j / 4)).padStart(2, '0')}:${String((j % 4) * 15).padStart(2, '0')}:00+00:00`;
        const end = new Date(Date.parse(start) + 90 * 60_000).toISOString().replace('.000Z', '+00:00');
        const tableId = `t${j + 1}`;
        const customerId = `seed-customer-${(ledgerIndex * SEED_PER_LEDGER + j) % 5000}`;
        const at = new Date(Date.parse(start) - 86_400_000).toISOString();
        const status = j % 5 === 4 ? 'cancelled' : 'accepted';
        resDocs.push({
          _id: reservationId,
          restaurantId,
          customerId,
          partySize: 2 + (j % 3),
          start,
          end,
          tableId,
          name: `Seed Diner ${j}`,
          openingDate: date,
          restaurantName: `Seed Restaurant ${ledgerIndex % SEED_RESTAURANTS}`,
          startAt: new Date(start),
          status,
          history: [
            { type: 'ReservationRequested', at },
            { type: 'ReservationAccepted', at },
            ...(status === 'cancelled' ? [{ type: 'ReservationCancelled', at }] : []),
          ],
          _v: { [`reservation-${reservationId}`]: status === 'cancelled' ? 3 : 2 },
        });
        if (status !== 'cancelled') bookings[reservationId] = { reservationId, tableId, start, end, partySize: 2 + (j % 3), status: 'confirmed', customerId };
      }
      ledgerDocs.push({ _id: ledgerId, restaurantId, date, bookings, _v: { [ledgerId]: SEED_PER_LEDGER } });
    }
    await reservations.insertMany(resDocs as never[], { ordered: false });
    await ledgers.insertMany(ledgerDocs as never[], { ordered: false });
    have += resDocs.length;
  }
  return reservations.countDocuments({});
}

export interface GrowthPoint {
  reservations: number;
  ledgers: number;
  seedSeconds: number;
  availability: LoadResult;
  bookings: LoadResult;
  /** After the bookings: how long until the consumers' queues were empty, and what was left if they were not. */
  pipelineSeconds: number;
  pipelineBacklog: number;
}

async function measurePoint(sys: System, f: Fixture, o: { durationS: number; bookingRate: number; firstIndex: number }) {
  const op = async (i: number): Promise<Outcome> => {
    const r = f.restaurantIds[i % f.restaurantIds.length]!;
    const date = f.dates[Math.floor(i / f.restaurantIds.length) % f.dates.length]!;
    const res = await request(f.apiUrls[i % f.apiUrls.length]!, 'GET', `/restaurants/${r}/availability?date=${date}&partySize=2`);
    return res.status === 200 ? { ok: true, status: 200 } : { ok: false, status: res.status, detail: JSON.stringify(res.body).slice(0, 300) };
  };
  const availability = await runLoad({ label: 'availability', op, concurrency: 16, durationMs: o.durationS * 1000, warmupMs: 1000 });
  console.log(`    availability: ${describe(availability)}`);
  printErrorSamples(availability, '      ');
  const bookings = await runLoad({ label: 'bookings', op: bookingOp(f), rate: o.bookingRate, durationMs: o.durationS * 1000, firstIndex: o.firstIndex, giveUpInFlight: 50 });
  console.log(`    bookings @ ${o.bookingRate}/s: ${describe(bookings)}`);
  printErrorSamples(bookings, '      ');
  // how long the projections take to apply those bookings at this size (FerretDB scans by _id)
  const pipeline = await waitForPipeline(sys, 60_000);
  console.log(`    pipeline caught up ${pipeline.depth ? `NOT within ${pipeline.seconds.toFixed(0)} s: ${pipeline.depth} messages still queued` : `in ${pipeline.seconds.toFixed(0)} s`}`);
  const workers = sys.workers.map((w) => w.process.pid).filter((p): p is number => p !== undefined);
  await waitForTaskQueue(sys, sys.config.temporal.taskQueue, workers);
  return { availability, bookings, pipelineSeconds: pipeline.seconds, pipelineBacklog: pipeline.depth };
}

export async function benchGrowth(sys: System, f: Fixture, runtime: Runtime, o: { small: number; large: number; durationS: number; bookingRate: number }): Promise<{ small: GrowthPoint; large: GrowthPoint }> {
  const db = runtime.dbs.reservation;
  const runId = randomBytes(3).toString('hex');
  const point = async (target: number, firstIndex: number): Promise<GrowthPoint> => {
    const t0 = performance.now();
    const reservations = await seedReadModel(db, target, f, runId);
    const seedSeconds = (performance.now() - t0) / 1000;
    const ledgers = await db.collection('ledgers').countDocuments({});
    console.log(`  read model: ${reservations} reservations, ${ledgers} ledgers (seeded in ${seedSeconds.toFixed(0)} s)`);
    const m = await measurePoint(sys, f, { durationS: o.durationS, bookingRate: o.bookingRate, firstIndex });
    return { reservations, ledgers, seedSeconds, ...m };
  };
  const small = await point(o.small, 200_000);
  const large = await point(o.large, 250_000);
  return { small, large };
}

