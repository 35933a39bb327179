/**
 * A restaurant's weekly opening hours: the catalog's checks on them, their stored form, and "is the
 * restaurant open at this instant?". What one interval means (overnight, close 00:00, open == close) is
 * defined once in domain/time/opening-interval.ts; this module only applies it to a week.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type OpeningHours, type OpeningInterval, type Weekday } from './events';
import { LIMITS, quote, type Issue } from './validation';
import { DAY_MINUTES, intervalSpan, minutesOf, spanCovers, spansOverlap, type IntervalSpan } from '../time/opening-interval';

export type OpeningHoursInput = Partial<Record<Weekday, OpeningInterval[]>>;

const show = (i: OpeningInterval) => `${i.open}-${i.close}`;

/** The same interval seen from the next day's timeline (its after-midnight tail starts that day at 0). */
const fromNextDay = (s: IntervalSpan): IntervalSpan => ({ open: s.open + DAY_MINUTES, close: s.close + DAY_MINUTES });

/** Fills missing weekdays with `[]` and orders each day's intervals by opening time. */
export function normalizeOpeningHours(input: OpeningHoursInput): OpeningHours {
  const out = {} as OpeningHours;
  for (const day of WEEKDAYS) {
    out[day] = [...(input[day] ?? [])]
      .map((i) => ({ open: i.open, close: i.close }))
      .sort((a, b) => (minutesOf(a.open) ?? 0) - (minutesOf(b.open) ?? 0));
  }
  return out;
}

/** Issues with one day's list; its readable intervals (with their index in the input) go into `valid`. */
function checkDay(list: unknown, at: string, valid: Array<{ index: number; interval: OpeningInterval; span: IntervalSpan }>): Issue[] {
  if (!Array.isArray(list)) return [{ field: at, message: 'must be a list of { open, close } intervals (empty when closed)' }];
  const issues: Issue[] = [];
  if (list.length > LIMITS.intervalsPerDay) {
    issues.push({ field: at, message: `has ${list.length} intervals; at most ${LIMITS.intervalsPerDay} are allowed` });
  }
  (list as OpeningInterval[]).forEach((interval, index) => {
    const field = `${at}[${index}]`;
    const openOk = typeof interval?.open === 'string' && minutesOf(interval.open) !== undefined;
    const closeOk = typeof interval?.close === 'string' && minutesOf(interval.close) !== undefined;
    if (!openOk) issues.push({ field: `${field}.open`, message: `${quote(interval?.open)} is not a time; use HH:MM from 00:00 to 23:59` });
    if (!closeOk) {
      const hint = interval?.close === '24:00' ? ' (write midnight as 00:00)' : '';
      issues.push({ field: `${field}.close`, message: `${quote(interval?.close)} is not a time; use HH:MM from 00:00 to 23:59${hint}` });
    }
    if (!openOk || !closeOk) return;
    const span = intervalSpan(interval);
    if (!span) {
      issues.push({ field, message: `${show(interval)} opens and closes at the same time; a day-long interval is not allowed, split it or fix the closing time` });
      return;
    }
    valid.push({ index, interval, span });
  });
  return issues;
}

export function validateOpeningHours(input: OpeningHoursInput, field = 'openingHours'): Issue[] {
  if (typeof input !== 'object' || input === null) return [{ field, message: 'must be an object with one key per weekday (monday..sunday)' }];
  const issues: Issue[] = [];
  for (const key of Object.keys(input)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) {
      issues.push({ field: `${field}.${key}`, message: `is not a weekday; use ${WEEKDAYS.join(', ')}` });
    }
  }
  // only readable intervals take part in the overlap checks
  const valid = Object.fromEntries(WEEKDAYS.map((d) => [d, []])) as unknown as Record<Weekday, Array<{ index: number; interval: OpeningInterval; span: IntervalSpan }>>;
  for (const day of WEEKDAYS) {
    if (input[day] !== undefined) issues.push(...checkDay(input[day], `${field}.${day}`, valid[day]));
  }
  WEEKDAYS.forEach((day, d) => {
    const list = valid[day];
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        if (spansOverlap(list[i]!.span, list[j]!.span)) {
          issues.push({ field: `${field}.${day}[${list[j]!.index}]`, message: `${show(list[j]!.interval)} overlaps ${show(list[i]!.interval)}` });
        }
      }
    }
    // an after-midnight tail occupies the start of the next day
    const next = WEEKDAYS[(d + 1) % 7]!;
    for (const { index, interval, span } of list) {
      for (const other of valid[next]) {
        if (spansOverlap(span, fromNextDay(other.span))) {
          issues.push({
            field: `${field}.${day}[${index}]`,
            message: `${show(interval)} runs past midnight into ${next}'s ${show(other.interval)} (${field}.${next}[${other.index}])`,
          });
        }
      }
    }
  });
  return issues;
}

/**
 * "Is the restaurant open at this instant?" The instant is turned into the local weekday and time first; DST
 * then needs no special case: on a spring-forward night the skipped wall times simply never occur, and on a
 * fall-back night the repeated hour is open both times the clock shows it. An interval that runs past
 * midnight counts for the next local day up to its close. An unreadable interval (see opening-interval.ts)
 * opens nothing: one restaurant's bad data does not fail a search.
 */
export function isOpenAt(openingHours: Partial<OpeningHours>, timezone: string, instant: Date): boolean {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  if (!local.isValid) return false;
  // fractional minutes so that 22:59:30 is before a 23:00 close
  const t = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
  const today = WEEKDAYS[local.weekday - 1]!;
  const yesterday = WEEKDAYS[(local.weekday + 5) % 7]!;
  const covers = (day: Weekday, minute: number) =>
    (openingHours[day] ?? []).some((i) => {
      const span = intervalSpan(i);
      return span !== undefined && spanCovers(span, minute);
    });
  return covers(today, t) || covers(yesterday, t + DAY_MINUTES);
}
