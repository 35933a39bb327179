/**
 * Rebuild: the reservation read model rebuilt directly from the event store (the `npm run replay --
 * --rebuild` path, projections/rebuild.ts): the system's own, checked against the live consumer's, and
 * ≥ 10,000 synthetic events for the figure, events per second.
 */
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { createEventTable } from '../eventstore/dynamodb-table';
import { scanHistory } from '../eventstore/scan';
import type { Runtime } from '../platform/runtime';
import { consumers } from '../projections';
import { reservationsProjection } from '../projections/reservations';
import { rebuildDirect, type DirectRebuildReport } from '../projections/rebuild';
import type { System } from '../test/system';
import { waitForPipeline } from './system';
import { cpuSampler, cpuText } from './cpu';
import { appendReservationHistory, dropTable, rebuildLine } from './rebuild';

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
    for (const c of reservationsProjection.collections) {
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
    const r = await rebuildDirect({ db: side, store, projection: reservationsProjection, source: scanHistory(runtime.aws.dynamodb, table), writeGuard: runtime.writeGuard });
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
