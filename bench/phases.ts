/**
 * The bench's phases beyond bookings and availability:
 * - hot restaurant: 64 diners book one restaurant's evening at once (one ledger stream, contended), then a
 *   check of the ledger's events: no table held twice at overlapping times, every 201 on the ledger;
 * - flat cost as data grows: availability and booking p99 with ~1,000 and then 100,000 reservations in the
 *   reservation read model (seeded straight into MongoDB/FerretDB, see `seedReadModel`);
 * - rebuild: the reservation read model rebuilt directly from the event store (the `npm run replay --
 *   --rebuild` path, projections/rebuild.ts): the system's own, checked against the live consumer's, and
 *   ≥ 10,000 synthetic events for the figure, events per second.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { ledgerDecider, ledgerStreamId, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import { createEventTable, DynamoDBEventStore } from '../eventstore/dynamodb';
import { scanHistory } from '../eventstore/scan';
import type { StoredEvent } from '../eventstore/types';
import { loadConfig } from '../platform/config';
import { createRuntime, type Runtime } from '../platform/runtime';
import { consumers, reservationBulkProjection } from '../projections';
import { rebuildDirect, type DirectRebuildReport } from '../projections/rebuild';
import type { System } from '../test/system';
import { bookingOp, restaurantBody, signUp, TABLES, type Fixture } from './fixture';
import { settle, waitForPipeline, waitForTaskQueue } from './system';
import { cpuSampler, cpuText } from './cpu';
import { request } from './http';
import { describe, printErrorSamples, runLoad, summarize, type Latency, type LoadResult, type Outcome } from './load';
import { appendReservationHistory, dropTable, rebuildLine } from './rebuild';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bench's own connection to the system's stores and read models (closed by the caller), with MongoDB
 * deadlines of minutes rather than the app's 1.8 s: seeding 100,000 documents and emptying them for the
 * rebuild are single long operations on FerretDB.
 */
export function runtimeOf(sys: System): Promise<Runtime> {
  return createRuntime(loadConfig({ ...sys.env, MONGODB_TIMEOUT_MS: '300000', MONGODB_SERVER_SELECTION_TIMEOUT_MS: '10000' }));
}

// ---------------------------------------------------------------------------------------------------
// Hot restaurant

export const HOT_DINERS = 64;
/** Evening starts the capacity rounds spread over: 4 × 20 tables = 80 places for 64 diners. */
const EVENING = ['19:00', '19:15', '19:30', '19:45'];
const LAST_TABLES_START = '21:00';

export interface HotResult {
  diners: number;
  rounds: number;
  /**
   * Placements per second over the capacity rounds: bookings on the ledger ÷ time from sending the 64
   * requests to the ledger's last booking (201s and 202s placed later by their workflows alike).
   */
  perSecond: number;
  /** Answer times of every request answered (201, 202 or 409) in the capacity rounds. */
  latency: Latency;
  statuses: Record<string, number>;
  /** The last round: 64 diners, one start, 20 tables. */
  /** The last round: bookings on its ledger (at most 20), 409s, other answers. */
  lastTables: { placed: number; refused: number; other: Record<string, number> };
  fiveXx: number;
  /** Findings of the ledger check (empty: no double booking, every 201 on the ledger). */
  ledgerFindings: string[];
  ledgerBookings: number;
}

async function waitReplica(apiUrls: string[], restaurantId: string, date: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const u of apiUrls) {
    for (;;) {
      const r = await request(u, 'GET', `/restaurants/${restaurantId}/availability?date=${date}&partySize=2`);
      if (r.status === 200) break;
      if (Date.now() > deadline) throw new Error(`hot restaurant ${restaurantId} did not reach the reservation replica within 120 s`);
      await sleep(200);
    }
  }
}

/** Checks one ledger stream event by event: no two live bookings of a table overlap; returns the final state. */
function checkLedger(events: readonly StoredEvent[], where: string, findings: string[]): LedgerState {
  let state: LedgerState = { bookings: {} };
  for (const e of events) {
    state = ledgerDecider.evolve(state, e as StoredEvent<LedgerEvent>);
    const live = Object.values(state.bookings);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const x = live[a]!;
        const y = live[b]!;
        if (x.tableId === y.tableId && Date.parse(x.start) < Date.parse(y.end) && Date.parse(y.start) < Date.parse(x.end)) {
          findings.push(`${where}: table ${x.tableId} double booked after version ${e.version}: ${x.reservationId} and ${y.reservationId}`);
        }
      }
    }
  }
  return state;
}

