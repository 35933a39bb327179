/**
 * The reservation service's waitlist read model (issue 14), fed by its own events: one document per
 * waitlist stream (a restaurant's opening day, `waitlistStreamId`) holding exactly the waitlist decider's
 * state, plus an indexed `entryIds` array so GET /waitlist/:entryId finds the day an entry belongs to.
 * Like the ledgers, the document is the decider's own fold (waitlistDecider.evolve), so the read model
 * can never disagree with the workflow about who is next.
 *
 * The views the routes answer with are mapped here, from the state alone (position and queue order are
 * the domain's rules: positionOf, queueOf).
 */
import type { Collection, Db } from 'mongodb';
import { checkpointOf } from '../eventstore/checkpoint';
import type { EventStore, StoredEvent } from '../eventstore/types';
import { positionOf, queueOf, waitlistDecider, waitlistStreamId, type WaitlistEvent, type WaitlistState, type WaitlistStatus } from '../domain/reservation/waitlist';
import { documentPerStream, type Projection } from './projection';

export const WAITLISTS = 'waitlists';

/** The restaurant and opening date (YYYY-MM-DD) of a `waitlistStreamId`, undefined for any other stream. */
export function waitlistOfStream(streamId: string): { restaurantId: string; openingDate: string } | undefined {
  const m = /^waitlist-(.+)-(\d{4}-\d{2}-\d{2})$/.exec(streamId);
  if (!m) return undefined;
  const [, restaurantId, openingDate] = m as unknown as [string, string, string];
  // the round trip: a builder that changes cannot be misread here
  return waitlistStreamId(restaurantId, openingDate) === streamId ? { restaurantId, openingDate } : undefined;
}

/** One waitlist day: its key and the decider's state. */
export interface WaitlistDay {
  restaurantId: string;
  openingDate: string;
  state: WaitlistState;
}

/**
 * The state as stored: without `offeredTables`, which is keyed by table id (any string the owner chose, and
 * a field name with a '.' or a leading '$' is not one every MongoDB-compatible server stores) and follows
 * from the entries anyway: each offered entry holds its table's one live offer.
 */
type StoredState = Omit<WaitlistState, 'offeredTables'>;
type WaitlistBody = { restaurantId: string; openingDate: string; state: StoredState; entryIds: string[] };
type WaitlistDoc = WaitlistBody & { _id: string };

/** The decider's state from what a document stores. */
export function stateOf(stored: StoredState | undefined): WaitlistState {
  if (!stored) return waitlistDecider.initialState();
  const offeredTables: Record<string, string> = {};
  for (const e of Object.values(stored.entries)) if (e.status === 'offered' && e.offer) offeredTables[e.offer.tableId] = e.entryId;
  return { entries: stored.entries, queue: stored.queue, offeredTables };
}

function evolveDay(key: { restaurantId: string; openingDate: string }, doc: WaitlistBody | undefined, e: StoredEvent): WaitlistBody {
  const { offeredTables: _derived, ...state } = waitlistDecider.evolve(stateOf(doc?.state), e as StoredEvent<WaitlistEvent>);
  // the queue holds every entry ever joined, in join order: the ids to look an entry up by
  return { ...key, state, entryIds: state.queue };
}

/**
 * The waitlists read model (`waitlists`). Index: the entry lookup (`entryIds`, multikey); a day's list is
 * read by `_id` (the stream id).
 */
export const waitlistProjection: Projection = {
  name: 'waitlists',
  collections: [WAITLISTS],
  foldOf: documentPerStream(
    WAITLISTS,
    (streamId) => (waitlistOfStream(streamId) ? streamId : undefined),
    (docId) => {
      const key = waitlistOfStream(docId)!;
      return (doc, e) => evolveDay(key, doc as WaitlistBody | undefined, e);
    },
  ),
  indexes: { [WAITLISTS]: [{ key: { entryIds: 1 }, name: 'by_entry' }] },
};

// ---- views

export interface WaitlistOfferView {
  start: string;
  tableId: string;
  expiresAt: string;
}

/** An entry as GET /waitlist/:entryId and the owner's list answer with it. */
export interface WaitlistEntryView {
  entryId: string;
  restaurantId: string;
  customerId: string;
  partySize: number;
  start: string;
  flexMinutes: number;
  status: WaitlistStatus;
  /** While waiting: 1 = next in line. */
  position?: number;
  /** While offered. */
  offer?: WaitlistOfferView;
  /** Once booked. */
  reservationId?: string;
}

/** The entry's view, or null when the day has no such entry. */
export function entryView(day: WaitlistDay, entryId: string): WaitlistEntryView | null {
  const e = day.state.entries[entryId];
  if (!e) return null;
  const position = positionOf(day.state, entryId);
  return {
    entryId: e.entryId,
    restaurantId: day.restaurantId,
    customerId: e.customerId,
    partySize: e.partySize,
    start: e.start,
    flexMinutes: e.flexMinutes,
    status: e.status,
    ...(position !== undefined ? { position } : {}),
    // the freed interval and who was passed over are the workflow's business, not the diner's
    ...(e.status === 'offered' && e.offer ? { offer: { start: e.offer.start, tableId: e.offer.tableId, expiresAt: e.offer.expiresAt } } : {}),
    ...(e.reservationId !== undefined ? { reservationId: e.reservationId } : {}),
  };
}

/** Every entry of the day in queue (join) order. */
export const queueViews = (day: WaitlistDay): WaitlistEntryView[] => queueOf(day.state).flatMap((e) => entryView(day, e.entryId) ?? []);

// ---- queries

export interface WaitlistQueries {
  /** The day an entry belongs to, or null when no waitlist has it (yet: the read model is about a second behind). */
  dayOfEntry(entryId: string): Promise<WaitlistDay | null>;
  /** A restaurant's waitlist for an opening day (empty when nobody joined). */
  day(restaurantId: string, openingDate: string): Promise<WaitlistDay>;
}

/**
 * The read model's queries. With `store`, each answer also folds the events its document has not caught
 * up with yet (read from the stream after the document's checkpoint, usually none): an accept, a withdrawal
 * or an offer is seen at once, through any API process. Only an entry's very first lookup depends on the
 * read model having the join.
 */
export function waitlistQueries(db: Db, store?: Pick<EventStore, 'readStream'>): WaitlistQueries {
  const waitlists: Collection<WaitlistDoc> = db.collection<WaitlistDoc>(WAITLISTS);

  async function current(streamId: string, doc: (WaitlistDoc & { _v?: unknown }) | null, key: { restaurantId: string; openingDate: string }): Promise<WaitlistDay> {
    let state = stateOf(doc?.state);
    if (store) {
      const after = checkpointOf(doc, streamId);
      const tail = (await store.readStream(streamId, { fromVersion: after + 1 })) as StoredEvent<WaitlistEvent>[];
      state = tail.reduce(waitlistDecider.evolve, state);
    }
    return { ...key, state };
  }

  return {
    async dayOfEntry(entryId) {
      const doc = await waitlists.findOne({ entryIds: entryId });
      if (!doc) return null;
      return current(doc._id, doc, { restaurantId: doc.restaurantId, openingDate: doc.openingDate });
    },
    async day(restaurantId, openingDate) {
      const streamId = waitlistStreamId(restaurantId, openingDate);
      return current(streamId, await waitlists.findOne({ _id: streamId }), { restaurantId, openingDate });
    },
  };
}
