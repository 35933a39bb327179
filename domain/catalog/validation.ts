/**
 * The catalog's field rules for a restaurant's details, tables and reservation policy, and what every
 * catalog check shares (LIMITS, Issue, assertValid). Opening hours are checked in ./opening-hours.ts, the
 * menu in ./menu.ts. Each check returns the issues it found (`field: message`) instead of throwing at the
 * first, so a client fixing a form sees every problem in one round trip; `assertValid` turns them into one
 * VALIDATION DomainError.
 */
import { IANAZone } from 'luxon';
import { DomainError, type DomainErrorCode } from '../errors';
import { DAY_MINUTES } from '../time/opening-interval';
import type { Location, ReservationPolicy, RestaurantDetails, Table } from './events';

export interface Issue {
  field: string;
  message: string;
}

export const LIMITS = {
  nameLength: 120,
  cuisineLength: 60,
  descriptionLength: 2000,
  addressLength: 300,
  intervalsPerDay: 6,
  tables: 200,
  tableIdLength: 40,
  minSeats: 1,
  maxSeats: 20,
  /** Tables one table may name in `combinableWith`: its neighbours on the floor, a handful at most. */
  combinableWith: 8,
  sectionNameLength: 80,
  dishNameLength: 120,
  dishDescriptionLength: 1000,
  minPartySize: 1,
  maxPartySize: 50,
  minTurnMinutes: 15,
  maxTurnMinutes: 480,
  slotMinutes: [5, 10, 15, 20, 30, 60] as readonly number[],
  maxDecisionTimeoutMinutes: 7 * 24 * 60,
  maxMinAdvanceMinutes: 30 * 24 * 60,
  maxAdvanceDays: 365,
  maxCancellationCutoffMinutes: 7 * 24 * 60,
  maxReminderMinutesBefore: 7 * 24 * 60,
  maxBookingsPerCustomerPerDay: 20,
  maxWaitlistOfferMinutes: 60,
  maxSeatEarlyMinutes: 180,
  maxNoShowGraceMinutes: 180,
  /** A menu's size, so a restaurant's document (and every read of it) stays bounded. */
  menuSections: 30,
  dishesPerSection: 100,
} as const;

/** The codes the catalog throws (all listed in domain/errors.ts). */
export type CatalogErrorCode = Extract<DomainErrorCode, 'VALIDATION' | 'FORBIDDEN' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'RESTAURANT_CLOSED'>;

export function catalogError(code: CatalogErrorCode, message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError(code, message, details);
}

export function assertValid(issues: Issue[]): void {
  if (issues.length === 0) return;
  throw catalogError('VALIDATION', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { errors: issues });
}

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);
/** A value as it is shown in a message: strings in quotes. */
export const quote = (s: unknown): string => JSON.stringify(s);

export function checkText(issues: Issue[], field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'string') {
    issues.push({ field, message: 'must be a string' });
    return;
  }
  const len = value.trim().length;
  if (len < min) issues.push({ field, message: 'must not be empty' });
  else if (len > max) issues.push({ field, message: `is ${len} characters long; at most ${max} are allowed` });
}

// ---------------------------------------------------------------------------------------------------------
// Details

const PHONE = /^\+?[0-9][0-9 ()./-]*[0-9]$/;

function validateLocation(location: Location | undefined, field = 'location'): Issue[] {
  const issues: Issue[] = [];
  if (typeof location !== 'object' || location === null) return [{ field, message: 'must be an object { lat, lon }' }];
  const { lat, lon } = location;
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    issues.push({ field: `${field}.lat`, message: `${String(lat)} is not a latitude; use a number from -90 to 90` });
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    issues.push({ field: `${field}.lon`, message: `${String(lon)} is not a longitude; use a number from -180 to 180` });
  }
  return issues;
}

function validateTimezone(timezone: unknown, field = 'timezone'): Issue[] {
  if (typeof timezone !== 'string' || !IANAZone.isValidZone(timezone)) {
    return [{ field, message: `${quote(timezone)} is not an IANA time zone; use a name such as "Europe/Rome" or "America/New_York"` }];
  }
  return [];
}

