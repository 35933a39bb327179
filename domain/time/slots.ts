/**
 * Slot math: which start times a restaurant offers, and whether a given start is bookable. Pure: the
 * current time is always passed in (`now`), never read.
 *
 * Rules, decided once and used everywhere:
 * - Opening hours are wall-clock times in the restaurant's IANA zone. Slots are computed on the wall
 *   clock (open, open + slot, open + 2·slot, …) and only then converted to instants, so a 23-hour or
 *   25-hour day yields the slots a person reading the clock on the wall expects.
 * - What one interval means (closing after midnight, close 00:00, open == close) is defined in
 *   ./opening-interval.ts. The after-midnight slots of an interval belong to its *opening* day:
 *   `bookableStarts` for Friday lists Saturday 00:15 when Friday's interval runs 18:00–02:00. (They are
 *   not listed again under Saturday unless Saturday has its own interval.)
 * - The whole turn must fit: start + turnMinutes ≤ close, measured in real elapsed time between instants
 *   (on the spring-forward night a 01:30 start with a 90-minute turn ends at 04:00 on the wall).
 * - Gap (spring forward, e.g. 02:00–03:00 does not exist): wall times in the gap are not slots, and a
 *   local input in the gap is refused with NONEXISTENT_LOCAL_TIME. A *closing* time in the gap is read
 *   with the offset before the change (02:30 → 03:30 new time), i.e. "as long as the clock says".
 * - Overlap (fall back, e.g. 02:00–03:00 happens twice): every ambiguous wall time — local input, slot,
 *   opening or closing time — resolves to the EARLIER instant (the first time the clock shows it). So the
 *   repeated hour is offered once, never twice, and a closing time there is the conservative one. A client
 *   that means the second occurrence sends an explicit offset, which is never ambiguous.
 * - The advance window: start ≥ now + minAdvanceMinutes and start ≤ now + maxAdvanceDays, the latter in
 *   calendar days in the restaurant's zone (same wall time N days later, DST-correct).
 * - A start is bookable iff `bookableStarts` would list it: `checkBookable` is defined by the same grid.
 */
import { DateTime, IANAZone } from 'luxon';
import { DomainError } from '../errors';
import { crossesMidnight, intervalSpan, type IntervalSpan } from './opening-interval';
import { largestTable, WEEKDAYS, type OpeningInterval, type RestaurantReplica } from '../reservation/restaurant';

const MINUTE_MS = 60_000;

const OFFSET_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
interface WallTime {
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
  if (formatted.size >= MEMO_LIMIT) formatted.clear();
  formatted.set(key, iso);
  return iso;
}

/** Bounded memo tables: plain maps emptied when full (pure functions, so a miss only costs time). */
const MEMO_LIMIT = 50_000;
const formatted = new Map<string, string>();

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
// Slots

export interface BookableStartsQuery {
  restaurant: RestaurantReplica;
  /** Local date of the opening day, `YYYY-MM-DD`. */
  date: string;
  now: Date;
  /** When given, a party the restaurant can never seat gets no slots. */
  partySize?: number;
}

/**
 * Start times offered for a local date, ascending: the opening-hours grid of that day (including the
 * after-midnight part of an interval that crosses midnight), within the advance window. Table
 * availability is not considered here (see `availableStarts` in the ledger).
 */
export function bookableStarts({ restaurant, date, now, partySize }: BookableStartsQuery): Date[] {
  const offered = offeredStarts(restaurant, date, partySize);
  if (offered.length === 0) return [];
  const { earliest, latest } = advanceWindow(restaurant, now);
  return offered.filter((s) => s.getTime() >= earliest && s.getTime() <= latest);
}

/**
 * `bookableStarts` without the advance window, i.e. the part that does not depend on `now`: nothing when
 * the restaurant is closed or can never seat the party, else the opening-hours grid of the date. A reader
 * may keep what it derives from these per restaurant version and date, and apply `advanceWindow` (a
 * contiguous range of this ascending list) per request. The cached array itself: do not change it.
 */
export function offeredStarts(restaurant: RestaurantReplica, date: string, partySize?: number): readonly Date[] {
  if (restaurant.closed) return [];
  if (partySize !== undefined && partyProblem(restaurant, partySize) !== null) return [];
  return openingSlots(restaurant, date);
}

