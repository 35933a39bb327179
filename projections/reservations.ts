/**
 * The reservation service's read models, fed by its own events:
 * - `reservations`: one document per reservation (list and detail routes), with its history;
 * - `ledgers`: one document per restaurant and opening date with the current holds and confirmations,
 *   so availability is answered from a projection, never by replaying event streams per request.
 * Both are checkpointed per source stream (guarded single-document updates; FerretDB has no transactions).
 */
import type { Collection, Db } from 'mongodb';
import { applyOnce } from '../eventstore/checkpoint';
import type { StoredEvent } from '../eventstore/types';
import type { LedgerBooking, LedgerEvent, LedgerState } from '../domain/reservation/ledger';
import type { ReservationEvent } from '../domain/reservation/reservation';
import type { ReservationStatus } from '../workflows/messages';

export interface ReservationView {
  reservationId: string;
  restaurantId: string;
  customerId: string;
  partySize: number;
  start: string;
  end: string;
  status: ReservationStatus;
  tableId: string;
  name?: string;
  phone?: string;
  notes?: string;
  history: Array<{ type: string; at: string }>;
}

type ReservationDoc = Omit<ReservationView, 'reservationId'> & { _id: string; startAt: Date };
type LedgerDoc = { _id: string; restaurantId: string; date: string; bookings: Record<string, LedgerBooking> };

const STATUS_OF: Partial<Record<ReservationEvent['type'], ReservationStatus>> = {
  ReservationAccepted: 'accepted',
  ReservationRejected: 'rejected',
  ReservationExpired: 'expired',
  ReservationCancelled: 'cancelled',
  ReservationCompleted: 'completed',
};

/** `ledger-<restaurantId>-<YYYY-MM-DD>` → its parts. */
function ledgerKey(streamId: string): { restaurantId: string; date: string } {
  return { restaurantId: streamId.slice('ledger-'.length, -11), date: streamId.slice(-10) };
}

export interface ReservationQueries {
  get(reservationId: string): Promise<ReservationView | null>;
  byCustomer(customerId: string, f: { status?: string; from?: Date; to?: Date }): Promise<ReservationView[]>;
  byRestaurant(restaurantId: string, f: { status?: string; from?: Date; to?: Date }): Promise<ReservationView[]>;
  ledger(restaurantId: string, date: string): Promise<LedgerState>;
}

export function reservationProjections(db: Db): ReservationQueries & { handle(event: StoredEvent): Promise<void>; rebuild(): Promise<void> } {
  const reservations: Collection<ReservationDoc> = db.collection<ReservationDoc>('reservations');
  const ledgers: Collection<LedgerDoc> = db.collection<LedgerDoc>('ledgers');

  const view = ({ _id, startAt: _s, ...rest }: ReservationDoc & { _v?: unknown }): ReservationView => {
    const { _v, ...clean } = rest as typeof rest & { _v?: unknown };
    void _v;
    return { reservationId: _id, ...clean };
  };

  const list = async (filter: Record<string, unknown>, f: { status?: string; from?: Date; to?: Date }) => {
    const q: Record<string, unknown> = { ...filter };
    if (f.status) q.status = f.status;
    if (f.from || f.to) q.startAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
    const docs = await reservations.find(q, { projection: { _v: 0 } }).sort({ startAt: 1, _id: 1 }).limit(500).toArray();
    return docs.map(view);
  };

  return {
    async handle(stored) {
      if (stored.streamId.startsWith('ledger-')) {
        const e = stored as StoredEvent<LedgerEvent>;
        const { restaurantId, date } = ledgerKey(e.streamId);
        const path = `bookings.${e.data.reservationId}`;
        const base = { restaurantId, date };
        if (e.type === 'TableHeld') {
          const booking: LedgerBooking = { ...e.data, status: 'held' };
          await applyOnce(ledgers, e.streamId, e, { $set: { ...base, [path]: booking } });
        } else if (e.type === 'TableConfirmed') {
          await applyOnce(ledgers, e.streamId, e, { $set: { ...base, [`${path}.status`]: 'confirmed' } });
        } else {
          await applyOnce(ledgers, e.streamId, e, { $set: base, $unset: { [path]: '' } });
        }
        return;
      }
      if (!stored.streamId.startsWith('reservation-')) return;
      const e = stored as StoredEvent<ReservationEvent>;
      const id = e.streamId.slice('reservation-'.length);
      const entry = { type: e.type, at: e.metadata.occurredAt };
      if (e.type === 'ReservationRequested') {
        const { reservationId: _r, acceptance: _a, ...d } = e.data;
        await applyOnce(reservations, id, e, {
          $set: { ...d, startAt: new Date(d.start), status: 'pending' },
          $push: { history: entry },
        });
        return;
      }
      const status = STATUS_OF[e.type];
      await applyOnce(reservations, id, e, { ...(status ? { $set: { status } } : {}), $push: { history: entry } });
    },

    async rebuild() {
      await reservations.deleteMany({});
      await ledgers.deleteMany({});
    },

    async get(reservationId) {
      const doc = await reservations.findOne({ _id: reservationId }, { projection: { _v: 0 } });
      return doc ? view(doc) : null;
    },
    byCustomer: (customerId, f) => list({ customerId }, f),
    byRestaurant: (restaurantId, f) => list({ restaurantId }, f),
    async ledger(restaurantId, date) {
      const doc = await ledgers.findOne({ _id: `ledger-${restaurantId}-${date}` }, { projection: { bookings: 1 } });
      return { bookings: doc?.bookings ?? {} };
    },
  };
}
