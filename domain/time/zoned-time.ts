/**
 * Wall-clock time in a restaurant's IANA zone: reading a requested start or a stored instant, showing an
 * instant as the restaurant's clock does, local dates, and what a wall time means on a DST day. Pure.
 *
 * - A requested start with an offset (`…+02:00`, `…Z`) is an instant, taken as is; one without is a wall
 *   time in the restaurant's zone.
 * - Gap (spring forward, e.g. 02:00–03:00 does not exist): a wall time in the gap denotes no instant, and a
 *   local input in the gap is refused with NONEXISTENT_LOCAL_TIME. A *boundary* (opening or closing time)
 *   in the gap is read with the offset before the change (02:30 → 03:30 new time), i.e. "as long as the
 *   clock says".
 * - Overlap (fall back, e.g. 02:00–03:00 happens twice): every ambiguous wall time — local input, slot,
 *   opening or closing time — resolves to the EARLIER instant (the first time the clock shows it). A client
 *   that means the second occurrence sends an explicit offset, which is never ambiguous.
 */
import { LRUCache } from 'lru-cache';
import { DateTime, IANAZone } from 'luxon';
import { DomainError } from '../errors';

export const MINUTE_MS = 60_000;

/** An ISO 8601 date-time with its offset (`…Z`, `…+02:00`): an instant wherever it is read. */
export const OFFSET_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing and formatting

/**
 * Reads a requested start. With an offset (`…+02:00`, `…Z`) it is an instant, taken as is. Without one
 * (`YYYY-MM-DDTHH:mm[:ss]`) it is a wall-clock time in `timezone`: refused if it does not exist that day
 * (NONEXISTENT_LOCAL_TIME), resolved to the earlier instant if it happens twice.
 * Returns the error rather than throwing so the API can report it with the input's field.
 */
export function parseStart(input: string, timezone: string): { instant: Date } | DomainError {
  if (!IANAZone.isValidZone(timezone)) return invalidZone(timezone);
  if (OFFSET_ISO.test(input)) {
    const instant = parseInstant(input);
    if (!instant) return new DomainError('INVALID_START', `"${input}" is not a valid date and time.`, { input });
    return { instant };
  }
  const m = LOCAL_ISO.exec(input);
  if (!m) {
    return new DomainError(
      'INVALID_START',
      `"${input}" is not a start time: use ISO 8601 with an offset (2026-03-29T19:30:00+02:00) or a local time (2026-03-29T19:30).`,
      { input },
    );
  }
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
  };
  if (!DateTime.fromObject(wall, { zone: 'utc' }).isValid) {
    return new DomainError('INVALID_START', `"${input}" is not a valid date and time.`, { input });
  }
  const instants = instantsOf(wall, timezone);
  const first = instants[0];
  if (!first) {
    return new DomainError(
      'NONEXISTENT_LOCAL_TIME',
      `${input} does not exist in ${timezone}: the clocks skip it (daylight saving time). Choose another time.`,
      { input, timezone },
    );
  }
  return { instant: first };
}

/**
 * An ISO 8601 instant that carries its offset (`…Z`, `…+02:00`), or null. Stored times (events, ledger)
 * always carry one; a string without would be read in the machine's zone, so it is refused.
 */
export function parseInstant(iso: string): Date | null {
  if (!OFFSET_ISO.test(iso)) return null;
  const dt = DateTime.fromISO(iso, { setZone: true });
  return dt.isValid ? dt.toJSDate() : null;
}

/** `2026-03-29T19:30:00+02:00`: the instant as the restaurant's clock shows it (UTC zones end in `Z`). */
export function formatInZone(instant: Date, timezone: string): string {
  // availability formats the same few thousand slot instants over and over; luxon takes ~10 µs each
  const key = `${timezone}|${instant.getTime()}`;
  const hit = formatted.get(key);
  if (hit !== undefined) return hit;
  const iso = DateTime.fromJSDate(instant, { zone: timezone }).toISO({ suppressMilliseconds: true });
  if (iso === null) throw invalidZone(timezone);
  formatted.set(key, iso);
  return iso;
}

