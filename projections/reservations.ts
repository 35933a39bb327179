/**
 * The reservation service's read models, fed by its own events:
 * - `reservations`: one document per reservation (list and detail routes), with its history;
 * - `ledgers`: one document per restaurant and opening date with the current holds and confirmations,
 *   so availability is answered from a projection, never by replaying event streams per request.
 * Both are projections (projections/projection.ts): each document is folded from ONE stream and written
 * whole, read-and-replace with its checkpoint (`_v`) inside it (FerretDB has no transactions).
 */
import type { Collection, Db } from 'mongodb';
import { checkpointOf } from '../eventstore/checkpoint';
import type { StoredEvent } from '../eventstore/types';
import { ledgerDecider, ledgerStreamId, type LedgerBooking, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import { reservationStreamId, type ReservationDetails, type ReservationEvent } from '../domain/reservation/reservation';
import type { ReservationStatus } from '../domain/reservation/reservation';
import { NO_SHOW, noShowCount } from '../domain/reservation/floor';
import { statusAfter } from '../domain/reservation/rules';
import { addDays } from '../domain/time/zoned-time';
import type { Projection, StreamFold } from './projection';
import { ledgerOfStream, reservationIdOfStream } from './stream-ids';

/** The request's details (less the acceptance mode), where it stands, and what happened when. */
export interface ReservationView extends Omit<ReservationDetails, 'acceptance'> {
  status: ReservationStatus;
  history: Array<{ type: string; at: string }>;
}

/**
 * `changedAt`: when the document was last written (the clock when its fold ran, just before the write,
 * live or rebuild): the change marker live updates poll by (api/reservation/live.ts). Not part of the
 * stream's state, so never in a view; documents written before it existed have none.
 */
type ReservationDoc = Omit<ReservationView, 'reservationId'> & { _id: string; startAt: Date; changedAt?: Date };
type LedgerDoc = { _id: string; restaurantId: string; date: string; bookings: Record<string, LedgerBooking> };

type ReservationBody = Omit<ReservationDoc, '_id'>;
type LedgerBody = Omit<LedgerDoc, '_id'>;

function evolveReservation(doc: ReservationBody | undefined, e: StoredEvent<ReservationEvent>): ReservationBody {
  const entry = { type: e.type, at: e.metadata.occurredAt };
  if (e.type === 'ReservationRequested') {
    const { reservationId: _r, acceptance: _a, ...d } = e.data;
    return { ...d, startAt: new Date(d.start), status: statusAfter(e.type, 'pending'), history: [entry] };
  }
  // version 1 is always the request, and events are applied in order
  if (!doc) throw new Error(`reservation ${e.streamId}: ${e.type} before ReservationRequested`);
  return { ...doc, status: statusAfter(e.type, doc.status), history: [...doc.history, entry] };
}

/** A reservation's view straight from its events (for a reader the read model has not caught up with). */
export function reservationViewOf(reservationId: string, events: readonly StoredEvent<ReservationEvent>[]): ReservationView | null {
  if (events.length === 0) return null;
  const { startAt: _startAt, ...body } = events.reduce<ReservationBody | undefined>(evolveReservation, undefined)!;
  return { reservationId, ...body };
}

/**
 * What a list is narrowed to: a status, and a range of starts, as instants (`from` inclusive, `to`
 * exclusive) and/or local calendar dates, YYYY-MM-DD, in each reservation's restaurant timezone
 * (`fromDate` and `toDate` both inclusive: from 2026-12-24 to 2026-12-24 is that day). All that is given applies.
 */
export interface ListFilter {
  status?: string;
  from?: Date;
  to?: Date;
  fromDate?: string;
  toDate?: string;
}

/** Most a list answers with (the earliest starts first). */
export const LIST_LIMIT = 500;

/**
 * The filter as bounds on what a document stores: instants on `startAt`; local dates on `start`, which is
 * ISO 8601 in the restaurant's own offset, so its first ten characters are its local date.
 */
function bounds(f: ListFilter): { startAt?: { $gte?: Date; $lt?: Date }; start?: { $gte?: string; $lt?: string } } {
  const startAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
  const start = { ...(f.fromDate !== undefined ? { $gte: f.fromDate } : {}), ...(f.toDate !== undefined ? { $lt: addDays(f.toDate, 1) } : {}) };
  return { ...(Object.keys(startAt).length ? { startAt } : {}), ...(Object.keys(start).length ? { start } : {}) };
}

/** Whether a reservation belongs in a list with this filter: the same test the list's query makes. */
export function matchesList(r: Pick<ReservationView, 'status' | 'start'>, f: ListFilter): boolean {
  if (f.status !== undefined && r.status !== f.status) return false;
  const b = bounds(f);
  const at = Date.parse(r.start);
  if (b.startAt?.$gte && at < b.startAt.$gte.getTime()) return false;
  if (b.startAt?.$lt && at >= b.startAt.$lt.getTime()) return false;
  if (b.start?.$gte !== undefined && r.start < b.start.$gte) return false;
  if (b.start?.$lt !== undefined && r.start >= b.start.$lt) return false;
  return true;
}

/** A list's order: by start, then id. */
export const listOrder = (a: ReservationView, b: ReservationView): number =>
  Date.parse(a.start) - Date.parse(b.start) || (a.reservationId < b.reservationId ? -1 : a.reservationId > b.reservationId ? 1 : 0);

/** The stream's fold, or undefined for a stream these read models ignore. */
function reservationFoldOf(streamId: string): StreamFold | undefined {
  const ledger = ledgerOfStream(streamId);
  if (ledger) {
    return {
      collection: 'ledgers',
      docId: streamId,
      evolve: (doc, e) => ({
        ...ledger,
        // the read model holds exactly what the ledger decider's state holds
        bookings: ledgerDecider.evolve({ bookings: (doc as LedgerBody | undefined)?.bookings ?? {} }, e as StoredEvent<LedgerEvent>).bookings,
      }),
    };
  }
  const reservationId = reservationIdOfStream(streamId);
  if (reservationId !== undefined) {
    return {
      collection: 'reservations',
      docId: reservationId,
      // the state is the events'; the stamp is the write's (both paths write what this returns)
      evolve: (doc, e) => ({ ...evolveReservation(doc as ReservationBody | undefined, e as StoredEvent<ReservationEvent>), changedAt: new Date() }),
    };
  }
  return undefined;
}

/**
 * The reservation service's read models (`reservations`, `ledgers`) from its own events. Indexes: the two
 * list queries (by customer, by restaurant, in start order) and the live updates' poll (by change time);
 * ledgers and single reservations are read by `_id`.
 */
export const reservationsProjection: Projection = {
  name: 'reservations',
  collections: ['reservations', 'ledgers'],
  foldOf: reservationFoldOf,
  indexes: {
    reservations: [
      { key: { customerId: 1, startAt: 1, _id: 1 }, name: 'by_customer' },
      { key: { restaurantId: 1, startAt: 1, _id: 1 }, name: 'by_restaurant' },
      { key: { changedAt: 1, _id: 1 }, name: 'by_change' },
      // the owner's list: each diner's past no-shows at the restaurant, counted per page
      { key: { restaurantId: 1, status: 1, customerId: 1 }, name: 'no_shows' },
    ],
  },
};

/** A reservation document as a change: its view, its stream version and when it was written. */
export interface ReservationChange {
  view: ReservationView;
  version: number;
  changedAt: Date;
}

export interface ReservationQueries {
  get(reservationId: string): Promise<ReservationView | null>;
  /**
   * Documents written at or after `from` (after `after`, a (changedAt, id) position, when given), in
   * (changedAt, id) order, at most `limit`.
   */
  changes(from: Date, limit: number, after?: { at: Date; id: string }): Promise<ReservationChange[]>;
  /** When the latest document was written (undefined: none carries a change time). */
  lastChange(): Promise<Date | undefined>;
  byCustomer(customerId: string, f: ListFilter): Promise<ReservationView[]>;
  byRestaurant(restaurantId: string, f: ListFilter): Promise<ReservationView[]>;
  /**
   * How many times each of these diners did not come to this restaurant (status no-show), what the owner's
   * list shows beside them: one indexed query for a page's diners, only their no-shows read.
   */
  noShowCounts(restaurantId: string, customerIds: readonly string[]): Promise<Record<string, number>>;
  ledger(restaurantId: string, date: string): Promise<LedgerState>;
}

/** The read models' queries (their live handler and rebuild are the `reservation-reservations` consumer: projections/index.ts). */
export function reservationProjections(db: Db): ReservationQueries {
  const reservations: Collection<ReservationDoc> = db.collection<ReservationDoc>('reservations');
  const ledgers: Collection<LedgerDoc> = db.collection<LedgerDoc>('ledgers');

  // queries leave the checkpoint (_v) out
  const view = ({ _id, startAt: _s, changedAt: _c, ...rest }: ReservationDoc): ReservationView => ({ reservationId: _id, ...rest });

  const list = async (filter: Record<string, unknown>, f: ListFilter) => {
    const q: Record<string, unknown> = { ...filter, ...bounds(f) };
    if (f.status) q.status = f.status;
    const docs = await reservations.find(q, { projection: { _v: 0 } }).sort({ startAt: 1, _id: 1 }).limit(LIST_LIMIT).toArray();
    return docs.map(view);
  };

  return {
    async get(reservationId) {
      const doc = await reservations.findOne({ _id: reservationId }, { projection: { _v: 0 } });
      return doc ? view(doc) : null;
    },
    async changes(from, limit, after) {
      const q = after ? { $or: [{ changedAt: { $gt: after.at } }, { changedAt: after.at, _id: { $gt: after.id } }] } : { changedAt: { $gte: from } };
      const docs = await reservations.find(q).sort({ changedAt: 1, _id: 1 }).limit(limit).toArray();
      return docs.map((d) => {
        const { _v, ...doc } = d as ReservationDoc & { _v?: unknown };
        return { view: view(doc), version: checkpointOf({ _v }, reservationStreamId(d._id)), changedAt: d.changedAt! };
      });
    },
    async lastChange() {
      const [doc] = await reservations.find({ changedAt: { $exists: true } }, { projection: { changedAt: 1 } }).sort({ changedAt: -1, _id: -1 }).limit(1).toArray();
      return doc?.changedAt;
    },
    byCustomer: (customerId, f) => list({ customerId }, f),
    byRestaurant: (restaurantId, f) => list({ restaurantId }, f),
    async noShowCounts(restaurantId, customerIds) {
      const ids = [...new Set(customerIds)];
      if (ids.length === 0) return {};
      const noShows = await reservations
        .find({ restaurantId, status: NO_SHOW, customerId: { $in: ids } }, { projection: { _id: 0, customerId: 1, restaurantId: 1, status: 1 } })
        .toArray();
      return Object.fromEntries(ids.map((id) => [id, noShowCount(noShows, id, restaurantId)]));
    },
    async ledger(restaurantId, date) {
      const doc = await ledgers.findOne({ _id: ledgerStreamId(restaurantId, date) });
      return { bookings: doc?.bookings ?? {} };
    },
  };
}
