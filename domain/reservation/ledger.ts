/**
 * The table ledger: which table is taken when. One stream per restaurant per local date
 * (`ledgerStreamId`), so holds on different days never contend, and the stream's optimistic concurrency
 * is what makes "no double booking" true: two requests racing for the last table both decide against
 * the same version, one append wins, the other re-reads and gets NO_TABLE.
 *
 * A booking lives on the ledger of its start's local date. A turn that crosses midnight (Friday 23:30 –
 * Saturday 01:00) can collide with a booking on the next date's ledger; the decider cannot read another
 * stream, so the caller passes the neighbouring dates' bookings in `HoldTable.alsoOccupied` and they
 * count as taken. Limitation: the neighbouring stream's version is not part of the append, so two holds
 * racing across the date boundary on the same table can both pass. Keeping a restaurant's turns within
 * one ledger (the usual case) avoids it.
 *
 * Combined tables (issue 14): a party no single free table seats gets the smallest free combination of
 * mutually combinable tables (./combinations.ts). The booking records the first table as `tableId` and all
 * of them as `tableIds`; every one of them counts as taken, and confirm and release act on them together
 * (their events carry `tableIds` too).
 *
 * State is plain JSON and `evolve` is O(1), so projections can keep ledger states and answer
 * availability (`availableStarts`) without replaying streams per request.
 */
import type { Decider } from '../../eventstore/command-handler';
import type { DomainEvent } from '../../eventstore/types';
import { DomainError } from '../errors';
import { parseInstant } from '../time/zoned-time';
import { smallestCombination } from './combinations';
import type { Table } from './restaurant';

export const ledgerStreamId = (restaurantId: string, localDate: string): string => `ledger-${restaurantId}-${localDate}`;

export interface LedgerBooking {
  reservationId: string;
  /** The table, or the first of the combined tables (`tableIds`). */
  tableId: string;
  /** Combined tables (issue 14): every table the booking takes, `tableId` among them; absent for one table. */
  tableIds?: string[];
  /** ISO 8601 instants with offset; the booking occupies [start, end). */
  start: string;
  end: string;
  partySize: number;
  status: 'held' | 'confirmed';
  /** Who holds it (absent on holds recorded before the per-customer limit existed). */
  customerId?: string;
}

export interface LedgerState {
  /** Current holds and confirmations by reservation id; released ones are removed. */
  bookings: Record<string, LedgerBooking>;
}

// ---- commands

export interface HoldTable {
  type: 'HoldTable';
  reservationId: string;
  partySize: number;
  start: string;
  end: string;
  /** The restaurant's tables now (from its replica). */
  tables: Table[];
  /** Bookings from neighbouring dates' ledgers that may overlap this one (turns crossing midnight). */
  alsoOccupied?: LedgerBooking[];
  /** Confirm at once (the restaurant accepts automatically): one `TableBooked` instead of held + confirmed. */
  confirm?: boolean;
  /** Only these tables may be taken (a waitlist offer holds the table that was freed). */
  onlyTables?: string[];
  /** The customer, and how many active bookings one customer may have on this ledger (policy). */
  customerId?: string;
  maxPerCustomer?: number;
}
export interface ConfirmTable {
  type: 'ConfirmTable';
  reservationId: string;
}
export interface ReleaseTable {
  type: 'ReleaseTable';
  reservationId: string;
  /** Why, for the audit trail: e.g. 'rejected', 'expired', 'cancelled', 'completed'. */
  reason: string;
}
export type LedgerCommand = HoldTable | ConfirmTable | ReleaseTable;

// ---- events

/** Which table a reservation takes, and when. */
type Claim = Omit<LedgerBooking, 'status'>;
export type TableHeld = DomainEvent<'TableHeld', Claim>;
/** Held and confirmed in one step (automatic acceptance): one event, one write, one message downstream. */
export type TableBooked = DomainEvent<'TableBooked', Claim>;
/** `tableIds`: every table of a combined booking (absent for one table). */
export type TableConfirmed = DomainEvent<'TableConfirmed', { reservationId: string; tableId: string; tableIds?: string[] }>;
export type TableReleased = DomainEvent<'TableReleased', { reservationId: string; tableId: string; tableIds?: string[]; reason: string }>;
export type LedgerEvent = TableHeld | TableBooked | TableConfirmed | TableReleased;