/** Checks the detail fields present in `details` (all of them when `requireAll`). */
export function validateDetails(details: Partial<RestaurantDetails>, requireAll: boolean): Issue[] {
  const issues: Issue[] = [];
  const has = (k: keyof RestaurantDetails) => details[k] !== undefined;
  if (requireAll) {
    for (const k of ['name', 'cuisine', 'phone', 'address', 'location', 'timezone'] as const) {
      if (!has(k)) issues.push({ field: k, message: 'is required' });
    }
  }
  if (has('name')) checkText(issues, 'name', details.name, 1, LIMITS.nameLength);
  if (has('cuisine')) checkText(issues, 'cuisine', details.cuisine, 1, LIMITS.cuisineLength);
  if (has('description')) checkText(issues, 'description', details.description, 0, LIMITS.descriptionLength);
  if (has('address')) checkText(issues, 'address', details.address, 1, LIMITS.addressLength);
  if (has('phone')) {
    const phone = details.phone;
    const digits = typeof phone === 'string' ? phone.replace(/\D/g, '').length : 0;
    if (typeof phone !== 'string' || !PHONE.test(phone.trim()) || digits < 5 || digits > 15) {
      issues.push({ field: 'phone', message: `${quote(phone)} is not a phone number; use digits with an optional leading + and spaces, e.g. "+39 06 1234567"` });
    }
  }
  if (has('location')) issues.push(...validateLocation(details.location));
  if (has('timezone')) issues.push(...validateTimezone(details.timezone));
  return issues;
}

export function normalizeDetails<T extends Partial<RestaurantDetails>>(details: T): T {
  const out: Partial<RestaurantDetails> = {};
  for (const [k, v] of Object.entries(details) as [keyof RestaurantDetails, unknown][]) {
    if (v === undefined) continue;
    if (k === 'location') {
      const loc = v as Location;
      out.location = { lat: loc.lat, lon: loc.lon };
    } else {
      (out as Record<string, unknown>)[k] = typeof v === 'string' ? v.trim() : v;
    }
  }
  return out as T;
}

// ---------------------------------------------------------------------------------------------------------
// Tables

export function validateTables(tables: Table[], field = 'tables'): Issue[] {
  if (!Array.isArray(tables)) return [{ field, message: 'must be a list of { id, seats }' }];
  if (tables.length === 0) return [{ field, message: 'needs at least one table' }];
  const issues: Issue[] = [];
  if (tables.length > LIMITS.tables) issues.push({ field, message: `has ${tables.length} tables; at most ${LIMITS.tables} are allowed` });
  const seen = new Map<string, number>();
  tables.forEach((t, index) => {
    const at = `${field}[${index}]`;
    if (typeof t?.id !== 'string' || t.id.trim() === '' || t.id.length > LIMITS.tableIdLength) {
      issues.push({ field: `${at}.id`, message: `must be a non-empty string of at most ${LIMITS.tableIdLength} characters` });
    } else {
      const first = seen.get(t.id);
      if (first !== undefined) issues.push({ field: `${at}.id`, message: `${quote(t.id)} is already used by ${field}[${first}]; table ids must be unique` });
      else seen.set(t.id, index);
    }
    if (!isInt(t?.seats) || t.seats < LIMITS.minSeats || t.seats > LIMITS.maxSeats) {
      issues.push({ field: `${at}.seats`, message: `${String(t?.seats)} is not a seat count; use a whole number from ${LIMITS.minSeats} to ${LIMITS.maxSeats}` });
    }
  });
  // after every id is known: combinableWith names other tables of this list (ids compared as stored, trimmed)
  const ids = new Set(tables.map((t) => (typeof t?.id === 'string' ? t.id.trim() : undefined)));
  tables.forEach((t, index) => {
    if (t?.combinableWith !== undefined) issues.push(...validateCombinableWith(t, ids, `${field}[${index}].combinableWith`));
  });
  return issues;
}

/**
 * A table's `combinableWith`: ids of other tables of the restaurant, each once, not its own, at most
 * LIMITS.combinableWith. Naming a table that does not name this one back is allowed (the owner may be
 * mid-edit) but combines nothing: a combination needs every pair listed both ways (a warning says so).
 */
function validateCombinableWith(t: Table, ids: ReadonlySet<string | undefined>, field: string): Issue[] {
  const list: unknown = t.combinableWith;
  if (!Array.isArray(list)) return [{ field, message: 'must be a list of table ids' }];
  const issues: Issue[] = [];
  if (list.length > LIMITS.combinableWith) issues.push({ field, message: `names ${list.length} tables; at most ${LIMITS.combinableWith} are allowed` });
  const own = typeof t.id === 'string' ? t.id.trim() : undefined;
  const seen = new Set<string>();
  list.forEach((other: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof other !== 'string' || other.trim() === '') {
      issues.push({ field: at, message: 'must be the id of another table' });
      return;
    }
    const id = other.trim();
    if (id === own) issues.push({ field: at, message: `${quote(id)} is this table; a table cannot be combined with itself` });
    else if (!ids.has(id)) issues.push({ field: at, message: `${quote(id)} is not a table of this restaurant` });
    else if (seen.has(id)) issues.push({ field: at, message: `${quote(id)} is named twice` });
    seen.add(id);
  });
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Reservation policy

