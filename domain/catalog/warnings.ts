/**
 * Advisory warnings: a restaurant whose settings are each valid but together leave some (or every) booking
 * impossible, e.g. a policy whose maxPartySize no table can seat. The change is saved all the same (an owner
 * may set the policy before the tables, or the hours before the policy); the API returns these next to the
 * saved restaurant so the owner hears about it at once instead of from the first diner who is refused.
 *
 * Pure: derived from the restaurant's tables, policy and opening hours only. The rules mirror what the
 * reservation service applies (domain/time/slots.ts): a party larger than the largest table is refused,
 * and a start is offered only when the whole turn fits before its service closes.
 */
import { WEEKDAYS, type OpeningHours, type OpeningInterval, type ReservationPolicy, type Table } from './events';
import { intervalSpan, spanMinutes } from '../time/opening-interval';

export type PolicyWarningCode = 'NO_TABLES' | 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE' | 'NO_OPENING_HOURS' | 'TURN_LONGER_THAN_EVERY_SERVICE';

export const POLICY_WARNING_CODES: readonly PolicyWarningCode[] = ['NO_TABLES', 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE', 'NO_OPENING_HOURS', 'TURN_LONGER_THAN_EVERY_SERVICE'];

export interface PolicyWarning {
  code: PolicyWarningCode;
  /** The field to change to clear the warning (one of the two in conflict). */
  field: 'tables' | 'openingHours' | 'policy.maxPartySize' | 'policy.turnMinutes';
  /** A sentence a person can act on. */
  detail: string;
}

export interface WarningInput {
  tables: readonly Pick<Table, 'seats'>[];
  policy: Pick<ReservationPolicy, 'maxPartySize' | 'turnMinutes'>;
  openingHours: Partial<OpeningHours>;
}

/** Seats of the largest table, 0 without tables. */
export function largestTableSeats(tables: readonly Pick<Table, 'seats'>[]): number {
  return tables.reduce((max, t) => Math.max(max, t.seats), 0);
}

/**
 * The party sizes the policy admits but no table seats, as `{ from, to }`; null when every admitted size
 * fits (or there are no tables: that is NO_TABLES).
 */
export function unseatablePartySizes(tables: readonly Pick<Table, 'seats'>[], policy: Pick<ReservationPolicy, 'maxPartySize'>): { from: number; to: number } | null {
  const largest = largestTableSeats(tables);
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

/** Every warning for this restaurant's settings, in a stable order; [] when everything can be booked. */
export function policyWarnings(r: WarningInput): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const largest = largestTableSeats(r.tables);
  if (largest === 0) {
    warnings.push({ code: 'NO_TABLES', field: 'tables', detail: 'The restaurant has no tables: nothing can be booked until tables are added.' });
  } else {
    const gap = unseatablePartySizes(r.tables, r.policy);
    if (gap) {
      warnings.push({
        code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
        field: 'policy.maxPartySize',
        detail:
          `maxPartySize is ${r.policy.maxPartySize} but the largest table seats ${largest}: ${parties(gap.from, gap.to)} can never be booked; ` +
          `add a larger table or lower maxPartySize to ${largest}.`,
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