/** The size of the memo tables (LRU: the functions are pure, so an evicted entry only costs time). */
export const MEMO_LIMIT = 50_000;
const formatted = new LRUCache<string, string>({ max: MEMO_LIMIT });

/** The restaurant-local calendar date of an instant, `YYYY-MM-DD`. */
export function localDateOf(instant: Date, timezone: string): string {
  const date = DateTime.fromJSDate(instant, { zone: timezone }).toISODate();
  if (date === null) throw invalidZone(timezone);
  return date;
}

/** The local date `days` after (or before, when negative) `date`. Calendar arithmetic, no zone involved. */
export function addDays(date: string, days: number): string {
  return parseDate(date).plus({ days }).toISODate()!;
}

/** When a turn starting at `start` ends. */
export function turnEnd(start: Date, turnMinutes: number): Date {
  return new Date(start.getTime() + turnMinutes * MINUTE_MS);
}

// ---------------------------------------------------------------------------------------------------------
// Wall times, calendar days and DST

/**
 * `DateTime.fromJSDate(at, { zone }).plus({ days }).toMillis()`, computed with luxon once per zone, day count
 * and minute: UTC offsets change only at whole minutes (every zone since the 1970s), so within one minute
 * both the wall time of `at` and the instant of that wall time `days` later move in step with `at`. (Luxon
 * takes ~10 µs; availability asks for it on every request.)
 */
export function sameWallTimeDaysLater(at: number, timezone: string, days: number): number {
  const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  const key = `${timezone}|${days}|${minute}`;
  let base = laterByMinute.get(key);
  if (base === undefined) {
    base = DateTime.fromMillis(minute, { zone: timezone }).plus({ days }).toMillis();
    laterByMinute.set(key, base);
  }
  return base + (at - minute);
}
const laterByMinute = new LRUCache<string, number>({ max: MEMO_LIMIT / 10 });

/**
 * All instants a wall time denotes in a zone, earliest first: none in a gap, two in an overlap. Luxon
 * alone would shift a gap time forward and pick one side of an overlap, so both are checked explicitly.
 */
export function instantsOf(wall: WallTime, timezone: string): Date[] {
  const dt = DateTime.fromObject(wall, { zone: timezone });
  if (!dt.isValid) return [];
  const sameWall = (d: DateTime) =>
    d.year === wall.year && d.month === wall.month && d.day === wall.day && d.hour === wall.hour && d.minute === wall.minute;
  return dt
    .getPossibleOffsets()
    .filter(sameWall)
    .map((d) => d.toJSDate())
    .sort((a, b) => a.getTime() - b.getTime());
}

/** An opening or closing time: the earlier instant if ambiguous; in a gap, the old offset (luxon's shift). */
export function boundaryInstant(day: DateTime, minutes: number, timezone: string): Date {
  const wall = wallAt(day, minutes);
  return instantsOf(wall, timezone)[0] ?? DateTime.fromObject(wall, { zone: timezone }).toJSDate();
}

/** The wall time `minutes` after local midnight of `day` (may be on the next day). */
export function wallAt(day: DateTime, minutes: number): WallTime {
  const t = day.plus({ minutes }); // `day` is in UTC: pure calendar arithmetic, no DST
  return { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute };
}

/** A local calendar date as a UTC DateTime at midnight: used only for calendar arithmetic. */
export function parseDate(date: string): DateTime<true> {
  const dt = LOCAL_DATE.test(date) ? DateTime.fromISO(date, { zone: 'utc' }) : DateTime.invalid('format');
  if (!dt.isValid) throw new DomainError('INVALID_DATE', `"${date}" is not a date (YYYY-MM-DD).`, { date });
  return dt;
}

export function invalidZone(timezone: string): DomainError {
  return new DomainError('INVALID_TIMEZONE', `"${timezone}" is not an IANA time zone.`, { timezone });
}
