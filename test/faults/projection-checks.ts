/** What must hold of the read models after the faults: the live projections equal a fresh rebuild from the event store. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Db, Document, MongoClient } from 'mongodb';
import { DynamoDBEventStore } from '../../eventstore/dynamodb';
import type { EventStore, ServiceName } from '../../eventstore/types';
import { consumers, PROJECTIONS } from '../../projections';
import { CONSUMERS, SERVICES, type Topology } from '../../platform/topology';
import { short } from './findings';
import type { History } from './history-checks';

/** Which consumer builds which collection, per service database (from the projections' own declarations). */
export const PROJECTED: Record<ServiceName, Record<string, string>> = (() => {
  const m = Object.fromEntries(SERVICES.map((s) => [s, {} as Record<string, string>])) as Record<ServiceName, Record<string, string>>;
  for (const c of CONSUMERS) for (const col of PROJECTIONS[c.name].collections) m[c.owner][col] = c.name;
  return m;
})();
/** Bookkeeping, not content: the per-stream checkpoint (`_v`) every projection keeps inside its documents (eventstore/checkpoint.ts). */
const IGNORED_FIELDS = new Set(['_v']);

class ReplayWouldAppend extends Error {
  override readonly name = 'ReplayWouldAppend';
}

/**
 * The real store for reads; a write is refused and reported. Replaying a cross-service consumer (auth's
 * ownership) against the live store must not change it: if it wants to append, the live consumer missed it.
 */
function readOnly(store: EventStore, wouldAppend: string[]): EventStore {
  const refuse = (what: string): never => {
    wouldAppend.push(what);
    throw new ReplayWouldAppend(what);
  };
  return {
    service: store.service,
    readStream: (id, o) => store.readStream(id, o),
    streamVersion: (id) => store.streamVersion(id),
    readAll: () => store.readAll(),
    append: async (streamId, events) => refuse(`${streamId}: ${events.map((e) => e.type).join(', ')}`),
    appendMany: async (reqs) => refuse(reqs.map((r) => `${r.streamId}: ${r.events.map((e) => e.type).join(', ')}`).join('; ')),
  };
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * Builds every consumer's projection from nothing into scratch databases `<scratch>_<service>`, feeding the
 * history (read raw from the tables) through the consumer's own handlers, stream by stream in version
 * order, as the pipeline would. Returns the problems the replay itself met.
 */
export async function rebuildInto(mongo: MongoClient, scratch: string, history: History, topo: Topology, dynamodb: DynamoDBClient): Promise<string[]> {
  const findings: string[] = [];
  const dbs = Object.fromEntries(SERVICES.map((s) => [s, mongo.db(`${scratch}_${s}`)])) as Record<ServiceName, Db>;
  for (const db of Object.values(dbs)) await db.dropDatabase();
  const wouldAppend: string[] = [];
  const stores = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      readOnly(new DynamoDBEventStore({ client: dynamodb, tableName: topo.services[s].table, service: s }), wouldAppend),
    ]),
  ) as Record<ServiceName, EventStore>;
  const handlers = consumers({ dbs, stores });
  for (const c of topo.consumers) {
    const h = handlers[c.name];
    const streams = [...history[c.source].streams.values()];
    await pool(streams, 4, async (events) => {
      try {
        if (h.handleStream) await h.handleStream(events);
        else for (const e of events) await h.handle(e);
      } catch (err) {
        if (err instanceof ReplayWouldAppend) {
          findings.push(`replaying ${c.name} would append to the live store (${err.message}): the live consumer never did`);
        } else {
          findings.push(`replaying ${c.name} failed on ${events[0]?.streamId}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
  }
  return findings;
}

function canon(v: unknown): unknown {
  if (v instanceof Date) return `Date(${v.toISOString()})`;
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = v as { toHexString?: () => string };
    if (typeof o.toHexString === 'function') return `ObjectId(${o.toHexString()})`;
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => !IGNORED_FIELDS.has(k))
        .sort()
        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Field paths where `a` and `b` differ (both canonical). */
function diff(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort().flatMap((k) => diff(ra[k], rb[k], at ? `${at}.${k}` : k));
  }
  return [`${at || '(doc)'}: live ${short(a, 120)} ≠ rebuilt ${short(b, 120)}`];
}

/** Live projections (`<live>_<service>`) against the scratch rebuild: every collection a consumer builds, document by document. */
export async function compareProjections(mongo: MongoClient, live: string, scratch: string, maxPerCollection = 8): Promise<{ findings: string[]; compared: number }> {
  const findings: string[] = [];
  let compared = 0;
  for (const s of SERVICES) {
    const liveDb = mongo.db(`${live}_${s}`);
    const scratchDb = mongo.db(`${scratch}_${s}`);
    const scratchNames = (await scratchDb.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    const names = [...new Set([...Object.keys(PROJECTED[s]), ...scratchNames])].sort();
    for (const name of names) {
      const consumer = PROJECTED[s][name] ?? 'an unlisted consumer';
      const [liveDocs, rebuilt] = await Promise.all([liveDb.collection(name).find({}).toArray(), scratchDb.collection(name).find({}).toArray()]);
      const byId = (docs: Document[]) => new Map(docs.map((d) => [String(d._id), canon(d)]));
      const l = byId(liveDocs);
      const r = byId(rebuilt);
      const here: string[] = [];
      for (const [id, doc] of r) {
        compared++;
        const mine = l.get(id);
        if (mine === undefined) here.push(`${s}.${name} ${id} (${consumer}): MISSING in the live projection; rebuilt: ${short(doc, 200)}`);
        else {
          const d = diff(mine, doc);
          if (d.length) here.push(`${s}.${name} ${id} (${consumer}): ${d.slice(0, 6).join('; ')}${d.length > 6 ? ` (+${d.length - 6} more fields)` : ''}`);
        }
      }
      for (const [id, doc] of l) if (!r.has(id)) here.push(`${s}.${name} ${id} (${consumer}): only in the live projection (a rebuild has no such document): ${short(doc, 200)}`);
      findings.push(...here.slice(0, maxPerCollection));
      if (here.length > maxPerCollection) findings.push(`${s}.${name}: … and ${here.length - maxPerCollection} more differing documents (${here.length} in all)`);
    }
  }
  return { findings, compared };
}
