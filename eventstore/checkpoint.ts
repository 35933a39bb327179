/**
 * Exactly-once effect for MongoDB projections fed by an at-least-once queue, without transactions
 * (FerretDB has none). The checkpoint lives in the projected document itself, in `_v`, one entry per
 * source stream: `_v: { "<streamId>": <last applied version> }`, written in the same single-document write
 * as the change, so the two can never diverge.
 *
 *   event.version <= checkpoint     → already applied, skipped
 *   event.version == checkpoint + 1 → applied
 *   event.version >  checkpoint + 1 → GapError(streamId, expected): an earlier one is missing; the consumer
 *                                     reads it from the store (consumer.ts), else the message is retried
 *
 * `applyEvents` is how every read model is written (projections/projection.ts projectionHandler): read the
 * document, fold the run of events after its checkpoint with the projection's `evolve`, replace it. The
 * direct rebuild (projections/rebuild.ts) writes the same documents with `checkpointed`.
 *
 * `applyOnce` applies one event as a MongoDB update operator instead of a fold (`$inc`, `$push`, …): the
 * pipeline's integration tests count deliveries with it. No read model uses it.
 *
 * FerretDB caveat (measured once against FerretDB 2.x, which reports "7.0.42"; the stack runs FerretDB
 * 1.24, where it was not measured): when several updates of ONE document race, the effect is applied exactly once,
 * but more than one caller may be told matchedCount = 1, so applyOnce's outcome ('applied' vs 'skipped') is
 * advisory under such races. SQS FIFO never delivers two messages of one group at once, and the consumer
 * serializes a group's redeliveries (consumer.ts), so a consumer does not race itself in practice.
 */
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import type { StoredEvent } from './types';

export class GapError extends Error {
  override readonly name = 'GapError';
  constructor(
    readonly streamId: string,
    readonly expected: number,
    readonly got: number,
  ) {
    super(`stream ${streamId}: expected version ${expected}, got ${got}; an earlier event has not been applied yet`);
  }
}

export type ApplyOutcome = 'applied' | 'skipped';

/**
 * What a write after a read is conditioned on, so that two deliveries of one stream handled at the same
 * time (a batch that outlived its visibility timeout) cannot write an older state over a newer one:
 * - 'checkpoint' (default): the write's filter also requires the checkpoint that was read
 *   (`{ _id, '_v.<stream>': n }`); on no match it reads again and decides again. Race-proof, and on
 *   MongoDB as cheap as `{ _id }` (both use the `_id` index).
 * - 'id': the write goes by `_id` alone. Relies on one handler per stream at a time: SQS FIFO groups, the
 *   runner's visibility heartbeat and createSqsHandler's per-group serialization (consumer.ts), which hold
 *   within one consumer process. For FerretDB 1.24 on SQLite, where any filter beyond `{ _id }` is a scan
 *   FerretDB runs document by document: measured 3–4× slower per write at 1,000–3,000 documents
 *   (bench/checkpoint-guard.ts). platform/runtime.ts picks 'id' when it finds FerretDB.
 */
export type WriteGuard = 'checkpoint' | 'id';

export interface ApplyOptions {
  /** 'contiguous' (default): every version of the stream reaches this doc. 'monotonic': only some do. */
  mode?: 'contiguous' | 'monotonic';
  /**
   * How the checkpoint is enforced:
   * - 'read-then-write' (default): read the doc by `_id`, check the checkpoint in code, then write,
   *   conditioned as `writeGuard` says. Reading first is what FerretDB does least badly (an exact `{_id}`
   *   filter is a scan SQLite runs, any other filter a scan FerretDB runs document by document).
   * - 'filter': the check is part of the update's filter, one write and no read when nothing races.
   */
  guard?: 'read-then-write' | 'filter';
  /** With 'read-then-write': what the write is conditioned on. Default 'checkpoint'. */
  writeGuard?: WriteGuard;
}

