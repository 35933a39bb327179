/**
 * One restaurant's waitlist for one local day (`waitlistStreamId`), issue 14: diners wait for a full
 * evening; when a table is freed, the first waiting entry (join order) whose window it fits is offered it,
 * held for a few minutes; an offer not accepted in time, or withdrawn, passes the table to the next entry
 * that fits, in the same decision.
 *
 *   (none) ──Join──▶ waiting ──TableFreed (fits)──▶ offered ──AcceptOffer──▶ booked
 *                      ▲ │                            │ ├──OfferLapsed──▶ waiting (table passes on)
 *                      │ │                            │ └──Withdraw─────▶ withdrawn (table passes on)
 *                      │ └──Withdraw──▶ withdrawn     └──ExpireDue──▶ expired (table passes on)
 *                      └──ExpireDue──▶ expired
 *
 * booked, expired and withdrawn are final. Choices, each a rule below:
 * - A lapsed offer sends its entry back to waiting, in its old place in the queue: missing one offer does
 *   not cost the diner the evening. It is passed over for that same freed table (the offer carries the
 *   entries that already had it, `passedOver`), so the table goes to the next entry, never back and forth.
 * - The start offered is the entry's own start, or else the freed interval's start when that lies within
 *   the entry's ± flexMinutes (the slot grid is not consulted here); the start plus the turn must lie in the
 *   freed interval and the start must be after `now`. The turn comes in the command (`turnMinutes`): the
 *   policy lives in the restaurant's replica, which a decider does not read.
 * - An offer is held until now + offerMinutes, never past the start it offers (like a reservation's decideBy).
 * - An entry expires once the last start its window accepts (start + flexMinutes) has come: until then a
 *   table may still fit it (the issue says "reach their start"; with flex the window is the fairer bound).
 * - One live offer per table and one per entry: a table with a live offer is not offered again (a second
 *   TableFreed for it is refused, an identical one is a retry and decides nothing).
 *
 * Event types carry the `Waitlist` prefix: they share the reservation service's store with the
 * reservation and ledger events, and projections switch on the type alone.
 *
 * Refusals: NOT_OFFERED (nothing to accept), OFFER_EXPIRED (accepted too late), TABLE_OFFERED (a second
 * live offer for one table), with the code again in `details.refusal` for older clients that read it there.
 */
import type { Decider } from '../../eventstore/command-handler';
import type { DomainEvent } from '../../eventstore/types';
import { DomainError, type DomainErrorCode } from '../errors';
import { MINUTE_MS, parseInstant } from '../time/zoned-time';

export const waitlistStreamId = (restaurantId: string, localDate: string): string => `waitlist-${restaurantId}-${localDate}`;

