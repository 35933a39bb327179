/**
 * Rebuild: the one meaning of the word here. A read model rebuilt from the event store, without the queue:
 * read the service's history in pages, fold each stream with the projection's OWN fold (the `StreamFold` its
 * live consumer applies, projections/projection.ts), and write the documents in bulk (unordered insertMany,
 * batches, a few in flight), each with the checkpoint (`_v`) the live path would have left, so the live
 * consumer then skips what the rebuild applied and applies only newer events.
 *
 * Every projection has that shape (documents each fed by ONE stream and written whole), so every consumer's
 * read model rebuilds this way. (Re-sending the history through a consumer's queue is another thing,
 * eventstore/replay.ts `replayViaQueue`.)
 *
 * Steps: 1. empty the collections (deleteMany, which keeps their indexes); 2. read, fold, insert; 3. hand
 * every stream the bulk could not settle to the live path: `store.readStream` + projectionHandler, the code a
 * consumer runs when it heals a gap. A stream goes there when
 * - its insert met a duplicate key: the live consumer wrote that document meanwhile (it met an empty read
 *   model, got a GapError and read the stream from the store); applyEvents keeps whichever is newer;
 * - the source showed it with a missing version, or again after other streams (`grouped` sources only).
 *
 * Concurrency with the live consumer (it may keep running):
 * - A live write between step 1 and a document's insert either creates the document first (the insert then
 *   collides and step 3 applies what the live one lacks, or nothing) or comes later and applies on top of the
 *   inserted checkpoint (or skips). Both sides fold the same events with the same code; every document is
 *   written whole, so there is never a mix of two states.
 * - MongoDB (writeGuard 'checkpoint'): step 3's writes are conditioned on the checkpoint read, like the
 *   consumer's: race-proof.
 * - FerretDB (writeGuard 'id', no transactions): step 3 and the consumer write by `_id` alone, so if both
 *   write one document in the same moment the older state may land last: the document is then a consistent
 *   older state with its own checkpoint, and the stream's next delivery (the event the consumer has not
 *   applied is still in its queue) brings it forward. A consumer write that read a document before step 1
 *   and writes it after step 2's insert can do the same (replace a newer inserted document with an older
 *   state), healed the same way. Both touch only documents the consumer wrote during the rebuild. To rule
 *   them out, stop the pipeline's consumer during the rebuild (its queue keeps the messages; nothing is lost).
 * - A live write landing in a document the truncate then deletes is re-created by the rebuild (the store
 *   holds the event) or by the consumer's next delivery (GapError → read from the store).
 *
 * Interrupted and re-run: the re-run empties the collections again and starts over; the result depends only
 * on the store. A half-done run leaves a read model with some documents missing, which the live consumer
 * heals one stream at a time as events arrive, but a re-run is what makes it whole.
 */
import type { Db, Document } from 'mongodb';
import { checkpointed, type WriteGuard } from '../eventstore/checkpoint';
import type { EventStore, StoredEvent } from '../eventstore/types';
import { projectionHandler, truncateProjection, type Projection, type StreamFold } from './projection';

export interface DirectRebuildOptions {
  db: Db;
  store: Pick<EventStore, 'readAll' | 'readStream'>;
  projection: Projection;
  /** The history, default `store.readAll()`; per-stream version order required. */
  source?: AsyncIterable<StoredEvent>;
  /**
   * The source yields each stream's events together (DynamoDB's readAll and `scanHistory` do): a stream's
   * document is written as soon as the next stream starts. false: all documents are written at the end.
   */
  grouped?: boolean;
  /** How the fallback's writes are conditioned (platform/runtime.ts picks it per server). */
  writeGuard?: WriteGuard;
  /** Documents per insertMany (default 1,000) and insertMany calls in flight (default 2). */
  batchSize?: number;
  concurrency?: number;
  /** Empty the collections first (default true). */
  truncate?: boolean;
  onProgress?: (p: { events: number; documents: number }) => void;
}

export interface DirectRebuildReport {
  events: number;
  streams: number;
  /** Documents inserted in bulk. */
  documents: number;
  /** Streams handed to the live path (duplicate key, gap, or not grouped), with the reason counts. */
  fallback: { duplicate: number; gap: number; regrouped: number };
  /** Wall-clock milliseconds: emptying, then everything after it. */
  truncateMs: number;
  ms: number;
  /** Where the time went (ms, each summed over its calls; reads and writes overlap in wall-clock time). */
  readMs: number;
  foldMs: number;
  writeMs: number;
  fallbackMs: number;
}

interface Pending {
  fold: StreamFold;
  doc: Document | undefined;
  version: number;
  events: number;
}

interface WriteError {
  index: number;
  code: number;
}