// ---- decider

export const ledgerDecider: Decider<LedgerCommand, LedgerState, LedgerEvent> = {
  initialState: () => ({ bookings: {} }),

  evolve(state, event) {
    switch (event.type) {
      case 'TableHeld':
        return { bookings: { ...state.bookings, [event.data.reservationId]: { ...event.data, status: 'held' } } };
      case 'TableBooked':
        return { bookings: { ...state.bookings, [event.data.reservationId]: { ...event.data, status: 'confirmed' } } };
      case 'TableConfirmed': {
        const booking = state.bookings[event.data.reservationId];
        if (!booking) return state;
        return { bookings: { ...state.bookings, [booking.reservationId]: { ...booking, status: 'confirmed' } } };
      }
      case 'TableReleased': {
        const { [event.data.reservationId]: _released, ...rest } = state.bookings;
        return { bookings: rest };
      }
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'HoldTable': {
        // Idempotent: a retried hold (workflow activity retry) must not take a second table.
        if (state.bookings[command.reservationId]) return [];
        const start = instant(command.start, 'start');
        const end = instant(command.end, 'end');
        if (end <= start) {
          throw new DomainError('INVALID_PERIOD', 'A booking must end after it starts.', { start: command.start, end: command.end });
        }
        if (!Number.isInteger(command.partySize) || command.partySize < 1) {
          throw new DomainError('INVALID_PARTY_SIZE', 'The party size must be a whole number of at least 1.', {
            partySize: command.partySize,
          });
        }
        const { customerId, maxPerCustomer } = command;
        if (customerId !== undefined && maxPerCustomer !== undefined) {
          const active = Object.values(state.bookings).filter((b) => b.customerId === customerId).length;
          if (active >= maxPerCustomer) {
            throw new DomainError(
              'TOO_MANY_ACTIVE_RESERVATIONS',
              `You already hold ${active} reservation${active === 1 ? '' : 's'} at this restaurant that day, the most its policy allows; cancel one to book another.`,
              { maxBookingsPerCustomerPerDay: maxPerCustomer },
            );
          }
        }
        const occupied = [...Object.values(state.bookings), ...(command.alsoOccupied ?? [])];
        const only = command.onlyTables ? new Set(command.onlyTables) : undefined;
        const tables = only ? command.tables.filter((t) => only.has(t.id)) : command.tables;
        const seating = seatingFor(freeTablesAmong(spansOf(occupied), start, end, tables), command.partySize);
        if (!seating) {
          throw new DomainError('NO_TABLE', `No table for ${command.partySize} is free at that time.`, {
            start: command.start,
            partySize: command.partySize,
          });
        }
        const { reservationId, partySize } = command;
        const data = {
          reservationId,
          tableId: seating[0]!,
          ...(seating.length > 1 ? { tableIds: seating } : {}),
          start: command.start,
          end: command.end,
          partySize,
          ...(customerId !== undefined ? { customerId } : {}),
        };
        return [command.confirm ? { type: 'TableBooked', data } : { type: 'TableHeld', data }];
      }
      case 'ConfirmTable': {
        const booking = state.bookings[command.reservationId];
        if (!booking) {
          throw new DomainError('NOT_HELD', `No table is held for reservation ${command.reservationId}.`, {
            reservationId: command.reservationId,
          });
        }
        if (booking.status === 'confirmed') return [];
        return [{ type: 'TableConfirmed', data: { reservationId: booking.reservationId, tableId: booking.tableId, ...tableIdsOf(booking) } }];
      }
      case 'ReleaseTable': {
        // Releasing what is not held is a no-op: compensations may run more than once.
        const booking = state.bookings[command.reservationId];
        if (!booking) return [];
        return [
          { type: 'TableReleased', data: { reservationId: booking.reservationId, tableId: booking.tableId, ...tableIdsOf(booking), reason: command.reason } },
        ];
      }
    }
  },
};

// ---- queries over ledger states (pure; used by the decider and by availability)

/** One ledger state, several (neighbouring dates), or bare bookings. */
export type Occupancy = LedgerState | readonly LedgerState[] | readonly LedgerBooking[];

/**
 * The candidate starts (from `bookableStarts`) at which some table, or combination of tables, seating
 * `partySize` is free for the whole turn. Pass the ledger states of the dates the turns can touch (for a date with after-midnight
 * slots: that date and the next; for turns spilling in from the previous night: the previous one too).
 */