export const WAITLIST_STATUSES = ['waiting', 'offered', 'booked', 'expired', 'withdrawn'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/** flexMinutes: any start within ± this many minutes of the entry's start will do (the bound). */
export const MAX_FLEX_MINUTES = 120;

// ---- values

/** A table freed for an interval (cancel, reject, expiry, no-show), and the policy its offer is made under. */
export interface FreedTable {
  /** The table (the first one of a combination). */
  tableId: string;
  /** A freed combination: all its tables, `tableId` among them (the offer holds one or more of them). */
  tableIds?: string[];
  /** Seats of the table, or of all the tables of a combination together. */
  seats: number;
  /** ISO 8601 instants with offset: the table is free in [from, until). */
  from: string;
  until: string;
  /** The restaurant's turn: the start offered plus this must lie within [from, until). */
  turnMinutes: number;
  /** How long the offer is held (policy.waitlistOfferMinutes). */
  offerMinutes: number;
}

export interface WaitlistOffer {
  tableId: string;
  /** The start offered (ISO, as written in the entry or the freed interval). */
  start: string;
  /** ISO instant (UTC): accepting at or after it is refused. */
  expiresAt: string;
  /** The table this offer holds, so a lapse or withdrawal can pass it on. */
  freed: FreedTable;
  /** Entries that already had this freed table, in order: never offered it again in this round. */
  passedOver: string[];
}

export interface WaitlistEntry {
  entryId: string;
  customerId: string;
  partySize: number;
  /** ISO 8601 with offset. */
  start: string;
  flexMinutes: number;
  status: WaitlistStatus;
  /** While offered. */
  offer?: WaitlistOffer;
  /** Once booked. */
  reservationId?: string;
  /** How many offers this entry has had: the n-th offer holds its table under `offerReservationId`'s n. */
  offers?: number;
}

export interface WaitlistState {
  entries: Record<string, WaitlistEntry>;
  /** Entry ids in join order: first come, first served. */
  queue: string[];
  /** Table id → the entry holding its live offer (at most one per table). */
  offeredTables: Record<string, string>;
}

// ---- events

type JoinDetails = Pick<WaitlistEntry, 'entryId' | 'customerId' | 'partySize' | 'start' | 'flexMinutes'>;
export type WaitlistJoined = DomainEvent<'WaitlistJoined', JoinDetails>;
export type WaitlistOffered = DomainEvent<'WaitlistOffered', WaitlistOffer & { entryId: string }>;
export type WaitlistOfferAccepted = DomainEvent<'WaitlistOfferAccepted', { entryId: string; tableId: string; start: string; reservationId: string }>;
export type WaitlistOfferExpired = DomainEvent<'WaitlistOfferExpired', { entryId: string; tableId: string }>;
export type WaitlistWithdrawn = DomainEvent<'WaitlistWithdrawn', { entryId: string }>;
export type WaitlistEntryExpired = DomainEvent<'WaitlistEntryExpired', { entryId: string }>;

export type WaitlistEvent =
  | WaitlistJoined
  | WaitlistOffered
  | WaitlistOfferAccepted
  | WaitlistOfferExpired
  | WaitlistWithdrawn
  | WaitlistEntryExpired;

// ---- commands (times passed in: the domain never reads the clock)

export interface JoinWaitlist extends JoinDetails {
  type: 'JoinWaitlist';
}
export interface TableFreed extends FreedTable {
  type: 'TableFreed';
  now: Date;
}
export interface AcceptOffer {
  type: 'AcceptOffer';
  entryId: string;
  customerId: string;
  /** The reservation the accepted offer becomes (chosen by the caller, so a retry names the same one). */
  reservationId: string;
  now: Date;
}
export interface WithdrawEntry {
  type: 'WithdrawEntry';
  entryId: string;
  customerId: string;
  /** For the next entry's offer, should this one hold a table. */
  now: Date;
}
/** The offer's timer fired. */
export interface OfferLapsed {
  type: 'OfferLapsed';
  entryId: string;
  now: Date;
}
/** Entries whose window has passed unserved expire. */
export interface ExpireDue {
  type: 'ExpireDue';
  now: Date;
}

export type WaitlistCommand = JoinWaitlist | TableFreed | AcceptOffer | WithdrawEntry | OfferLapsed | ExpireDue;

// ---- refusals

export const WAITLIST_REFUSALS = ['NOT_OFFERED', 'OFFER_EXPIRED', 'TABLE_OFFERED'] as const satisfies readonly DomainErrorCode[];
export type WaitlistRefusal = (typeof WAITLIST_REFUSALS)[number];

export function waitlistRefusal(refusal: WaitlistRefusal, message: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError(refusal, message, { refusal, ...details });
}

// ---- rules (pure, exported for the workflow, the API and the read model)

const ms = (iso: string): number => Date.parse(iso);

const isFinal = (status: WaitlistStatus): boolean => status === 'booked' || status === 'expired' || status === 'withdrawn';

/** The last start the entry accepts (epoch ms): its start + flexMinutes. */
export const windowEndOf = (entry: Pick<WaitlistEntry, 'start' | 'flexMinutes'>): number => ms(entry.start) + entry.flexMinutes * MINUTE_MS;

/** Whether the start lies within the entry's ± flexMinutes. */
export const withinWindow = (entry: Pick<WaitlistEntry, 'start' | 'flexMinutes'>, start: string): boolean =>
  Math.abs(ms(start) - ms(entry.start)) <= entry.flexMinutes * MINUTE_MS;

/**
 * The start the freed table can be offered to this entry at, or undefined when it does not fit: the party
 * fits the seats, and the entry's start (preferred: what the diner asked for), or else the freed interval's
 * start when within the window, is after `now` and leaves a whole turn inside [from, until).
 */
export function fitStart(entry: Pick<WaitlistEntry, 'partySize' | 'start' | 'flexMinutes'>, freed: FreedTable, now: Date): string | undefined {
  if (entry.partySize > freed.seats) return undefined;
  const candidates = withinWindow(entry, freed.from) ? [entry.start, freed.from] : [entry.start];
  return candidates.find((c) => {
    const at = ms(c);
    return at > now.getTime() && at >= ms(freed.from) && at + freed.turnMinutes * MINUTE_MS <= ms(freed.until);
  });
}

export const fits = (entry: Pick<WaitlistEntry, 'partySize' | 'start' | 'flexMinutes'>, freed: FreedTable, now: Date): boolean =>
  fitStart(entry, freed, now) !== undefined;

/** Entries in join order. */
export const queueOf = (state: WaitlistState): WaitlistEntry[] => state.queue.flatMap((id) => state.entries[id] ?? []);

/**
 * First come, first served: the earliest-joined waiting entry the freed table fits, skipping those already
 * passed over for it. Offered entries are not waiting, so no entry ever holds two offers.
 */
export function nextFitting(state: WaitlistState, freed: FreedTable, now: Date, passedOver: readonly string[] = []): { entry: WaitlistEntry; start: string } | undefined {
  for (const entry of queueOf(state)) {
    if (entry.status !== 'waiting' || passedOver.includes(entry.entryId)) continue;
    const start = fitStart(entry, freed, now);
    if (start !== undefined) return { entry, start };
  }
  return undefined;
}

/** An offer is held until now + offerMinutes, never past the start it offers (ISO, UTC). */
export const offerExpiresAt = (now: Date, offerMinutes: number, start: string): string =>
  new Date(Math.min(now.getTime() + offerMinutes * MINUTE_MS, ms(start))).toISOString();

/** Whether the offer can still be accepted at `now` (expiresAt itself is too late). */
export const offerLive = (offer: Pick<WaitlistOffer, 'expiresAt'>, now: Date): boolean => now.getTime() < ms(offer.expiresAt);

/** Whether an unserved entry's window has passed at `now`: it expires. */
export const isDue = (entry: WaitlistEntry, now: Date): boolean =>
  (entry.status === 'waiting' || entry.status === 'offered') && windowEndOf(entry) <= now.getTime();

/**
 * When the waitlist next needs the clock (epoch ms): the earliest live offer's expiry or unserved entry's
 * window end. Undefined when every entry is final: nothing falls due.
 */
export function nextDueAt(state: WaitlistState): number | undefined {
  let due: number | undefined;
  for (const e of Object.values(state.entries)) {
    if (e.status !== 'waiting' && e.status !== 'offered') continue;
    const at = Math.min(windowEndOf(e), e.offer ? ms(e.offer.expiresAt) : Infinity);
    if (due === undefined || at < due) due = at;
  }
  return due;
}

/** How many entries are waiting (not offered, not final). */
export const waitingCount = (state: WaitlistState): number => Object.values(state.entries).filter((e) => e.status === 'waiting').length;

/** Entries whose offer has lapsed at `now` (still recorded as offered): each is told `OfferLapsed`. */
export const lapsedOffers = (state: WaitlistState, now: Date): string[] =>
  queueOf(state).filter((e) => e.status === 'offered' && e.offer && !offerLive(e.offer, now)).map((e) => e.entryId);

/** The entry holding the table's live offer, if any. */
export const offerHolderOf = (state: WaitlistState, tableId: string): string | undefined => state.offeredTables[tableId];

/** Position among waiting entries in join order, 1 = next; undefined when the entry is not waiting. */
export function positionOf(state: WaitlistState, entryId: string): number | undefined {
  const waiting = queueOf(state).filter((e) => e.status === 'waiting');
  const i = waiting.findIndex((e) => e.entryId === entryId);
  return i < 0 ? undefined : i + 1;
}

/** Why only its diner may accept or withdraw an entry. */
export function dinerRefusal(entry: Pick<WaitlistEntry, 'customerId'>, customerId: string): DomainError | undefined {
  return entry.customerId === customerId ? undefined : new DomainError('FORBIDDEN', 'Only the diner who joined may do this.');
}

/** Why an offer cannot be accepted at `now`, or undefined when it can. */
export function acceptRefusal(entry: WaitlistEntry, now: Date): DomainError | undefined {
  if (entry.status !== 'offered' || !entry.offer) {
    return waitlistRefusal('NOT_OFFERED', `Only an offered entry can be accepted; this one is ${entry.status}.`, { waitlistStatus: entry.status });
  }
  if (!offerLive(entry.offer, now)) {
    return waitlistRefusal('OFFER_EXPIRED', 'The offer has expired.', { waitlistStatus: entry.status, expiresAt: entry.offer.expiresAt });
  }
  return undefined;
}

// ---- decider

export const waitlistDecider: Decider<WaitlistCommand, WaitlistState, WaitlistEvent> = {
  initialState: () => ({ entries: {}, queue: [], offeredTables: {} }),

  evolve(state, event) {
    if (event.type === 'WaitlistJoined') {
      if (state.entries[event.data.entryId]) return state;
      return {
        ...state,
        entries: { ...state.entries, [event.data.entryId]: { ...event.data, status: 'waiting' } },
        queue: [...state.queue, event.data.entryId],
      };
    }
    const entry = state.entries[event.data.entryId];
    if (!entry) return state; // nothing happens to an entry that does not exist
    switch (event.type) {
      case 'WaitlistOffered': {
        const { entryId, ...offer } = event.data;
        return {
          ...withEntry(state, { ...entry, status: 'offered', offer, offers: (entry.offers ?? 0) + 1 }),
          offeredTables: { ...state.offeredTables, [offer.tableId]: entryId },
        };
      }
      case 'WaitlistOfferAccepted':
        return withEntry(withoutOffer(state, entry), { ...withoutOfferOf(entry), status: 'booked', reservationId: event.data.reservationId });
      case 'WaitlistOfferExpired':
        return withEntry(withoutOffer(state, entry), { ...withoutOfferOf(entry), status: 'waiting' });
      case 'WaitlistWithdrawn':
        return withEntry(withoutOffer(state, entry), { ...withoutOfferOf(entry), status: 'withdrawn' });
      case 'WaitlistEntryExpired':
        return withEntry(withoutOffer(state, entry), { ...withoutOfferOf(entry), status: 'expired' });
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'JoinWaitlist':
        return join(command, state);
      case 'TableFreed':
        return tableFreed(command, state);
      case 'ExpireDue':
        return expireDue(command, state);
      case 'AcceptOffer':
      case 'WithdrawEntry':
      case 'OfferLapsed':
        break;
    }
    const entry = state.entries[command.entryId];
    if (!entry) throw new DomainError('NOT_FOUND', 'There is no such waitlist entry.', { entryId: command.entryId });
    switch (command.type) {
      case 'AcceptOffer':
        return accept(command, entry);
      case 'WithdrawEntry':
        return withdraw(command, entry, state);
      case 'OfferLapsed':
        return lapse(command, entry, state);
    }
  },
};

function join(command: JoinWaitlist, state: WaitlistState): WaitlistEvent[] {
  const { type: _type, ...details } = command;
  const existing = state.entries[details.entryId];
  if (existing) {
    // a retried join (same diner, party, start instant and flex) is a no-op; anything else reusing the id is a conflict
    const same =
      existing.customerId === details.customerId &&
      existing.partySize === details.partySize &&
      ms(existing.start) === ms(details.start) &&
      existing.flexMinutes === details.flexMinutes;
    if (same) return [];
    throw new DomainError('ALREADY_EXISTS', `Waitlist entry ${details.entryId} already exists.`, { entryId: details.entryId });
  }
  if (!Number.isInteger(details.partySize) || details.partySize < 1) {
    throw new DomainError('INVALID_PARTY_SIZE', 'The party size must be a whole number of at least 1.', { partySize: details.partySize });
  }
  if (!parseInstant(details.start)) {
    throw new DomainError('INVALID_START', 'The start must be an ISO 8601 instant with its offset.', { start: details.start });
  }
  if (!Number.isInteger(details.flexMinutes) || details.flexMinutes < 0 || details.flexMinutes > MAX_FLEX_MINUTES) {
    throw new DomainError('VALIDATION', `flexMinutes must be a whole number from 0 to ${MAX_FLEX_MINUTES}.`, { flexMinutes: details.flexMinutes });
  }
  return [{ type: 'WaitlistJoined', data: details }];
}

function tableFreed(command: TableFreed, state: WaitlistState): WaitlistEvent[] {
  const { type: _type, now, ...freed } = command;
  const from = parseInstant(freed.from);
  const until = parseInstant(freed.until);
  if (!from || !until || until <= from) {
    throw new DomainError('INVALID_PERIOD', 'A freed interval must end after it starts.', { from: freed.from, until: freed.until });
  }
  for (const [name, value] of [['seats', freed.seats], ['turnMinutes', freed.turnMinutes], ['offerMinutes', freed.offerMinutes]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new DomainError('VALIDATION', `${name} must be a whole number of at least 1.`, { [name]: value });
  }
  const holder = offerHolderOf(state, freed.tableId);
  if (holder !== undefined) {
    // never two live offers for one table; the same freeing told again (a retry) changes nothing
    const live = state.entries[holder]?.offer?.freed;
    if (live && ms(live.from) === from.getTime() && ms(live.until) === until.getTime()) return [];
    throw waitlistRefusal('TABLE_OFFERED', `Table ${freed.tableId} is already offered to a waiting diner.`, { tableId: freed.tableId, entryId: holder });
  }
  return offerTo(state, freed, now, []);
}

function accept(command: AcceptOffer, entry: WaitlistEntry): WaitlistEvent[] {
  refuseIf(dinerRefusal(entry, command.customerId));
  if (entry.status === 'booked' && entry.reservationId === command.reservationId) return []; // a retried accept
  refuseIf(acceptRefusal(entry, command.now));
  const offer = entry.offer!; // acceptRefusal: offered, with its offer
  return [{ type: 'WaitlistOfferAccepted', data: { entryId: entry.entryId, tableId: offer.tableId, start: offer.start, reservationId: command.reservationId } }];
}

function withdraw(command: WithdrawEntry, entry: WaitlistEntry, state: WaitlistState): WaitlistEvent[] {
  refuseIf(dinerRefusal(entry, command.customerId));
  if (entry.status === 'withdrawn') return []; // a retried withdrawal
  if (isFinal(entry.status)) {
    throw new DomainError('ALREADY_FINAL', `The waitlist entry is already ${entry.status} and cannot be withdrawn.`, { waitlistStatus: entry.status });
  }
  return decideInTurn(state, [{ type: 'WaitlistWithdrawn', data: { entryId: entry.entryId } }], (after) => passOn(after, entry, command.now));
}

function lapse(command: OfferLapsed, entry: WaitlistEntry, state: WaitlistState): WaitlistEvent[] {
  // accepted or withdrawn first (the timer raced them), or a stale timer of an earlier offer: nothing to do
  if (entry.status !== 'offered' || !entry.offer || offerLive(entry.offer, command.now)) return [];
  const expired: WaitlistEvent = { type: 'WaitlistOfferExpired', data: { entryId: entry.entryId, tableId: entry.offer.tableId } };
  return decideInTurn(state, [expired], (after) => passOn(after, entry, command.now));
}

function expireDue(command: ExpireDue, state: WaitlistState): WaitlistEvent[] {
  // an expired entry can never fit a table again (its every start is past), so passing on in any order is the same
  let current = state;
  const events: WaitlistEvent[] = [];
  for (const entry of queueOf(state).filter((e) => isDue(e, command.now))) {
    const decided = decideInTurn(current, [{ type: 'WaitlistEntryExpired', data: { entryId: entry.entryId } }], (after) => passOn(after, entry, command.now));
    current = decided.reduce(waitlistDecider.evolve, current);
    events.push(...decided);
  }
  return events;
}

/** The table an entry's offer held goes to the next entry that fits, the entry itself passed over. */
function passOn(state: WaitlistState, previous: WaitlistEntry, now: Date): WaitlistEvent[] {
  const offer = previous.offer;
  if (!offer) return [];
  return offerTo(state, offer.freed, now, [...offer.passedOver, previous.entryId]);
}

function offerTo(state: WaitlistState, freed: FreedTable, now: Date, passedOver: string[]): WaitlistEvent[] {
  const next = nextFitting(state, freed, now, passedOver);
  if (!next) return []; // nobody fits: the table is simply free again
  return [
    {
      type: 'WaitlistOffered',
      data: {
        entryId: next.entry.entryId,
        tableId: freed.tableId,
        start: next.start,
        expiresAt: offerExpiresAt(now, freed.offerMinutes, next.start),
        freed,
        passedOver,
      },
    },
  ];
}

/** The first events, then what `then` decides on the state they leave. */
function decideInTurn(state: WaitlistState, first: WaitlistEvent[], then: (after: WaitlistState) => WaitlistEvent[]): WaitlistEvent[] {
  return [...first, ...then(first.reduce(waitlistDecider.evolve, state))];
}

function withEntry(state: WaitlistState, entry: WaitlistEntry): WaitlistState {
  return { ...state, entries: { ...state.entries, [entry.entryId]: entry } };
}

/** The state without the entry's live offer on its table. */
function withoutOffer(state: WaitlistState, entry: WaitlistEntry): WaitlistState {
  const tableId = entry.offer?.tableId;
  if (tableId === undefined || state.offeredTables[tableId] !== entry.entryId) return state;
  const { [tableId]: _gone, ...offeredTables } = state.offeredTables;
  return { ...state, offeredTables };
}

function withoutOfferOf(entry: WaitlistEntry): WaitlistEntry {
  const { offer: _offer, ...rest } = entry;
  return rest;
}

function refuseIf(refused: DomainError | undefined): void {
  if (refused) throw refused;
}