function checkInt(issues: Issue[], field: string, value: unknown, min: number, max: number, unit = ''): void {
  if (!isInt(value) || value < min || value > max) {
    issues.push({ field, message: `${String(value)} is out of range; use a whole number from ${min} to ${max}${unit}` });
  }
}

export function validatePolicy(p: ReservationPolicy, field = 'policy'): Issue[] {
  const issues: Issue[] = [];
  if (p.acceptance !== 'manual' && p.acceptance !== 'auto') {
    issues.push({ field: `${field}.acceptance`, message: `${quote(p.acceptance)} is not allowed; use "manual" or "auto"` });
  }
  checkInt(issues, `${field}.maxPartySize`, p.maxPartySize, LIMITS.minPartySize, LIMITS.maxPartySize, ' people');
  const slotOk = isInt(p.slotMinutes) && LIMITS.slotMinutes.includes(p.slotMinutes);
  if (!slotOk) {
    issues.push({ field: `${field}.slotMinutes`, message: `${String(p.slotMinutes)} is not allowed; use one of ${LIMITS.slotMinutes.join(', ')}` });
  }
  const turnBefore = issues.length;
  checkInt(issues, `${field}.turnMinutes`, p.turnMinutes, LIMITS.minTurnMinutes, LIMITS.maxTurnMinutes, ' minutes');
  if (issues.length === turnBefore && slotOk && p.turnMinutes % p.slotMinutes !== 0) {
    const down = p.turnMinutes - (p.turnMinutes % p.slotMinutes);
    const up = down + p.slotMinutes;
    const options = [down, up].filter((n) => n >= LIMITS.minTurnMinutes && n <= LIMITS.maxTurnMinutes);
    issues.push({
      field: `${field}.turnMinutes`,
      message: `${p.turnMinutes} is not a multiple of slotMinutes ${p.slotMinutes}${options.length ? `; use ${options.join(' or ')}` : ''}`,
    });
  }
  checkInt(issues, `${field}.decisionTimeoutMinutes`, p.decisionTimeoutMinutes, 1, LIMITS.maxDecisionTimeoutMinutes, ' minutes');
  checkInt(issues, `${field}.minAdvanceMinutes`, p.minAdvanceMinutes, 0, LIMITS.maxMinAdvanceMinutes, ' minutes');
  checkInt(issues, `${field}.maxAdvanceDays`, p.maxAdvanceDays, 1, LIMITS.maxAdvanceDays, ' days');
  checkInt(issues, `${field}.cancellationCutoffMinutes`, p.cancellationCutoffMinutes, 0, LIMITS.maxCancellationCutoffMinutes, ' minutes');
  checkInt(issues, `${field}.reminderMinutesBefore`, p.reminderMinutesBefore, 0, LIMITS.maxReminderMinutesBefore, ' minutes');
  checkInt(issues, `${field}.maxBookingsPerCustomerPerDay`, p.maxBookingsPerCustomerPerDay, 1, LIMITS.maxBookingsPerCustomerPerDay, ' reservations');
  checkInt(issues, `${field}.waitlistOfferMinutes`, p.waitlistOfferMinutes, 1, LIMITS.maxWaitlistOfferMinutes, ' minutes');
  checkInt(issues, `${field}.seatEarlyMinutes`, p.seatEarlyMinutes, 0, LIMITS.maxSeatEarlyMinutes, ' minutes');
  checkInt(issues, `${field}.noShowGraceMinutes`, p.noShowGraceMinutes, 0, LIMITS.maxNoShowGraceMinutes, ' minutes');
  if (isInt(p.minAdvanceMinutes) && isInt(p.maxAdvanceDays) && p.minAdvanceMinutes >= p.maxAdvanceDays * DAY_MINUTES) {
    issues.push({
      field: `${field}.minAdvanceMinutes`,
      message: `${p.minAdvanceMinutes} minutes leaves no bookable time before maxAdvanceDays ${p.maxAdvanceDays}; lower it or raise maxAdvanceDays`,
    });
  }
  return issues;
}