export function availableStarts(
  occupancy: Occupancy,
  candidates: readonly Date[],
  partySize: number,
  turnMinutes: number,
  tables: readonly Table[],
): Date[] {
  const spans = spansOf(occupancy);
  const fitting = seatingTables(tables, partySize);
  // only tables that name another can be combined; without such tables only single tables count
  const combinable = tables.filter((t) => (t.combinableWith ?? []).length > 0);
  if (fitting.length === 0 && combinable.length < 2) return [];
  return candidates.filter((c) => {
    const start = c.getTime();
    const end = start + turnMinutes * 60_000;
    if (freeTablesAmong(spans, start, end, fitting).length > 0) return true;
    if (combinable.length < 2) return false;
    const free = freeTablesAmong(spans, start, end, combinable);
    return free.length >= 2 && smallestCombination(free, new Set(free.map((t) => t.id)), partySize) !== null;
  });
}

/**
 * Up to `count` of the candidate starts with a table free for the party, other than `start`, nearest to it
 * first (ties: the earlier), returned in time order: the alternatives offered when a start is refused.
 */
export function nearestFreeStarts(
  occupancy: Occupancy,
  candidates: readonly Date[],
  q: { start: Date; partySize: number; turnMinutes: number; tables: readonly Table[]; count?: number },
): Date[] {
  const at = q.start.getTime();
  return availableStarts(occupancy, candidates, q.partySize, q.turnMinutes, q.tables)
    .filter((s) => s.getTime() !== at)
    .sort((a, b) => Math.abs(a.getTime() - at) - Math.abs(b.getTime() - at) || a.getTime() - b.getTime())
    .slice(0, q.count ?? 3)
    .sort((a, b) => a.getTime() - b.getTime());
}

/**
 * The tables to hold for the party among the free ones: the smallest single table that seats it, else the
 * smallest valid combination (./combinations.ts), as ids with the first one the booking's `tableId`;
 * null when nothing fits.
 */
function seatingFor(free: readonly Table[], partySize: number): string[] | null {
  const single = seatingTables(free, partySize)[0];
  if (single) return [single.id];
  return smallestCombination(free, new Set(free.map((t) => t.id)), partySize)?.tableIds ?? null;
}

const tableIdsOf = (b: Pick<LedgerBooking, 'tableIds'>): { tableIds?: string[] } => (b.tableIds ? { tableIds: b.tableIds } : {});

/** Tables seating the party, smallest first, ties by id: the choice that wastes the fewest seats. */
function seatingTables(tables: readonly Table[], partySize: number): Table[] {
  return tables
    .filter((t) => t.seats >= partySize)
    .sort((a, b) => a.seats - b.seats || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A booking's table and turn as epoch milliseconds, parsed once per query. */
interface Span {
  tableId: string;
  start: number;
  end: number;
}

/**
 * Tables with no booking overlapping [start, end), in the restaurant's table order. A table id that the
 * restaurant no longer has is ignored; a booking on it blocks nothing.
 */
function freeTablesAmong(spans: readonly Span[], start: number, end: number, tables: readonly Table[]): Table[] {
  const taken = new Set<string>();
  for (const b of spans) {
    // half-open intervals: a booking ending at 16:00 does not block one starting at 16:00
    if (b.start < end && start < b.end) taken.add(b.tableId);
  }
  return tables.filter((t) => !taken.has(t.id));
}

function spansOf(occupancy: Occupancy): Span[] {
  const items: readonly (LedgerState | LedgerBooking)[] = 'bookings' in occupancy ? [occupancy] : occupancy;
  return items
    .flatMap((x) => ('bookings' in x ? Object.values(x.bookings) : [x]))
    // every table of a combined booking is taken
    .flatMap((b) => {
      const start = Date.parse(b.start);
      const end = Date.parse(b.end);
      return (b.tableIds ?? [b.tableId]).map((tableId) => ({ tableId, start, end }));
    });
}

function instant(iso: string, field: string): number {
  const ms = parseInstant(iso)?.getTime();
  if (ms === undefined) throw new DomainError('INVALID_PERIOD', `${field} "${iso}" is not an ISO 8601 instant.`, { [field]: iso });
  return ms;
}
