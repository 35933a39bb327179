/**
 * Everything the API (client), the reservation workflow and the waitlist workflow share about a
 * restaurant's waitlist for one opening day (issue 14): the workflow id scheme, the typed updates, the
 * signal a reservation workflow sends when it frees a table, the query, and the activities' interface.
 * Importing this file pulls in no Node builtins, so workflow code and the API can both use it.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WaitlistEntry, WaitlistState, WaitlistStatus } from '../domain/reservation/waitlist';
import type { ReservationStatus } from '../domain/reservation/reservation';
import stack from '../platform/local-stack.json';

export type { WaitlistEntry, WaitlistState, WaitlistStatus };

/** One workflow per restaurant and opening day, the same key as its event stream (`waitlistStreamId`). */
export const waitlistWorkflowId = (restaurantId: string, openingDate: string): string => `waitlist-${restaurantId}-${openingDate}`;

export interface WaitlistWorkflowInput {
  restaurantId: string;
  /** The opening day (YYYY-MM-DD, the restaurant's local date its ledger is kept under). */
  openingDate: string;
  /** Freed tables a run that continued as new had not offered yet (their table still had a live offer). */
  pending?: TableFreedSignal[];
}

export interface JoinInput {
  entryId: string;
  customerId: string;
  partySize: number;
  /** ISO 8601 instant (with offset), a start the restaurant offers. */
  start: string;
  /** Any start within ± this many minutes will do (0–120). */
  flexMinutes: number;
}

export interface JoinResult {
  entryId: string;
  status: 'waiting';
  /** 1 = next in line among waiting entries. */
  position: number;
  /** False when this call found the entry already joined (a retry). */
  created: boolean;
}

export interface EntryAction {
  entryId: string;
  /** The signed-in diner: only the diner who joined may accept or withdraw. */
  customerId: string;
}

export interface AcceptResult {
  entryId: string;
  reservationId: string;
  /** The reservation's status once placed: accepted, or pending under manual acceptance. */
  status: ReservationStatus;
}

export interface WithdrawResult {
  entryId: string;
  status: 'withdrawn';
}

/**
 * A reservation gave its table back (cancelled, rejected, expired, no-show, ended early): sent by the
 * reservation workflow to its restaurant's waitlist workflow of that opening day, if one runs.
 */
export interface TableFreedSignal {
  reservationId: string;
  /** The table, and every table of a combination. */
  tableId: string;
  tableIds?: string[];
  /** The turn it held, ISO with offset: [start, end). */
  start: string;
  end: string;
  reason: string;
}

export const joinUpdate = defineUpdate<JoinResult, [JoinInput]>('join');
export const acceptOfferUpdate = defineUpdate<AcceptResult, [EntryAction]>('acceptOffer');
export const withdrawUpdate = defineUpdate<WithdrawResult, [EntryAction]>('withdraw');
export const tableFreedSignal = defineSignal<[TableFreedSignal]>('tableFreed');
/** The waitlist as the workflow last recorded it. */
export const waitlistQuery = defineQuery<WaitlistState>('waitlist');

/** Search attributes of a waitlist run (declared in platform/local-stack.json, checked at load). */
function declared(name: 'RestaurantId' | 'WaitlistDate', type: 'Keyword'): ReturnType<typeof defineSearchAttributeKey<'KEYWORD'>>;
function declared(name: 'WaitlistWaiting', type: 'Int'): ReturnType<typeof defineSearchAttributeKey<'INT'>>;
function declared(name: 'RestaurantId' | 'WaitlistDate' | 'WaitlistWaiting', type: 'Keyword' | 'Int') {
  if (stack.searchAttributes[name] !== type) throw new Error(`search attribute ${name} is declared as ${stack.searchAttributes[name]}, used as ${type}`);
  return defineSearchAttributeKey(name, type === 'Int' ? 'INT' : 'KEYWORD');
}

export const WAITLIST_SA = {
  restaurantId: declared('RestaurantId', 'Keyword'),
  date: declared('WaitlistDate', 'Keyword'),
  /** How many entries are waiting (not offered, not final), kept current by the workflow. */
  waiting: declared('WaitlistWaiting', 'Int'),
} as const;

/**
 * The day, and the instant the workflow took the step at (ISO): the activity decides as of then, so a
 * retried attempt decides what the first one did (and holds the same table for the same entry).
 */
type Day = WaitlistWorkflowInput & { at?: string };

/** The waitlist workflow's activities (activities/waitlist.ts): each reads the stream, decides, writes. */
export interface WaitlistActivities {
  /** The waitlist as its stream holds it (a new run after continue-as-new starts from here). */
  loadWaitlist(day: Day): Promise<WaitlistState>;
  /** Joins (refused with SLOT_AVAILABLE when a table is free in the entry's window, or a booking rule). */
  joinWaitlist(input: Day & { entry: JoinInput }): Promise<{ state: WaitlistState; position: number; created: boolean }>;
  /** A freed table: offered to the first waiting entry it fits, held on the ledger for it. */
  offerFreedTable(input: Day & { freed: TableFreedSignal }): Promise<WaitlistState>;
  /** Records the acceptance; the reservation id is the one the offer's hold is under. */
  acceptOffer(input: Day & EntryAction): Promise<{ state: WaitlistState; reservationId: string; start: string }>;
  /** Places the accepted offer's reservation (its workflow, on the held table); answers its status. */
  bookOffer(input: Day & { entryId: string; reservationId: string; start: string }): Promise<{ status: ReservationStatus }>;
  /** Withdraws; a table the entry held passes on to the next entry that fits. */
  withdrawEntry(input: Day & EntryAction): Promise<WaitlistState>;
  /** Lapsed offers pass on, entries whose window has passed expire. */
  settleDue(day: Day): Promise<WaitlistState>;
}