/** Mongo field names may not contain '.' nor start with '$': percent-encode those. */
function key(streamId: string): string {
  return streamId.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

/** The dotted path of a stream's checkpoint inside a projected document. */
function checkpointField(streamId: string): string {
  return `_v.${key(streamId)}`;
}

/**
 * A document fed by one stream as applyEvents writes it: the folded body and the checkpoints it had, with
 * this stream's set to `version`. The direct rebuild (projections/rebuild.ts) writes the same shape.
 */
export function checkpointed<D extends Document>(body: D, streamId: string, version: number, checkpoints?: Record<string, number>): D & { _v: Record<string, number> } {
  return { ...body, _v: { ...checkpoints, [key(streamId)]: version } };
}

/** The version of `streamId` last applied to `doc`, 0 if none. */
export function checkpointOf(doc: Document | null | undefined, streamId: string): number {
  const v = (doc?._v as Record<string, unknown> | undefined)?.[key(streamId)];
  return typeof v === 'number' ? v : 0;
}

/** Reads and guarded writes of one document before giving up on a race (the message is then retried). */
const MAX_ROUNDS = 5;

/** The document whose checkpoint for the stream is still `current` (0: has none). */
function guardFilter(docId: string, field: string, current: number): Filter<{ _id: string }> {
  return { _id: docId, [field]: current === 0 ? { $exists: false } : current };
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

export async function applyOnce<T extends Document>(
  collection: Collection<T>,
  docId: string,
  event: Pick<StoredEvent, 'streamId' | 'version'>,
  update: UpdateFilter<T>,
  opts: ApplyOptions = {},
): Promise<ApplyOutcome> {
  const field = checkpointField(event.streamId);
  const u = update as UpdateFilter<Document>;
  for (const op of Object.values(u)) {
    if (op && typeof op === 'object' && Object.keys(op).some((k) => k === '_v' || k.startsWith('_v.'))) {
      throw new Error('applyOnce: the update must not touch _v (the checkpoint)');
    }
  }
  const merged: UpdateFilter<Document> = { ...u, $set: { ...(u.$set ?? {}), [field]: event.version } };
  const col = collection as unknown as Collection<{ _id: string }>;
  const monotonic = opts.mode === 'monotonic';

  if ((opts.guard ?? 'read-then-write') === 'read-then-write') {
    // The write is guarded by the checkpoint just read: two deliveries of one message handled at once (a
    // batch that outlived its visibility timeout) cannot both apply it, nor move the checkpoint back.
    for (let round = 1; ; round++) {
      const current = checkpointOf(await col.findOne({ _id: docId }, { projection: { _v: 1 } }), event.streamId);
      if (current >= event.version) return 'skipped';
      if (!monotonic && current !== event.version - 1) throw new GapError(event.streamId, current + 1, event.version);
      try {
        const filter = opts.writeGuard === 'id' ? { _id: docId } : guardFilter(docId, field, current);
        const res = await col.updateOne(filter, merged as UpdateFilter<{ _id: string }>, { upsert: opts.writeGuard === 'id' || current === 0 });
        if (res.matchedCount === 1 || res.upsertedCount === 1) return 'applied';
      } catch (err) {
        // the guard refused a document created meanwhile, so the upsert collided with it
        if (!isDuplicateKey(err)) throw err;
      }
      // someone else wrote this stream's checkpoint since the read: read again and decide again
      if (round >= MAX_ROUNDS) throw new Error(`applyOnce: ${docId} keeps changing under ${event.streamId} v${event.version}; retry`);
    }
  }

  let filter: Filter<{ _id: string }>;
  if (monotonic) filter = { _id: docId, $or: [{ [field]: { $lt: event.version } }, { [field]: { $exists: false } }] };
  else if (event.version === 1) filter = { _id: docId, [field]: { $exists: false } };
  else filter = { _id: docId, [field]: event.version - 1 };
  // only a first event may create the document (any event in monotonic mode)
  const upsert = monotonic || event.version === 1;

  try {
    const res = await col.updateOne(filter, merged as UpdateFilter<{ _id: string }>, { upsert });
    if (res.matchedCount === 1 || res.upsertedCount === 1) return 'applied';
  } catch (err) {
    // the document exists but the filter refused it: a duplicate or older event
    if (!(upsert && isDuplicateKey(err))) throw err;
  }
  const current = checkpointOf(await col.findOne({ _id: docId }, { projection: { _v: 1 } }), event.streamId);
  if (current >= event.version) return 'skipped';
  if (monotonic) throw new Error(`applyOnce: concurrent update of ${docId}; retry`);
  throw new GapError(event.streamId, current + 1, event.version);
}

/**
 * A document projection fed by ONE stream: the document is evolved in code, event by event, from what is
 * stored, and written back with its checkpoint in one replace — one read and one write for a whole run of
 * a stream's events (what a queue batch usually holds), instead of two per event.
 *
 * Events must be of one stream in ascending versions. Already applied ones are skipped; the contiguous
 * run after the checkpoint is applied; if a version is missing the run stops there and a GapError asks
 * for the rest again (the consumer reads them from the store). Use it only for documents no other stream
 * writes. The replace is conditioned on the checkpoint read (see WriteGuard), so a checkpoint never
 * moves back.
 *
 * Why: FerretDB 1.24's SQLite backend queries `_id` as `_ferretdb_sjson->'$._id'` while its unique index
 * is on `_ferretdb_sjson->"_id"`, so SQLite never uses the index: every read and write by `_id` scans the
 * collection (measured: 0.4 ms per find at 30 docs, 6.4 ms at 3,000). On MongoDB both are index lookups.
 */
export async function applyEvents<D extends Document, E extends Pick<StoredEvent, 'streamId' | 'version'>>(
  collection: Collection<D & { _id: string }>,
  docId: string,
  events: readonly E[],
  evolve: (doc: D | undefined, event: E) => D,
  opts: { writeGuard?: WriteGuard } = {},
): Promise<{ applied: number; skipped: number }> {
  const streamId = events[0]?.streamId;
  if (streamId === undefined) return { applied: 0, skipped: 0 };
  if (events.some((e) => e.streamId !== streamId)) throw new Error('applyEvents: events must be of one stream');
  // a replay or a late republish may repeat a version or come after newer ones: one of each, in order
  const ordered = [...new Map(events.map((e) => [e.version, e])).values()].sort((a, b) => a.version - b.version);
  const col = collection as unknown as Collection<Document>;

  for (let round = 1; ; round++) {
    const stored = await col.findOne({ _id: docId as never });
    const current = checkpointOf(stored, streamId);
    const todo = ordered.filter((e) => e.version > current);
    if (todo.length === 0) return { applied: 0, skipped: events.length };

    let expected = current + 1;
    const run: E[] = [];
    for (const e of todo) {
      if (e.version !== expected) break;
      run.push(e);
      expected++;
    }
    if (run.length === 0) throw new GapError(streamId, current + 1, todo[0]!.version);

    const { _id: _stored, _v: checkpoints, ...body } = (stored ?? {}) as Document;
    let doc = stored ? (body as D) : undefined;
    for (const e of run) doc = evolve(doc, e);
    const next = checkpointed(doc as D, streamId, run.at(-1)!.version, checkpoints as Record<string, number> | undefined);
    try {
      if (stored) {
        // guarded by the checkpoint read above: a delivery handled twice at once (a batch that outlived
        // its visibility timeout) must not write an older state over a newer one
        const filter = opts.writeGuard === 'id' ? { _id: docId } : guardFilter(docId, checkpointField(streamId), current);
        const res = await col.replaceOne(filter as Filter<Document>, next);
        if (res.matchedCount === 0) {
          if (round < MAX_ROUNDS) continue; // it changed since the read: start again from what is there
          throw new Error(`applyEvents: ${docId} keeps changing under ${streamId}; retry`);
        }
      } else await col.insertOne({ _id: docId as never, ...next });
    } catch (err) {
      // an overlapping delivery created the document meanwhile: start again from what it wrote
      if (isDuplicateKey(err) && round < MAX_ROUNDS) continue;
      throw err;
    }
    if (run.length < todo.length) throw new GapError(streamId, expected, todo[run.length]!.version);
    return { applied: run.length, skipped: events.length - run.length };
  }
}