/**
 * Opening slots per replica object and date. Replicas are immutable values (a change in the catalog makes
 * a new one), so the slots of one object never change; availability asks for the same ones many times a
 * second, and building them is the costly part (time-zone arithmetic per slot).
 */
const slotCache = new WeakMap<RestaurantReplica, Map<string, readonly Date[]>>();
/** The same, by what the slots depend on: readers refresh their replica objects every second or so. */
const slotsByContent = new Map<string, readonly Date[]>();

/**
 * Every aligned start on a local date's opening hours whose whole turn ends by closing, ignoring the
 * advance window and the closed flag. Ascending, no duplicates. The cached array itself: do not change it.
 */
function openingSlots(restaurant: RestaurantReplica, date: string): readonly Date[] {
  let byDate = slotCache.get(restaurant);
  if (!byDate) slotCache.set(restaurant, (byDate = new Map()));
  let slots = byDate.get(date);
  if (!slots) {
    const { timezone, openingHours, policy } = restaurant;
    const key = JSON.stringify([date, timezone, policy.slotMinutes, policy.turnMinutes, openingHours]);
    slots = slotsByContent.get(key);
    if (!slots) {
      slots = computeOpeningSlots(restaurant, date);
      if (slotsByContent.size >= MEMO_LIMIT / 10) slotsByContent.clear();
      slotsByContent.set(key, slots);
    }
    byDate.set(date, slots);
  }
  return slots;
}

function computeOpeningSlots(restaurant: RestaurantReplica, date: string): Date[] {
  const day = parseDate(date);
  if (!IANAZone.isValidZone(restaurant.timezone)) throw invalidZone(restaurant.timezone);
  const { slotMinutes, turnMinutes } = restaurant.policy;
  if (!(slotMinutes > 0) || !(turnMinutes > 0)) {
    throw new DomainError('INVALID_OPENING_HOURS', 'slotMinutes and turnMinutes must be positive.', { slotMinutes, turnMinutes });
  }
  const weekday = WEEKDAYS[day.weekday - 1]!;
  const found = new Map<number, Date>();
  for (const interval of restaurant.openingHours[weekday] ?? []) {
    const { open, close } = intervalMinutes(interval);
    const closeAt = boundaryInstant(day, close, restaurant.timezone).getTime();
    for (let t = open; t < close; t += slotMinutes) {
      // Slots live on the wall clock; a wall time in the gap is simply not a slot.
      const start = instantsOf(wallAt(day, t), restaurant.timezone)[0];
      if (start && start.getTime() + turnMinutes * MINUTE_MS <= closeAt) found.set(start.getTime(), start);
    }
  }
  return [...found.values()].sort((a, b) => a.getTime() - b.getTime());
}

/**
 * The local date of the opening day a start belongs to (its own date, or the day before for an
 * after-midnight slot), or null when it is not on the grid. This is the date `bookableStarts` lists it under.
 */
export function openingDateOf(restaurant: RestaurantReplica, start: Date): string | null {
  const own = localDateOf(start, restaurant.timezone);
  for (const date of [addDays(own, -1), own]) {
    if (openingSlots(restaurant, date).some((s) => s.getTime() === start.getTime())) return date;
  }
  return null;
}

export interface CheckBookableInput {
  restaurant: RestaurantReplica;
  start: Date;
  partySize: number;
  now: Date;
}

/**
 * Throws the first rule a requested start breaks, in this order: RESTAURANT_CLOSED, INVALID_PARTY_SIZE,
 * PARTY_TOO_LARGE, then why the start is not offered (CLOSED_THAT_DAY, BETWEEN_SERVICES, TURN_PAST_CLOSING,
 * OFF_SLOT_GRID), then the advance window (IN_THE_PAST, TOO_EARLY, TOO_LATE). Returns when `bookableStarts`
 * for the start's opening day would list it for this party.
 */
