/**
 * The one shape of a read model, and the one way to apply events to it.
 *
 * A projection says, for a source stream, which document its events fold into and how (`foldOf`: a pure
 * `evolve(doc, event) → doc`), which collections it writes (what `truncate` empties) and which indexes its
 * queries need (`init`, run when its consumer and the API's readers start). Nothing else: the live path
 * (`projectionHandler`: read the document, fold the run of events after its checkpoint, write it back with
 * the checkpoint, eventstore/checkpoint.ts applyEvents) and the rebuild (projections/rebuild.ts: scan the
 * store, fold with the same evolve, bulk insert with the same checkpoints) are written once, here and
 * there, for every projection.
 *
 * Every document is fed by ONE stream and written whole (the checkpoint `_v` inside it says how far that
 * stream got), so a redelivery is skipped, a gap throws the one GapError (the consumer reads the missing
 * events from the store), and a rebuilt document equals the live one, checkpoint included (but for a write
 * time a fold may stamp, e.g. the reservations' `changedAt`, which both paths set).
 */
import type { Collection, Db, Document, IndexDescription } from 'mongodb';
import { applyEvents, type WriteGuard } from '../eventstore/checkpoint';
import type { StoredEvent } from '../eventstore/types';

/** Where a stream's events land and how they fold into that document. */
export interface StreamFold {
  collection: string;
  docId: string;
  /** Pure: the document after `event` (`doc` undefined: none yet). Events come in version order, each once. */
  evolve: (doc: Document | undefined, event: StoredEvent) => Document;
}

/**
 * `foldOf` for a read model with one document per stream of one kind: the document's id is what `idOf`
 * parses from the stream id (undefined: a stream this projection ignores); `evolve` gets that id.
 */
export function documentPerStream(
  collection: string,
  idOf: (streamId: string) => string | undefined,
  evolve: (docId: string) => StreamFold['evolve'],
): (streamId: string) => StreamFold | undefined {
  return (streamId) => {
    const docId = idOf(streamId);
    return docId === undefined ? undefined : { collection, docId, evolve: evolve(docId) };
  };
}

export interface Projection {
  /** For logs and errors. */
  name: string;
  /** Every collection it writes: what `truncate` empties before a rebuild. */
  collections: readonly string[];
  /** The fold of a stream's events, undefined for a stream this projection ignores (its `canHandle`). */
  foldOf(streamId: string): StreamFold | undefined;
  /**
   * Secondary indexes its queries use, per collection, each named. Only those: on FerretDB 1.24 every index
   * costs each write CPU, and lookups by `_id` need none.
   */
  indexes?: Readonly<Record<string, ReadonlyArray<IndexDescription & { name: string }>>>;
}

/** Attempts at creating a projection's indexes: the API and the pipeline may start at the same moment. */
const INIT_ATTEMPTS = 5;

/**
 * Creates the projection's indexes that do not exist yet. FerretDB 1.24 drops the connection of one of two
 * createIndexes running at once on a collection (the API and the pipeline start together): the loser
 * waits, looks again and finds them made.
 */
export async function initProjection(db: Db, p: Projection): Promise<void> {
  for (const [collection, indexes] of Object.entries(p.indexes ?? {})) {
    const col = db.collection(collection);
    for (let attempt = 1; ; attempt++) {
      try {
        const have = new Set((await col.listIndexes().toArray().catch(() => [])).map((i) => String(i.name)));
        const missing = indexes.filter((i) => !have.has(i.name));
        if (missing.length > 0) await col.createIndexes([...missing]);
        break;
      } catch (err) {
        if (attempt >= INIT_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt + Math.random() * 200));
      }
    }
  }
}

/** Empties what the projection built (deleteMany keeps the indexes). */
export async function truncateProjection(db: Db, p: Projection): Promise<void> {
  for (const c of p.collections) await db.collection(c).deleteMany({});
}

export type EventHandler = (event: StoredEvent) => Promise<void>;

export interface ProjectionHandler {
  /** One event. Idempotent; throws GapError when an earlier event of its stream has not been applied. */
  handle: EventHandler;
  /** A run of ONE stream's events in version order: one read and one write of its document. */
  handleStream: (events: readonly StoredEvent[]) => Promise<void>;
}

/** The live path of a projection: its events applied with their checkpoint (see applyEvents). */
export function projectionHandler(db: Db, p: Projection, opts: { writeGuard?: WriteGuard } = {}): ProjectionHandler {
  const guard = opts.writeGuard ? { writeGuard: opts.writeGuard } : {};
  async function handleStream(events: readonly StoredEvent[]): Promise<void> {
    const streamId = events[0]?.streamId;
    if (streamId === undefined) return;
    const fold = p.foldOf(streamId);
    if (!fold) return;
    const col = db.collection(fold.collection) as unknown as Collection<Document & { _id: string }>;
    await applyEvents(col, fold.docId, events, fold.evolve, guard);
  }
  return { handle: (event) => handleStream([event]), handleStream };
}
