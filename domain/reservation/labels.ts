/**
 * What an operator reads about a reservation in the Temporal Web UI (the SDK's user metadata): the run's
 * static summary and details (set when the API starts it), its current details (kept by the workflow as it
 * moves on) and the summaries of its activities and timers. Pure text, and workflow-safe: no luxon, no
 * clock; times are formatted with Intl in the restaurant's zone.
 *
 * Every text is bounded: the server refuses a summary over 400 bytes (details: 20000) as an invalid
 * argument, which would fail the booking's start, or a workflow task whose command carries it.
 */
import type { Outcome } from './outcomes';

/** UTF-8 bytes a summary may take (the server's limit, 400, counts the whole JSON payload). */
export const SUMMARY_MAX_BYTES = 300;
/** UTF-8 bytes static or current details may take (the server's limit is 20000). */
export const DETAILS_MAX_BYTES = 4000;

/** UTF-8 length of `s` as a JSON string (quotes and escapes included), without TextEncoder. */
export function jsonUtf8Bytes(s: string): number {
  let n = 0;
  for (const ch of JSON.stringify(s)) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** `s` cut (by whole code points, with an ellipsis) so that it fits `maxBytes` as a JSON string. */
export function bounded(s: string, maxBytes: number): string {
  if (jsonUtf8Bytes(s) <= maxBytes) return s;
  const chars = [...s];
  let lo = 0;
  let hi = chars.length;
  // the longest prefix that fits with the ellipsis
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonUtf8Bytes(chars.slice(0, mid).join('') + '…') <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('') + '…';
}

const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
/** Breaks what a markdown renderer would turn into a link (`://`, `www.`, `user@host`). */
const ZERO_WIDTH_SPACE = '\u200b';

/**
 * One line, shown as typed: text from users (restaurant and guest names, reasons) may carry newlines or runs
 * of blanks, markdown emphasis, HTML (`<`, `>`, `&`, as entities) or URL-like text, which the Web UI would
 * render as a link to follow: an invisible space after `:` of `://`, after `www` and `@` keeps it text.
 */
export const oneLine = (s: string): string =>
  s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[&<>]/g, (c) => HTML_ENTITY[c]!)
    .replace(/([*_`~[\]\\])/g, '\\$1')
    .replace(/:(?=\/\/)/g, `:${ZERO_WIDTH_SPACE}`)
    .replace(/\b(www)\./gi, `$1${ZERO_WIDTH_SPACE}.`)
    .replace(/@/g, `@${ZERO_WIDTH_SPACE}`);

/**
 * A person's name as initials, e.g. `D. C.` for "Dorothy Crane": enough for an operator to match a call,
 * without keeping the name in Temporal. The first letter of each word (at most four); undefined without any.
 */
export function nameInitials(name: string | undefined): string | undefined {
  const letters = (name ?? '')
    .split(/[\s\-‐–]+/)
    .map((w) => /\p{L}/u.exec(w)?.[0])
    .filter((c): c is string => c !== undefined)
    .slice(0, 4);
  return letters.length ? letters.map((c) => `${c.toUpperCase()}.`).join(' ') : undefined;
}

/**
 * An instant as the restaurant's clock shows it, e.g. `Thu 2026-12-03 19:30`; in UTC (`… UTC`) when the
 * zone is unknown to this runtime, so a label never fails a start or a workflow task.
 */
export function localTimeLabel(instant: Date | number, timezone: string): string {
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) return 'unknown time';
  const parts = (timeZone: string) => {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
    return `${p.weekday} ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  };
  try {
    return parts(timezone);
  } catch {
    return `${parts('UTC')} UTC`;
  }
}

export interface ReservationLabelInput {
  reservationId: string;
  restaurantId: string;
  restaurantName: string;
  timezone: string;
  partySize: number;
  /** The start instant. */
  start: Date;
  /** The initials of the name the table is booked under (`nameInitials`): never the name itself. */
  guestInitials?: string | undefined;
  acceptance?: 'manual' | 'auto';
}

const guests = (n: number) => `party of ${n}`;

/** The run's static summary, one line: restaurant, party size, local start (the Web UI's list shows it). */
export function reservationSummary(r: Pick<ReservationLabelInput, 'restaurantName' | 'partySize' | 'start' | 'timezone'>): string {
  const tail = ` · ${guests(r.partySize)} · ${localTimeLabel(r.start, r.timezone)}`;
  // the restaurant's name gives way first: the time and party size always show
  const name = bounded(oneLine(r.restaurantName), SUMMARY_MAX_BYTES - jsonUtf8Bytes(tail) + 2);
  return bounded(name + tail, SUMMARY_MAX_BYTES);
}

/** The run's static details (markdown, the detail page): what the reservation is, with its ids. */
export function reservationStaticDetails(r: ReservationLabelInput): string {
  const lines = [
    `**Restaurant:** ${oneLine(r.restaurantName)} (\`${r.restaurantId}\`)`,
    `**Party:** ${r.partySize}${r.guestInitials ? `, booked under ${oneLine(r.guestInitials)}` : ''}`,
    `**Start:** ${localTimeLabel(r.start, r.timezone)} (${r.timezone}), ${r.start.toISOString()}`,
    ...(r.acceptance ? [`**Acceptance:** ${r.acceptance === 'manual' ? 'manual (the owner decides)' : 'automatic'}`] : []),
    `**Reservation:** \`${r.reservationId}\``,
  ];
  return bounded(lines.join('\n'), DETAILS_MAX_BYTES);
}

/** The user metadata the API starts a reservation's run with. */
export const reservationStartMetadata = (r: ReservationLabelInput): { staticSummary: string; staticDetails: string } => ({
  staticSummary: reservationSummary(r),
  staticDetails: reservationStaticDetails(r),
});

/** What the workflow knows of itself at a moment, for its current details. */
export interface CurrentView {
  status: string;
  tableId?: string;
  timezone?: string;
  /** Epoch ms (the placement's clock): when an undecided request expires. Pending only. */
  decisionDeadline?: number;
  /** Epoch ms: when the reminder falls due, and when the turn ends. Accepted only. */
  reminderAt?: number;
  endAt?: number;
  refusal?: { code: string; message: string };
  alerts?: string[];
}

const STATUS_TEXT: Record<string, string> = {
  placing: 'placing: holding a table',
  'not-placed': 'not placed',
  pending: "pending: waiting for the owner's decision",
  accepted: 'accepted',
  rejected: 'rejected by the owner',
  expired: 'expired: no decision before the deadline',
  cancelled: 'cancelled',
  seated: 'seated: the party is at its table',
  completed: 'completed',
  'no-show': 'no-show: the party did not come',
};

/** The run's current details (markdown): status, table, and the next deadline that matters now. */
export function reservationCurrentDetails(v: CurrentView): string {
  const at = (ms: number) => (v.timezone ? `${localTimeLabel(ms, v.timezone)} (${v.timezone})` : new Date(ms).toISOString());
  const lines = [`**Status:** ${STATUS_TEXT[v.status] ?? v.status}`];
  if (v.tableId) lines.push(`**Table:** ${oneLine(v.tableId)}`);
  if (v.status === 'pending' && v.decisionDeadline !== undefined) lines.push(`**Decide by:** ${at(v.decisionDeadline)}`);
  if (v.status === 'accepted') {
    if (v.reminderAt !== undefined) lines.push(`**Reminder:** ${at(v.reminderAt)}`);
    if (v.endAt !== undefined) lines.push(`**Turn ends:** ${at(v.endAt)}`);
  }
  if (v.status === 'seated' && v.endAt !== undefined) lines.push(`**Turn ends:** ${at(v.endAt)}`);
  if (v.refusal) lines.push(`**Refused:** ${v.refusal.code}: ${oneLine(v.refusal.message)}`);
  for (const a of v.alerts ?? []) lines.push(`**Alert:** ${oneLine(a)}`);
  return bounded(lines.join('\n'), DETAILS_MAX_BYTES);
}

// ---- activity and timer summaries (one line each, in the detail page's event history and timeline)

export const placementSummary = (partySize: number): string => `place the request: hold a table for ${partySize}`;

const OUTCOME_TEXT: Record<Outcome, string> = {
  accept: "record the owner's acceptance",
  reject: "record the owner's rejection",
  expire: 'record the expiry: no decision before the deadline',
  cancel: 'record the cancellation',
  reminder: 'record the reminder',
  complete: 'record the completion: end of the turn',
  seat: 'record the seating: the party is at its table',
  'no-show': 'record the no-show: the table is given back',
  'complete-early': "record the early end of the turn: the table is given back",
};

export const outcomeSummary = (outcome: Outcome, by?: 'customer' | 'owner'): string =>
  outcome === 'cancel' && by ? `${OUTCOME_TEXT.cancel} by the ${by}` : OUTCOME_TEXT[outcome];

/** The signal to the restaurant's waitlist of that day that a table is free again. */
export const tableFreedSummary = (reason: string): string => bounded(`tell the waitlist the table is free (${oneLine(reason)})`, SUMMARY_MAX_BYTES);

export const releaseSummary = (reason: string): string => bounded(`release the table unless the reservation holds it (${oneLine(reason)})`, SUMMARY_MAX_BYTES);

export type TimerKind = 'decision' | 'reminder' | 'end';
const TIMER_TEXT: Record<TimerKind, string> = { decision: 'decision deadline', reminder: 'reminder due', end: 'end of the turn' };

/** A timer's summary: what falls due and when, on the restaurant's clock. */
export const timerSummary = (kind: TimerKind, at: number, timezone: string): string => `${TIMER_TEXT[kind]} at ${localTimeLabel(at, timezone)}`;
