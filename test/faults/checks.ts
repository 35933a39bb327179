/**
 * What must hold after the faults, each as a function returning findings: one line per violation, naming
 * the stream, reservation, document or queue and what exactly is wrong, so a failing run says where to
 * look without a debugger. An empty list means the property holds.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Db, Document, MongoClient } from 'mongodb';
import { itemToEvent, DynamoDBEventStore } from '../../eventstore/dynamodb';
import { decodeEnvelope } from '../../eventstore/consumer';
import type { EventStore, ServiceName, StoredEvent } from '../../eventstore/types';
import { consumers } from '../../projections';
import type { ResolvedTopology } from '../../platform/provision';
import { SERVICES, type Topology } from '../../platform/topology';
import { ledgerDecider, type LedgerBooking, type LedgerEvent } from '../../domain/reservation/ledger';
import { reservationWorkflowId } from '../../workflows/messages';
import type { Lifecycle } from './load';

export type Streams = Map<string, StoredEvent[]>;
export type History = Record<ServiceName, { table: string; streams: Streams; events: number }>;

const FINAL_OF: Record<string, string> = {
  ReservationRejected: 'rejected',
  ReservationExpired: 'expired',
  ReservationCancelled: 'cancelled',
  ReservationCompleted: 'completed',
};

const short = (v: unknown, n = 160): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > n ? `${s.slice(0, n)}…` : s;
};

// ---- the event store, read raw ---------------------------------------------------------------------

/** Every item of each service's event table (a consistent Scan, not the store's readAll: nothing smoothed over). */
export async function readHistory(dynamodb: DynamoDBClient, topo: Topology): Promise<History> {
  const out = {} as History;
  for (const s of SERVICES) {
    const table = topo.services[s].table;
    const streams: Streams = new Map();
    let events = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const e = itemToEvent(item);
        events++;
        const list = streams.get(e.streamId) ?? [];
        list.push(e);
        streams.set(e.streamId, list);
      }
      startKey = page.LastEvaluatedKey as typeof startKey;
    } while (startKey);
    for (const list of streams.values()) list.sort((a, b) => a.version - b.version);
    out[s] = { table, streams, events };
  }
  return out;
}

/** Versions 1..n with no hole and no repeat; no event id twice in a table. */
export function checkGapless(history: History): string[] {
  const findings: string[] = [];
  for (const s of SERVICES) {
    const { table, streams } = history[s];
    const ids = new Map<string, string>();
    for (const [streamId, events] of streams) {
      const versions = events.map((e) => e.version);
      const bad = versions.findIndex((v, i) => v !== i + 1);
      if (bad !== -1) {
        findings.push(`${table} ${streamId}: versions ${short(versions, 200)} are not 1..${versions.length} (first wrong at position ${bad + 1}: v${versions[bad]})`);
      }
      for (const e of events) {
        const where = `${streamId} v${e.version} ${e.type}`;
        const seen = ids.get(e.eventId);
        if (seen) findings.push(`${table}: event id ${e.eventId} stored twice: ${seen} and ${where}`);
        else ids.set(e.eventId, where);
      }
    }
  }
  return findings;
}

/** What each reservation stream says, and whether its sequence of events makes sense. */
export function checkReservationStreams(history: History): { findings: string[]; statusOf: Map<string, string> } {
  const findings: string[] = [];
  const statusOf = new Map<string, string>();
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('reservation-')) continue;
    const id = streamId.slice('reservation-'.length);
    const types = events.map((e) => e.type);
    if (types[0] !== 'ReservationRequested') findings.push(`${streamId}: starts with ${types[0]}, not ReservationRequested (${types.join(', ')})`);
    const repeated = types.filter((t, i) => types.indexOf(t) !== i);
    if (repeated.length) findings.push(`${streamId}: ${[...new Set(repeated)].join(', ')} recorded more than once (${types.join(', ')})`);
    const finals = events.filter((e) => FINAL_OF[e.type]);
    if (finals.length > 1) findings.push(`${streamId}: two final events (${finals.map((e) => `v${e.version} ${e.type}`).join(', ')})`);
    const firstFinal = events.findIndex((e) => FINAL_OF[e.type]);
    if (firstFinal !== -1 && firstFinal < events.length - 1) {
      findings.push(`${streamId}: ${events.slice(firstFinal + 1).map((e) => `v${e.version} ${e.type}`).join(', ')} after the final ${events[firstFinal]!.type}`);
    }
    let status = 'none';
    for (const e of events) {
      if (e.type === 'ReservationRequested') status = 'pending';
      else if (e.type === 'ReservationAccepted') status = 'accepted';
      else if (FINAL_OF[e.type]) status = FINAL_OF[e.type]!;
    }
    statusOf.set(id, status);
  }
  return { findings, statusOf };
}