export function checkBookable({ restaurant, start, partySize, now }: CheckBookableInput): void {
  if (restaurant.closed) {
    throw new DomainError('RESTAURANT_CLOSED', `${restaurant.name} is not taking reservations at the moment.`);
  }
  const party = partyProblem(restaurant, partySize);
  if (party) throw party;
  if (openingDateOf(restaurant, start) === null) throw notOfferedRefusal(restaurant, start);
  const { earliest, latest } = advanceWindow(restaurant, now);
  if (start.getTime() < now.getTime()) {
    throw new DomainError('IN_THE_PAST', `${formatInZone(start, restaurant.timezone)} has already passed.`, {
      start: formatInZone(start, restaurant.timezone),
    });
  }
  if (start.getTime() < earliest) {
    throw new DomainError(
      'TOO_EARLY',
      `Reservations must be made at least ${restaurant.policy.minAdvanceMinutes} minutes in advance.`,
      { earliestStart: formatInZone(new Date(earliest), restaurant.timezone) },
    );
  }
  if (start.getTime() > latest) {
    throw new DomainError(
      'TOO_LATE',
      `Reservations can be made at most ${restaurant.policy.maxAdvanceDays} days in advance.`,
      { latestStart: formatInZone(new Date(latest), restaurant.timezone) },
    );
  }
}

/**
 * Why `start` is not a start the restaurant offers, most specific reason first: no service at all on that
 * local day, a time outside every service, a service that closes before the turn would end, or a time
 * between the slots of a service. Each has its own code, so a client can say what to change.
 */
function notOfferedRefusal(restaurant: RestaurantReplica, start: Date): DomainError {
  const { timezone, policy, name } = restaurant;
  const at = start.getTime();
  const local = formatInZone(start, timezone);
  const own = localDateOf(start, timezone);
  const details = { start: local };
  let served = false; // some service of the opening days around the start covers that local date
  let inService = false;
  let fits = false;
  let closing: string | undefined;
  for (const date of [addDays(own, -1), own]) {
    const day = parseDate(date);
    for (const interval of restaurant.openingHours[WEEKDAYS[day.weekday - 1]!] ?? []) {
      const span = intervalMinutes(interval);
      const openAt = boundaryInstant(day, span.open, timezone).getTime();
      const closeAt = boundaryInstant(day, span.close, timezone).getTime();
      if (date === own || crossesMidnight(span)) served = true;
      if (at >= openAt && at < closeAt) {
        inService = true;
        closing = interval.close;
        if (at + policy.turnMinutes * MINUTE_MS <= closeAt) fits = true;
      }
    }
  }
  const hours = (restaurant.openingHours[WEEKDAYS[parseDate(own).weekday - 1]!] ?? []).map((i) => `${i.open}–${i.close}`).join(', ');
  if (!served) return new DomainError('CLOSED_THAT_DAY', `${name} is closed on ${own}.`, details);
  if (!inService) {
    return new DomainError('BETWEEN_SERVICES', `${name} is not open at ${local.slice(11, 16)} on ${own}${hours ? `; it serves ${hours}` : ''}.`, {
      ...details,
      openingHours: hours,
    });
  }
  if (!fits) {
    return new DomainError(
      'TURN_PAST_CLOSING',
      `A table is kept for ${policy.turnMinutes} minutes: one starting at ${local.slice(11, 16)} would run past closing at ${closing}.`,
      { ...details, turnMinutes: policy.turnMinutes, closes: closing },
    );
  }
  return new DomainError('OFF_SLOT_GRID', `Tables start every ${policy.slotMinutes} minutes from opening; ${local.slice(11, 16)} is not one of those starts.`, {
    ...details,
    slotMinutes: policy.slotMinutes,
  });
}

/**
 * Why `bookableStarts` lists nothing for this query, or null when it lists something. (A day whose
 * offered starts are all taken is the ledger's business: FULLY_BOOKED, decided by the caller.)
 */
