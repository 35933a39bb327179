/**
 * Test support, not production code: applies ONE event to a MongoDB document as an update operator
 * (`$inc`, `$push`, …) instead of a fold, under the same per-stream checkpoint rule as applyEvents
 * (eventstore/checkpoint.ts): already applied → 'skipped', next version → 'applied', a later one → GapError.
 * The pipeline's integration tests count deliveries with it; no read model uses it.
 *
 * FerretDB caveat (measured once against FerretDB 2.x, which reports "7.0.42"; the stack runs FerretDB
 * 1.24, where it was not measured): when several updates of ONE document race, the effect is applied exactly once,
 * but more than one caller may be told matchedCount = 1, so applyOnce's outcome ('applied' vs 'skipped') is
 * advisory under such races. SQS FIFO never delivers two messages of one group at once, and the consumer
 * serializes a group's redeliveries (consumer.ts), so a consumer does not race itself in practice.
 */
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { checkpointField, checkpointOf, GapError, guardFilter, isDuplicateKey, MAX_ROUNDS, type WriteGuard } from '../checkpoint';
import type { StoredEvent } from '../types';

export type ApplyOutcome = 'applied' | 'skipped';

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
