/**
 * Advisory warnings: a restaurant whose settings are each valid but together leave some (or every) booking
 * impossible, e.g. a policy whose maxPartySize no table can seat. The change is saved all the same (an owner
 * may set the policy before the tables, or the hours before the policy); the API returns these next to the
 * saved restaurant so the owner hears about it at once instead of from the first diner who is refused.
 *
 * Pure: derived from the restaurant's tables, policy and opening hours only. The rules mirror what the
 * reservation service applies (domain/time/slots.ts): a party larger than the largest table or combination
 * of tables (domain/reservation/combinations.ts) is refused, and a start is offered only when the whole turn
 * fits before its service closes.
 */
import { WEEKDAYS, type OpeningHours, type OpeningInterval, type ReservationPolicy, type Table } from './events';
import { intervalSpan, spanMinutes } from '../time/opening-interval';
import { largestSeating, mutuallyCombinable } from '../reservation/combinations';

export type PolicyWarningCode =
  | 'NO_TABLES'
  | 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE'
  | 'ONE_SIDED_COMBINATION'
  | 'NO_OPENING_HOURS'
  | 'TURN_LONGER_THAN_EVERY_SERVICE';

export const POLICY_WARNING_CODES: readonly PolicyWarningCode[] = [
  'NO_TABLES',
  'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
  'ONE_SIDED_COMBINATION',
  'NO_OPENING_HOURS',
  'TURN_LONGER_THAN_EVERY_SERVICE',
];

export interface PolicyWarning {
  code: PolicyWarningCode;
  /** The field to change to clear the warning (one of the two in conflict). */
  field: 'tables' | 'openingHours' | 'policy.maxPartySize' | 'policy.turnMinutes';
  /** A sentence a person can act on. */
  detail: string;
}

/** A table as the warnings read it: without an id it can be in no combination. */
export type WarningTable = Pick<Table, 'seats'> & Partial<Pick<Table, 'id' | 'combinableWith'>>;

export interface WarningInput {
  tables: readonly WarningTable[];
  policy: Pick<ReservationPolicy, 'maxPartySize' | 'turnMinutes'>;
  openingHours: Partial<OpeningHours>;
}

/** Seats of the largest table, 0 without tables. */
export function largestTableSeats(tables: readonly Pick<Table, 'seats'>[]): number {
  return tables.reduce((max, t) => Math.max(max, t.seats), 0);
}

/** Seats of the largest table or valid combination of tables (what the reservation service admits), 0 without tables. */
export function largestSeatingSeats(tables: readonly WarningTable[]): number {
  const named = tables.flatMap((t) => (t.id !== undefined ? [{ id: t.id, seats: t.seats, ...(t.combinableWith ? { combinableWith: t.combinableWith } : {}) }] : []));
  return Math.max(largestTableSeats(tables), largestSeating(named));
}

/**
 * The party sizes the policy admits but no table or combination of tables seats, as `{ from, to }`; null
 * when every admitted size fits (or there are no tables: that is NO_TABLES).
 */
export function unseatablePartySizes(tables: readonly WarningTable[], policy: Pick<ReservationPolicy, 'maxPartySize'>): { from: number; to: number } | null {
  const largest = largestSeatingSeats(tables);
  if (largest === 0 || policy.maxPartySize <= largest) return null;
  return { from: largest + 1, to: policy.maxPartySize };
}

/** The longest service of the week, with where it is; null when every day is closed. */
function longestService(openingHours: Partial<OpeningHours>): { minutes: number; day: string; interval: OpeningInterval } | null {
  let best: { minutes: number; day: string; interval: OpeningInterval } | null = null;
  for (const day of WEEKDAYS) {
    for (const interval of openingHours[day] ?? []) {
      const span = intervalSpan(interval);
      if (span && (best === null || spanMinutes(span) > best.minutes)) best = { minutes: spanMinutes(span), day, interval };
    }
  }
  return best;
}

const parties = (from: number, to: number): string => (from === to ? `parties of ${from}` : `parties of ${from}–${to}`);

/**
 * Pairs where one table names the other in `combinableWith` but not the other way round, each pair once in
 * table order: allowed (the owner may be mid-edit), but such tables are never combined.
 */
export function oneSidedCombinations(tables: readonly WarningTable[]): Array<{ from: string; to: string }> {
  const byId = new Map<string, WarningTable>();
  for (const t of tables) if (t.id !== undefined && !byId.has(t.id)) byId.set(t.id, t);
  const found: Array<{ from: string; to: string }> = [];
  for (const t of byId.values()) {
    for (const other of t.combinableWith ?? []) {
      const o = byId.get(other);
      if (!o || o.id === t.id) continue; // unknown ids and self are refused by validation, not warned about
      if (!mutuallyCombinable({ id: t.id!, seats: t.seats, combinableWith: t.combinableWith }, { id: o.id!, seats: o.seats, combinableWith: o.combinableWith })) {
        found.push({ from: t.id!, to: o.id! });
      }
    }
  }
  return found;
}

/** Every warning for this restaurant's settings, in a stable order; [] when everything can be booked. */
export function policyWarnings(r: WarningInput): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const largestSingle = largestTableSeats(r.tables);
  const largest = largestSeatingSeats(r.tables);
  if (largest === 0) {
    warnings.push({ code: 'NO_TABLES', field: 'tables', detail: 'The restaurant has no tables: nothing can be booked until tables are added.' });
  } else {
    const gap = unseatablePartySizes(r.tables, r.policy);
    if (gap) {
      warnings.push({
        code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
        field: 'policy.maxPartySize',
        detail:
          `maxPartySize is ${r.policy.maxPartySize} but the largest ${largest > largestSingle ? 'combination of tables' : 'table'} seats ${largest}: ` +
          `${parties(gap.from, gap.to)} can never be booked; add a larger table or lower maxPartySize to ${largest}.`,
      });
    }
    const oneSided = oneSidedCombinations(r.tables);
    if (oneSided.length > 0) {
      const pairs = oneSided.map((p) => `${p.from} names ${p.to}`).join(', ');
      warnings.push({
        code: 'ONE_SIDED_COMBINATION',
        field: 'tables',
        detail:
          `Tables are combined only when each names the other in combinableWith, but ${pairs} and not the other way round: ` +
          'those tables are never combined; add the missing ids or remove these.',
      });
    }
  }
  const longest = longestService(r.openingHours);
  if (longest === null) {
    warnings.push({ code: 'NO_OPENING_HOURS', field: 'openingHours', detail: 'Every day is closed: nothing can be booked until opening hours are set.' });
  } else if (r.policy.turnMinutes > longest.minutes) {
    const { day, interval } = longest;
    warnings.push({
      code: 'TURN_LONGER_THAN_EVERY_SERVICE',
      field: 'policy.turnMinutes',
      detail:
        `turnMinutes is ${r.policy.turnMinutes} but the longest service lasts ${longest.minutes} minutes (${day} ${interval.open}–${interval.close}): ` +
        'no turn ends before closing, so nothing can be booked; shorten the turn or open longer.',
    });
  }
  return warnings;
}