export function noStartsReason({ restaurant, date, now, partySize }: BookableStartsQuery): DomainError | null {
  if (restaurant.closed) return new DomainError('RESTAURANT_CLOSED', `${restaurant.name} is not taking reservations at the moment.`);
  const party = partySize === undefined ? null : partyProblem(restaurant, partySize);
  if (party) return party;
  const slots = openingSlots(restaurant, date);
  if (slots.length === 0) return new DomainError('CLOSED_THAT_DAY', `${restaurant.name} is closed on ${date}.`, { date });
  const { earliest, latest } = advanceWindow(restaurant, now);
  if (slots.every((s) => s.getTime() < now.getTime())) return new DomainError('IN_THE_PAST', `${date} has already passed.`, { date });
  if (slots.every((s) => s.getTime() < earliest)) {
    return new DomainError('TOO_EARLY', `Reservations must be made at least ${restaurant.policy.minAdvanceMinutes} minutes in advance; none is left on ${date}.`, {
      date,
      earliestStart: formatInZone(new Date(earliest), restaurant.timezone),
    });
  }
  if (slots.every((s) => s.getTime() > latest)) {
    return new DomainError('TOO_LATE', `Reservations can be made at most ${restaurant.policy.maxAdvanceDays} days in advance.`, {
      date,
      latestStart: formatInZone(new Date(latest), restaurant.timezone),
    });
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Internals

function partyProblem(restaurant: RestaurantReplica, partySize: number): DomainError | null {
  if (!Number.isInteger(partySize) || partySize < 1) {
    return new DomainError('INVALID_PARTY_SIZE', 'The party size must be a whole number of at least 1.', { partySize });
  }
  const max = Math.min(restaurant.policy.maxPartySize, largestTable(restaurant));
  if (partySize > max) {
    return new DomainError('PARTY_TOO_LARGE', `${restaurant.name} takes reservations for at most ${max} people.`, {
      partySize,
      maxPartySize: max,
    });
  }
  return null;
}

/**
 * The advance window for `now`, as epoch ms bounds, both inclusive: a start is bookable from
 * now + minAdvanceMinutes until the same wall time maxAdvanceDays calendar days later in the restaurant's zone.
 */
export function advanceWindow(restaurant: RestaurantReplica, now: Date): { earliest: number; latest: number } {
  const { minAdvanceMinutes, maxAdvanceDays } = restaurant.policy;
  return { earliest: now.getTime() + minAdvanceMinutes * MINUTE_MS, latest: sameWallTimeDaysLater(now.getTime(), restaurant.timezone, maxAdvanceDays) };
}

/**
 * `DateTime.fromJSDate(at, { zone }).plus({ days }).toMillis()`, computed with luxon once per zone, day count
 * and minute: UTC offsets change only at whole minutes (every zone since the 1970s), so within one minute
 * both the wall time of `at` and the instant of that wall time `days` later move in step with `at`. (Luxon
 * takes ~10 µs; availability asks for it on every request.)
 */
function sameWallTimeDaysLater(at: number, timezone: string, days: number): number {
  const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  const key = `${timezone}|${days}|${minute}`;
  let base = laterByMinute.get(key);
  if (base === undefined) {
    base = DateTime.fromMillis(minute, { zone: timezone }).plus({ days }).toMillis();
    if (laterByMinute.size >= MEMO_LIMIT / 10) laterByMinute.clear();
    laterByMinute.set(key, base);
  }
  return base + (at - minute);
}
const laterByMinute = new Map<string, number>();

/**
 * All instants a wall time denotes in a zone, earliest first: none in a gap, two in an overlap. Luxon
 * alone would shift a gap time forward and pick one side of an overlap, so both are checked explicitly.
 */
function instantsOf(wall: WallTime, timezone: string): Date[] {
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
function boundaryInstant(day: DateTime, minutes: number, timezone: string): Date {
  const wall = wallAt(day, minutes);
  return instantsOf(wall, timezone)[0] ?? DateTime.fromObject(wall, { zone: timezone }).toJSDate();
}

/** The wall time `minutes` after local midnight of `day` (may be on the next day). */
function wallAt(day: DateTime, minutes: number): WallTime {
  const t = day.plus({ minutes }); // `day` is in UTC: pure calendar arithmetic, no DST
  return { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute };
}

/** The interval's span; one that is not an interval (a malformed time, open == close) cannot be read. */
function intervalMinutes(interval: OpeningInterval): IntervalSpan {
  const span = intervalSpan(interval);
  if (!span) {
    throw new DomainError('INVALID_OPENING_HOURS', `${interval.open}–${interval.close} is not an opening interval (HH:MM to another HH:MM).`, {
      open: interval.open,
      close: interval.close,
    });
  }
  return span;
}

/** A local calendar date as a UTC DateTime at midnight: used only for calendar arithmetic. */
function parseDate(date: string): DateTime<true> {
  const dt = LOCAL_DATE.test(date) ? DateTime.fromISO(date, { zone: 'utc' }) : DateTime.invalid('format');
  if (!dt.isValid) throw new DomainError('INVALID_DATE', `"${date}" is not a date (YYYY-MM-DD).`, { date });
  return dt;
}

function invalidZone(timezone: string): DomainError {
  return new DomainError('INVALID_TIMEZONE', `"${timezone}" is not an IANA time zone.`, { timezone });
}