export async function benchHotRestaurant(sys: System, f: Fixture, runtime: Runtime, o: { rounds: number }): Promise<HotResult> {
  const api = f.apiUrls[0]!;
  const diners: string[] = [];
  for (let k = 0; k < HOT_DINERS; k += 8) {
    diners.push(...(await Promise.all(Array.from({ length: Math.min(8, HOT_DINERS - k) }, (_, j) => signUp(f.apiUrls[(k + j) % f.apiUrls.length]!, `diner${k + j}`)))));
  }
  const created = await request<{ restaurantId: string }>(api, 'POST', '/restaurants', { body: { ...restaurantBody(999), name: 'Bench Hot Spot' }, token: f.ownerToken });
  if (created.status !== 201) throw new Error(`create the hot restaurant: HTTP ${created.status}`);
  const restaurantId = created.body.restaurantId;
  // dates the spread-load bookings use least: the far end of the fixture's window
  const dates = f.dates.slice(-(o.rounds + 1));
  await waitReplica(f.apiUrls, restaurantId, dates[0]!);

  const statuses: Record<string, number> = {};
  const okLatency: number[] = [];
  const placedIds = new Map<string, string[]>(); // date → reservation ids answered 201
  let fiveXx = 0;
  const burst = async (date: string, startOf: (d: number) => string) => {
    const t0 = performance.now();
    const answers = await Promise.all(
      diners.map(async (token, d) => {
        const sent = performance.now();
        try {
          const r = await request<{ reservationId?: string }>(f.apiUrls[d % f.apiUrls.length]!, 'POST', '/reservations', {
            body: { restaurantId, partySize: 2, start: `${date}T${startOf(d)}` },
            token,
            timeoutMs: 60_000,
          });
          return { status: String(r.status), ms: performance.now() - sent, id: r.body?.reservationId };
        } catch (err) {
          return { status: (err as { code?: string }).code ?? 'exception', ms: performance.now() - sent, id: undefined };
        }
      }),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    for (const a of answers) {
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      if (/^5/.test(a.status) || !/^\d+$/.test(a.status)) fiveXx++;
      if (a.status === '201' && a.id) placedIds.set(date, [...(placedIds.get(date) ?? []), a.id]);
    }
    return { answers, elapsedS };
  };

  /**
   * A 202 ("placing": not decided within the API's deadline) is placed later by its workflow: a round's
   * placements are the bookings on its ledger, and its time runs until the ledger's last booking (the
   * ledger's events read from the store every 250 ms until all diners hold a table or nothing changed for 10 s).
   */
  const ledgerCount = async (date: string) => {
    const events = await runtime.stores.reservation.readStream(ledgerStreamId(restaurantId, date));
    let state: LedgerState = { bookings: {} };
    for (const e of events) state = ledgerDecider.evolve(state, e as StoredEvent<LedgerEvent>);
    return Object.keys(state.bookings).length;
  };
  const untilPlaced = async (date: string, t0: number, want: number) => {
    let count = await ledgerCount(date);
    let lastChange = performance.now();
    while (count < want && performance.now() - lastChange < 10_000) {
      await sleep(250);
      const c = await ledgerCount(date);
      if (c !== count) {
        count = c;
        lastChange = performance.now();
      }
    }
    return { count, seconds: (lastChange - t0) / 1000 };
  };

  let placed = 0;
  let seconds = 0;
  for (let k = 0; k < o.rounds; k++) {
    const t0 = performance.now();
    const b = await burst(dates[k]!, (d) => EVENING[d % EVENING.length]!);
    const p = await untilPlaced(dates[k]!, t0, HOT_DINERS);
    placed += p.count;
    seconds += Math.max(p.seconds, b.elapsedS);
    okLatency.push(...b.answers.filter((a) => /^\d+$/.test(a.status)).map((a) => a.ms));
    const by = (st: string) => b.answers.filter((a) => a.status === st).length;
    console.log(
      `  hot round ${k + 1}: answers in ${b.elapsedS.toFixed(1)} s (201×${by('201')}, 202×${by('202')}, 409×${by('409')}, other×${HOT_DINERS - by('201') - by('202') - by('409')}); ` +
        `${p.count}/${HOT_DINERS} on the ledger after ${p.seconds.toFixed(1)} s`,
    );
  }
  const lastDate = dates[o.rounds]!;
  const countsBefore = { ...statuses };
  const last = await burst(lastDate, () => LAST_TABLES_START);
  const lastCounts: Record<string, number> = {};
  for (const [k, v] of Object.entries(statuses)) if (v - (countsBefore[k] ?? 0) > 0) lastCounts[k] = v - (countsBefore[k] ?? 0);
  const lastPlaced = (await untilPlaced(lastDate, performance.now(), TABLES)).count;
  const lastRefused = lastCounts['409'] ?? 0;
  console.log(`  hot last tables (${HOT_DINERS} diners, one start, ${TABLES} tables): ${lastPlaced} on the ledger, ${lastRefused} refused (409), answers ${JSON.stringify(lastCounts)} in ${last.elapsedS.toFixed(1)} s`);

  // the ledger's own events: the source of truth, not the read model
  await settle(sys);
  const findings: string[] = [];
  let ledgerBookings = 0;
  for (const date of dates) {
    const streamId = ledgerStreamId(restaurantId, date);
    const events = await runtime.stores.reservation.readStream(streamId);
    const state = checkLedger(events, streamId, findings);
    ledgerBookings += Object.keys(state.bookings).length;
    for (const id of placedIds.get(date) ?? []) if (!state.bookings[id]) findings.push(`${streamId}: reservation ${id} was answered 201 but holds no table`);
    if (date === lastDate && Object.keys(state.bookings).length > TABLES) findings.push(`${streamId}: ${Object.keys(state.bookings).length} bookings at one start for ${TABLES} tables`);
  }
  const other: Record<string, number> = {};
  for (const [k, v] of Object.entries(lastCounts)) if (k !== '201' && k !== '409') other[k] = v;
  return {
    diners: HOT_DINERS,
    rounds: o.rounds,
    perSecond: seconds > 0 ? placed / seconds : 0,
    latency: summarize(okLatency),
    statuses,
    lastTables: { placed: lastPlaced, refused: lastRefused, other },
    fiveXx,
    ledgerFindings: findings,
    ledgerBookings,
  };
}

// ---------------------------------------------------------------------------------------------------
// Flat cost as data grows

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

// ---------------------------------------------------------------------------------------------------
// Rebuild

export interface RebuildPass {
  events: number;
  streams: number;
  documents: number;
  /** Emptying the collections first, not counted in the rate. */
  truncateSeconds: number;
  /** From the first page read until the last document is written (fallbacks included). */
  seconds: number;
  eventsPerSecond: number;
  /** Summed per stage (reads and inserts overlap in wall-clock time). */
  readSeconds: number;
  foldSeconds: number;
  insertSeconds: number;
  /** Streams the bulk handed to the live path (a document the live consumer wrote meanwhile, a gap). */
  fallbackStreams: number;
}

export interface RebuildResult extends RebuildPass {
  method: string;
  /** The system's own reservation read model (the bench's bookings' events), rebuilt directly. */
  system: RebuildPass & { matchesLive: boolean; mismatches: string[] };
  /** The figure: the same rebuild on ≥ 10,000 synthetic reservation events (see `what`). */
  what: string;
  /**
   * CPU during the figure's rebuild, by process (by listening port; 'bench' is this process): on a shared
   * machine the rate depends on what else runs, CPU per event much less. `eventsPerSecondIfIdle` is events ÷
   * (own CPU seconds ÷ cores): a bound for this machine doing nothing else, not a measurement.
   */
  cpu: { secondsByProcess: Record<string, number>; otherPercent: number; machinePercent?: number; eventsPerOwnCpuSecond: number; eventsPerSecondIfIdle: number };
  documentsAfter: number;
}

const pass = (r: DirectRebuildReport): RebuildPass => ({
  events: r.events,
  streams: r.streams,
  documents: r.documents,
  truncateSeconds: r.truncateMs / 1000,
  seconds: r.ms / 1000,
  eventsPerSecond: r.events / Math.max(0.001, r.ms / 1000),
  readSeconds: r.readMs / 1000,
  foldSeconds: r.foldMs / 1000,
  insertSeconds: r.writeMs / 1000,
  fallbackStreams: r.fallback.duplicate + r.fallback.gap + r.fallback.regrouped,
});

/** A document as text with its keys sorted at every level (dates as ISO strings), to compare two reads. */
function canonical(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Events of synthetic reservation history the rebuild figure is measured on. */
export const REBUILD_EVENTS = 12_000;

/**
 * Two direct rebuilds (projections/rebuild.ts, the `npm run replay -- --rebuild` path):
 * 1. the system's reservation read model from the system's own reservation events (the bench's bookings),
 *    checked document by document (`_v` included) against what the live consumer had built;
 * 2. the figure: ≥ 10,000 reservation events decided by the real deciders (bench/rebuild.ts), in an event
 *    table of their own on the same dynoxide, rebuilt into a database of its own on the same FerretDB
 *    (appending them to the system's table would put them through the live pipeline too, at the
 *    consumer's pace, during the rest of the bench). Table and database are removed afterwards.
 */
export async function benchRebuild(sys: System, runtime: Runtime, o: { events?: number } = {}): Promise<RebuildResult> {
  const name = 'reservation-reservations';
  const direct = consumers(runtime)[name].rebuildFromStore;
  if (!direct) throw new Error(`${name} has no direct rebuild`);
  await waitForPipeline(sys);

  // 1. the system's own read model, against what the live consumer built
  const db = runtime.dbs.reservation;
  const snapshot = async () => {
    const out: Record<string, Map<string, { text: string; v: number }>> = {};
    for (const c of reservationBulkProjection.collections) {
      const docs = await db.collection(c).find({}).toArray();
      out[c] = new Map(docs.map((d) => [String(d._id), { text: canonical(d), v: Object.values((d._v ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0) }]));
    }
    return out;
  };
  const before = await snapshot();
  const sysReport = await direct({ source: scanHistory(runtime.aws.dynamodb, runtime.topo.services.reservation.table) });
  const after = await snapshot();
  const mismatches: string[] = [];
  for (const c of Object.keys(before)) {
    // a document a live event moved on meanwhile (a later checkpoint) is not a difference
    for (const [id, doc] of before[c]!) {
      const now = after[c]!.get(id);
      if (!now) mismatches.push(`${c}/${id}: missing after the rebuild`);
      else if (now.text !== doc.text && now.v <= doc.v) mismatches.push(`${c}/${id}: differs after the rebuild`);
    }
    for (const id of after[c]!.keys()) if (!before[c]!.has(id)) mismatches.push(`${c}/${id}: not in the live read model`);
  }
  const documentsAfter = after.reservations?.size ?? 0;

  // 2. the figure, on synthetic history of its own
  const table = `${runtime.topo.prefix}-rebuild-bench-events`;
  const side = runtime.mongo.db(`${db.databaseName}_rebuild`);
  await createEventTable(runtime.aws.dynamodb, table);
  try {
    const store = new DynamoDBEventStore({ client: runtime.aws.dynamodb, tableName: table, service: 'reservation' });
    const a0 = performance.now();
    const appended = await appendReservationHistory(store, o.events ?? REBUILD_EVENTS);
    console.log(`  synthetic history: ${appended.events} events of ${appended.streams} streams appended in ${((performance.now() - a0) / 1000).toFixed(1)} s (not measured)`);
    const sampler = cpuSampler();
    const r = await rebuildDirect({ db: side, store, projection: reservationBulkProjection, source: scanHistory(runtime.aws.dynamodb, table), writeGuard: runtime.writeGuard });
    const cpu = sampler.stop();
    console.log(`  ${rebuildLine(r)}`);
    console.log(`    ${cpuText(cpu)}`);
    // what the rebuild's own processes burned (this process, FerretDB, dynoxide), not the other processes
    const own = cpu.byLabel.filter((x) => x.label !== 'other');
    const ownCpuSeconds = own.reduce((a, x) => a + x.cpuSeconds, 0);
    return {
      method: 'direct: paged consistent Scan (next page prefetched), fold with the projection\'s own rules, unordered insertMany of 1,000, 2 in flight',
      ...pass(r),
      what:
        `${r.events} reservation-service events (${appended.reservations} reservations and their ledgers, decided by the real deciders) in an event table of their own ` +
        'on the same dynoxide, rebuilt into a database of its own on the same FerretDB; seconds from the first page read to the last insert, emptying excluded',
      system: { ...pass(sysReport), matchesLive: mismatches.length === 0, mismatches: mismatches.slice(0, 10) },
      cpu: {
        secondsByProcess: Object.fromEntries(cpu.byLabel.map((x) => [x.label, Math.round(x.cpuSeconds * 100) / 100])),
        otherPercent: Math.round(cpu.byLabel.find((x) => x.label === 'other')?.percent ?? 0),
        machinePercent: cpu.machinePercent === undefined ? undefined : Math.round(cpu.machinePercent),
        eventsPerOwnCpuSecond: Math.round(r.events / Math.max(0.001, ownCpuSeconds)),
        eventsPerSecondIfIdle: Math.round((r.events / Math.max(0.001, ownCpuSeconds)) * cpu.cores),
      },
      documentsAfter,
    };
  } finally {
    await dropTable(runtime.aws.dynamodb, table);
    await side.dropDatabase().catch(() => undefined);
  }
}
