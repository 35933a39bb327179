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
 * - DST days (./zoned-time.ts): wall times in a spring-forward gap are not slots; in a fall-back overlap
 *   every slot, opening and closing time is the earlier instant, so the repeated hour is offered once,
 *   never twice, and a closing time there is the conservative one.
 * - The advance window: start ≥ now + minAdvanceMinutes and start ≤ now + maxAdvanceDays, the latter in
 *   calendar days in the restaurant's zone (same wall time N days later, DST-correct).
 * - A start is bookable iff `bookableStarts` would list it: `checkBookable` is defined by the same grid.
 *
 * The wall-clock helpers the other modules use (parseStart, parseInstant, formatInZone, localDateOf,
 * addDays, turnEnd) are defined in ./zoned-time.ts and exported from here too.
 */
import { LRUCache } from 'lru-cache';
import { IANAZone } from 'luxon';
import { DomainError } from '../errors';
import { crossesMidnight, intervalSpan, type IntervalSpan } from './opening-interval';
import {
  MEMO_LIMIT,
  MINUTE_MS,
  addDays,
  boundaryInstant,
  formatInZone,
  instantsOf,
  invalidZone,
  localDateOf,
  parseDate,
  sameWallTimeDaysLater,
  wallAt,
} from './zoned-time';
import { largestTable, WEEKDAYS, type OpeningInterval, type RestaurantReplica } from '../reservation/restaurant';

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
const slotsByContent = new LRUCache<string, readonly Date[]>({ max: MEMO_LIMIT / 10 });

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
    const { open, close } = readableSpan(interval);
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
      const span = readableSpan(interval);
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
  // largestTable counts combinations of tables (issue 14): a party two pushed-together tables seat is bookable
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

/** The interval's span; one that is not an interval (a malformed time, open == close) cannot be read. */
function readableSpan(interval: OpeningInterval): IntervalSpan {
  const span = intervalSpan(interval);
  if (!span) {
    throw new DomainError('INVALID_OPENING_HOURS', `${interval.open}–${interval.close} is not an opening interval (HH:MM to another HH:MM).`, {
      open: interval.open,
      close: interval.close,
    });
  }
  return span;
}