function writeErrorsOf(err: unknown): WriteError[] | undefined {
  const e = err as { writeErrors?: unknown; code?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (Array.isArray(e.writeErrors)) return (e.writeErrors as Array<{ index: number; code: number }>).map((w) => ({ index: w.index, code: w.code }));
  if (e.writeErrors && typeof e.writeErrors === 'object') {
    const w = e.writeErrors as { index: number; code: number };
    return [{ index: w.index, code: w.code }];
  }
  return undefined;
}

export async function rebuildDirect(o: DirectRebuildOptions): Promise<DirectRebuildReport> {
  const batchSize = o.batchSize ?? 1000;
  const concurrency = o.concurrency ?? 2;
  const grouped = o.grouped ?? true;
  const t0 = performance.now();
  if (o.truncate ?? true) await truncateProjection(o.db, o.projection);
  const t1 = performance.now();

  const report: DirectRebuildReport = {
    events: 0,
    streams: 0,
    documents: 0,
    fallback: { duplicate: 0, gap: 0, regrouped: 0 },
    truncateMs: t1 - t0,
    ms: 0,
    readMs: 0,
    foldMs: 0,
    writeMs: 0,
    fallbackMs: 0,
  };
  /** Streams the bulk leaves to the live path, by id. */
  const fallback = new Set<string>();
  const open = new Map<string, Pending>();
  const closed = new Set<string>();
  const buffers = new Map<string, Array<{ doc: Document; streamId: string }>>();
  const inFlight = new Set<Promise<void>>();
  let firstError: unknown;

  const insert = async (collection: string, batch: Array<{ doc: Document; streamId: string }>) => {
    const w0 = performance.now();
    try {
      await o.db.collection(collection).insertMany(batch.map((b) => b.doc), { ordered: false });
      report.documents += batch.length;
    } catch (err) {
      const errors = writeErrorsOf(err);
      if (!errors || errors.some((x) => x.code !== 11000)) throw err;
      // documents the live consumer created meanwhile: settled by the live path below
      for (const x of errors) {
        const b = batch[x.index]!;
        fallback.add(b.streamId);
        report.fallback.duplicate++;
      }
      report.documents += batch.length - errors.length;
    } finally {
      report.writeMs += performance.now() - w0;
    }
  };

  const launch = async (collection: string) => {
    const batch = buffers.get(collection);
    if (!batch || batch.length === 0) return;
    buffers.set(collection, []);
    const p: Promise<void> = insert(collection, batch)
      .catch((err: unknown) => {
        firstError ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (firstError) throw firstError;
  };

  const close = async (streamId: string) => {
    const p = open.get(streamId);
    open.delete(streamId);
    closed.add(streamId);
    if (!p || fallback.has(streamId) || p.doc === undefined) return;
    const buf = buffers.get(p.fold.collection) ?? [];
    buffers.set(p.fold.collection, buf);
    buf.push({ doc: { _id: p.fold.docId, ...checkpointed(p.doc, streamId, p.version) }, streamId });
    if (buf.length >= batchSize) await launch(p.fold.collection);
  };

  let current: string | undefined;
  const it = (o.source ?? o.store.readAll())[Symbol.asyncIterator]();
  for (;;) {
    const r0 = performance.now();
    const next = await it.next();
    report.readMs += performance.now() - r0;
    if (next.done) break;
    const e = next.value;
    report.events++;
    if (e.streamId !== current) {
      if (grouped && current !== undefined) await close(current);
      current = e.streamId;
      if (grouped && closed.has(e.streamId) && !fallback.has(e.streamId)) {
        // the source came back to a stream it had left: its document is (being) written; top it up later
        if (o.projection.foldOf(e.streamId)) {
          fallback.add(e.streamId);
          report.fallback.regrouped++;
        }
      }
    }
    if (fallback.has(e.streamId)) continue;
    const f0 = performance.now();
    let p = open.get(e.streamId);
    if (!p) {
      const fold = o.projection.foldOf(e.streamId);
      if (!fold) {
        report.foldMs += performance.now() - f0;
        continue;
      }
      p = { fold, doc: undefined, version: 0, events: 0 };
      open.set(e.streamId, p);
      report.streams++;
    }
    if (e.version === p.version + 1) {
      p.doc = p.fold.evolve(p.doc, e);
      p.version = e.version;
      p.events++;
    } else if (e.version > p.version + 1) {
      // a version the source did not show: the live path reads the stream whole
      fallback.add(e.streamId);
      open.delete(e.streamId);
      report.fallback.gap++;
    } // else: a repeated version, already folded
    report.foldMs += performance.now() - f0;
    if (report.events % 1000 === 0) o.onProgress?.({ events: report.events, documents: report.documents });
  }
  for (const id of [...open.keys()]) await close(id);
  for (const c of buffers.keys()) await launch(c);
  await Promise.all(inFlight);
  if (firstError) throw firstError;

  // what the bulk could not settle: the live consumer's own path, stream by stream
  const b0 = performance.now();
  const live = projectionHandler(o.db, o.projection, o.writeGuard ? { writeGuard: o.writeGuard } : {});
  for (const streamId of fallback) {
    const events = await o.store.readStream(streamId);
    if (events.length > 0) await live.handleStream(events);
  }
  report.fallbackMs = performance.now() - b0;
  report.ms = performance.now() - t1;
  o.onProgress?.({ events: report.events, documents: report.documents });
  return report;
}