/**
 * No double booking: replaying each ledger stream, a claim never overlaps another live claim of the same
 * table, a reservation claims at most once; and nothing stays frozen: a reservation that is final holds no
 * table, a reservation's table is the one its ledger claim says, every placed reservation has a claim.
 */
export function checkLedgers(history: History, statusOf: Map<string, string>): string[] {
  const findings: string[] = [];
  const claimedTable = new Map<string, { ledger: string; tableId: string }>();
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('ledger-')) continue;
    let state = ledgerDecider.initialState();
    const counts = new Map<string, number>();
    for (const e of events as StoredEvent<LedgerEvent>[]) {
      const rid = e.data.reservationId;
      const key = `${rid}:${e.type === 'TableBooked' ? 'TableHeld' : e.type}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (counts.get(key) === 2) findings.push(`${streamId} v${e.version}: ${e.type} for reservation ${rid} again (claimed/confirmed/released twice)`);
      if (e.type === 'TableHeld' || e.type === 'TableBooked') {
        const s = Date.parse(e.data.start);
        const end = Date.parse(e.data.end);
        for (const b of Object.values(state.bookings) as LedgerBooking[]) {
          if (b.tableId === e.data.tableId && b.reservationId !== rid && s < Date.parse(b.end) && Date.parse(b.start) < end) {
            findings.push(
              `DOUBLE BOOKING ${streamId} v${e.version}: table ${e.data.tableId} given to ${rid} [${e.data.start}, ${e.data.end}) while ${b.reservationId} holds it [${b.start}, ${b.end}) (${b.status})`,
            );
          }
        }
        const before = claimedTable.get(rid);
        if (before && before.ledger !== streamId) findings.push(`reservation ${rid} claimed tables on two ledgers: ${before.ledger} and ${streamId}`);
        claimedTable.set(rid, { ledger: streamId, tableId: e.data.tableId });
      }
      if (e.type === 'TableConfirmed' && !state.bookings[rid]) findings.push(`${streamId} v${e.version}: TableConfirmed for ${rid}, which holds nothing`);
      state = ledgerDecider.evolve(state, e);
    }
    for (const b of Object.values(state.bookings) as LedgerBooking[]) {
      const status = statusOf.get(b.reservationId);
      if (status === undefined) findings.push(`FROZEN TABLE ${streamId}: table ${b.tableId} ${b.status} for ${b.reservationId}, which has no reservation stream (placed, never requested, never released)`);
      else if (['cancelled', 'rejected', 'expired', 'completed'].includes(status)) {
        findings.push(`FROZEN TABLE ${streamId}: table ${b.tableId} still ${b.status} for ${b.reservationId}, which is ${status}`);
      }
    }
  }
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('reservation-')) continue;
    const id = streamId.slice('reservation-'.length);
    const requested = events.find((e) => e.type === 'ReservationRequested') as StoredEvent<{ type: string; data: { tableId?: string } }> | undefined;
    const claim = claimedTable.get(id);
    if (!claim) findings.push(`${streamId}: no table was ever claimed for it on any ledger`);
    else if (requested && requested.data.tableId !== claim.tableId) {
      findings.push(`${streamId}: says table ${requested.data.tableId}, but ${claim.ledger} gave it ${claim.tableId}`);
    }
  }
  return findings;
}

// ---- lifecycles and workflows ----------------------------------------------------------------------

export interface LifecycleReport {
  /** Acknowledged reservations whose stream is not final (or not the final the client was told), or whose workflow is not COMPLETED. */
  findings: string[];
  /** How many acknowledged reservations were checked. */
  checked: number;
}

/** Every acknowledged reservation: final in its stream (the final the client was told), its workflow COMPLETED; nothing else running. */
export async function checkLifecycles(lifecycles: Lifecycle[], history: History, statusOf: Map<string, string>, temporal: Client, taskQueue: string): Promise<LifecycleReport> {
  const findings: string[] = [];
  const acknowledged = lifecycles.filter((l) => l.reservationId);
  const describe = async (id: string): Promise<string> => {
    try {
      const d = await temporal.workflow.getHandle(reservationWorkflowId(id)).describe();
      if (d.status.name === 'COMPLETED') return 'COMPLETED';
      const pending = (d.raw.pendingActivities ?? [])
        .map((a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (last failure: ${short(a.lastFailure.message, 200)})` : ''}`)
        .join('; ');
      return `${d.status.name}${pending ? `, pending activities: ${pending}` : ''}`;
    } catch (err) {
      return `describe failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  await Promise.all(
    acknowledged.map(async (l) => {
      const id = l.reservationId!;
      const events = history.reservation.streams.get(`reservation-${id}`) ?? [];
      const status = statusOf.get(id) ?? 'none';
      const wf = await describe(id);
      const what = `reservation ${id} (#${l.seq} ${l.kind})`;
      const client = `client saw: ${l.steps.join(' | ')}`;
      const final = ['cancelled', 'rejected', 'expired', 'completed'].includes(status);
      if (l.expectedFinal === 'not-placed') {
        if (events.length > 0 && !final) findings.push(`${what}: acknowledged, then not placed, but its stream is ${status}: ${events.map((e) => e.type).join(', ')}; ${client}`);
      } else if (!final) {
        findings.push(`${what}: NOT FINAL: stream ends at "${status}" (${events.map((e) => `v${e.version} ${e.type}`).join(', ') || 'no events'}); workflow ${wf}; ${client}`);
        return;
      } else if (l.expectedFinal && l.expectedFinal !== status) {
        findings.push(`${what}: the client was told "${l.expectedFinal}" but the stream ends "${status}" (${events.map((e) => e.type).join(', ')}); ${client}`);
      }
      if (wf !== 'COMPLETED') findings.push(`${what}: stream ${status}, but workflow ${wf}`);
    }),
  );
  // workflows nobody was told about (a request that failed for the client) must have ended too
  const known = new Set(acknowledged.map((l) => reservationWorkflowId(l.reservationId!)));
  try {
    for await (const wf of temporal.workflow.list({ query: `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'` })) {
      if (!known.has(wf.workflowId)) findings.push(`workflow ${wf.workflowId} (never acknowledged to a client) is still running since ${wf.startTime.toISOString()}`);
    }
  } catch (err) {
    findings.push(`could not list running workflows: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { findings, checked: acknowledged.length };
}

// ---- queues ---------------------------------------------------------------------------------------

export interface QueueDepth {
  consumer: string;
  visible: number;
  inFlight: number;
  dlq: number;
}

async function depth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

export async function queueDepths(sqs: SQSClient, resolved: ResolvedTopology): Promise<QueueDepth[]> {
  return Promise.all(
    Object.entries(resolved.queues).map(async ([consumer, q]) => {
      const [main, dlq] = await Promise.all([depth(sqs, q.url), depth(sqs, q.dlqUrl)]);
      return { consumer, ...main, dlq: dlq.visible + dlq.inFlight };
    }),
  );
}

/** Each non-empty DLQ with what it holds (a peek: the messages become visible again at once). */
export async function checkDlqs(sqs: SQSClient, resolved: ResolvedTopology): Promise<string[]> {
  const findings: string[] = [];
  for (const d of await queueDepths(sqs, resolved)) {
    if (d.dlq === 0) continue;
    const q = resolved.queues[d.consumer]!;
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const sample = (out.Messages ?? []).map((m) => {
      try {
        const e = decodeEnvelope(m.Body ?? '');
        return `${e.streamId} v${e.version} ${e.type}`;
      } catch {
        return `undecodable ${short(m.Body, 80)}`;
      }
    });
    findings.push(`DLQ of ${d.consumer} holds ${d.dlq} message(s), e.g. ${sample.join('; ') || '(none received)'}`);
  }
  return findings;
}

// ---- projections vs a fresh rebuild ----------------------------------------------------------------

/** Which consumer builds which collection, per service database. */
export const PROJECTED: Record<ServiceName, Record<string, string>> = {
  catalog: { restaurants: 'catalog-restaurants' },
  reservation: { restaurants: 'reservation-restaurants', reservations: 'reservation-reservations', ledgers: 'reservation-reservations' },
  auth: { users: 'auth-users', restaurant_owners: 'auth-ownership' },
};
/** Bookkeeping, not content: the per-stream checkpoints applyOnce/applyEvents keep inside documents. */
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
      readOnly(new DynamoDBEventStore({ client: dynamodb, tableName: topo.services[s].table, service: s, serializeTransactions: true, readByKey: true }), wouldAppend),
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
