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
 * The pipeline's integration tests also apply events as MongoDB update operators (`$inc`, `$push`, …) with
 * the same checkpoint rule: eventstore/testing/apply-once.ts, which is not production code.
 */
import type { Collection, Document, Filter } from 'mongodb';
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

/** Mongo field names may not contain '.' nor start with '$': percent-encode those. */
function key(streamId: string): string {
  return streamId.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

/** The dotted path of a stream's checkpoint inside a projected document. */
export function checkpointField(streamId: string): string {
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
export const MAX_ROUNDS = 5;

/** The document whose checkpoint for the stream is still `current` (0: has none). */
export function guardFilter(docId: string, field: string, current: number): Filter<{ _id: string }> {
  return { _id: docId, [field]: current === 0 ? { $exists: false } : current };
}

/** MongoDB's duplicate-key error (code 11000): an insert or upsert met a document created meanwhile. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
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
