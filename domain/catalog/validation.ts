/**
 * The catalog's field rules. Each check returns the issues it found (`field: message`) instead of
 * throwing at the first, so a client fixing a form sees every problem in one round trip; `assertValid`
 * turns them into one VALIDATION DomainError.
 */
import { IANAZone } from 'luxon';
import { DomainError, type DomainErrorCode } from '../errors';
import {
  WEEKDAYS,
  type Dish,
  type Location,
  type MenuSection,
  type OpeningHours,
  type OpeningInterval,
  type Price,
  type ReservationPolicy,
  type RestaurantDetails,
  type Table,
  type Weekday,
} from './events';

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
const q = (s: unknown): string => JSON.stringify(s);

function checkText(issues: Issue[], field: string, value: unknown, min: number, max: number): void {
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
    return [{ field, message: `${q(timezone)} is not an IANA time zone; use a name such as "Europe/Rome" or "America/New_York"` }];
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
      issues.push({ field: 'phone', message: `${q(phone)} is not a phone number; use digits with an optional leading + and spaces, e.g. "+39 06 1234567"` });
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
// Opening hours

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = 24 * 60;

/** Minutes since midnight of a valid `HH:MM`, or undefined. */
export function minutesOf(hhmm: string): number | undefined {
  const m = HH_MM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** The interval on its day's own timeline: [start, end) minutes, end > DAY when it runs past midnight. */
function span(i: OpeningInterval): { start: number; end: number } {
  const start = minutesOf(i.open)!;
  const close = minutesOf(i.close)!;
  return { start, end: close <= start ? close + DAY : close };
}

const show = (i: OpeningInterval) => `${i.open}-${i.close}`;

/** Fills missing weekdays with `[]` and orders each day's intervals by opening time. */
export function normalizeOpeningHours(input: Partial<Record<Weekday, OpeningInterval[]>>): OpeningHours {
  const out = {} as OpeningHours;
  for (const day of WEEKDAYS) {
    out[day] = [...(input[day] ?? [])]
      .map((i) => ({ open: i.open, close: i.close }))
      .sort((a, b) => (minutesOf(a.open) ?? 0) - (minutesOf(b.open) ?? 0));
  }
  return out;
}

export function validateOpeningHours(input: Partial<Record<Weekday, OpeningInterval[]>>, field = 'openingHours'): Issue[] {
  if (typeof input !== 'object' || input === null) return [{ field, message: 'must be an object with one key per weekday (monday..sunday)' }];
  const issues: Issue[] = [];
  for (const key of Object.keys(input)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) {
      issues.push({ field: `${field}.${key}`, message: `is not a weekday; use ${WEEKDAYS.join(', ')}` });
    }
  }
  // only well-formed intervals take part in the overlap checks, with their index in the input
  const valid: Record<Weekday, Array<{ index: number; interval: OpeningInterval }>> = {
    monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [],
  };
  for (const day of WEEKDAYS) {
    const list = input[day];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      issues.push({ field: `${field}.${day}`, message: 'must be a list of { open, close } intervals (empty when closed)' });
      continue;
    }
    if (list.length > LIMITS.intervalsPerDay) {
      issues.push({ field: `${field}.${day}`, message: `has ${list.length} intervals; at most ${LIMITS.intervalsPerDay} are allowed` });
    }
    list.forEach((interval, index) => {
      const at = `${field}.${day}[${index}]`;
      const open = typeof interval?.open === 'string' ? minutesOf(interval.open) : undefined;
      const close = typeof interval?.close === 'string' ? minutesOf(interval.close) : undefined;
      if (open === undefined) {
        issues.push({ field: `${at}.open`, message: `${q(interval?.open)} is not a time; use HH:MM from 00:00 to 23:59` });
      }
      if (close === undefined) {
        const hint = interval?.close === '24:00' ? ' (write midnight as 00:00)' : '';
        issues.push({ field: `${at}.close`, message: `${q(interval?.close)} is not a time; use HH:MM from 00:00 to 23:59${hint}` });
      }
      if (open === undefined || close === undefined) return;
      if (open === close) {
        issues.push({ field: at, message: `${show(interval)} opens and closes at the same time; a day-long interval is not allowed, split it or fix the closing time` });
        return;
      }
      valid[day].push({ index, interval });
    });
  }
  WEEKDAYS.forEach((day, d) => {
    const list = valid[day];
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = span(list[i]!.interval);
        const b = span(list[j]!.interval);
        if (a.start < b.end && b.start < a.end) {
          issues.push({ field: `${field}.${day}[${list[j]!.index}]`, message: `${show(list[j]!.interval)} overlaps ${show(list[i]!.interval)}` });
        }
      }
    }
    // an after-midnight tail occupies the start of the next day
    const next = WEEKDAYS[(d + 1) % 7]!;
    for (const { index, interval } of list) {
      const { end } = span(interval);
      if (end <= DAY) continue;
      const tailEnd = end - DAY;
      for (const other of valid[next]) {
        if (span(other.interval).start < tailEnd) {
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
      if (first !== undefined) issues.push({ field: `${at}.id`, message: `${q(t.id)} is already used by ${field}[${first}]; table ids must be unique` });
      else seen.set(t.id, index);
    }
    if (!isInt(t?.seats) || t.seats < LIMITS.minSeats || t.seats > LIMITS.maxSeats) {
      issues.push({ field: `${at}.seats`, message: `${String(t?.seats)} is not a seat count; use a whole number from ${LIMITS.minSeats} to ${LIMITS.maxSeats}` });
    }
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
    issues.push({ field: `${field}.acceptance`, message: `${q(p.acceptance)} is not allowed; use "manual" or "auto"` });
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
  if (isInt(p.minAdvanceMinutes) && isInt(p.maxAdvanceDays) && p.minAdvanceMinutes >= p.maxAdvanceDays * DAY) {
    issues.push({
      field: `${field}.minAdvanceMinutes`,
      message: `${p.minAdvanceMinutes} minutes leaves no bookable time before maxAdvanceDays ${p.maxAdvanceDays}; lower it or raise maxAdvanceDays`,
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Menu

/** Section and dish names are matched ignoring case and surrounding spaces. */
export const nameKey = (name: string): string => name.trim().toLowerCase();

let currencies: Set<string> | undefined;
function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

function validatePrice(price: Price, field: string): Issue[] {
  if (typeof price !== 'object' || price === null) return [{ field, message: 'must be an object { amount, currency }' }];
  const issues: Issue[] = [];
  if (typeof price.amount !== 'number' || !Number.isFinite(price.amount) || price.amount < 0) {
    issues.push({ field: `${field}.amount`, message: `${String(price.amount)} is not a price; use a number of 0 or more` });
  }
  if (typeof price.currency !== 'string' || !isCurrency(price.currency)) {
    issues.push({ field: `${field}.currency`, message: `${q(price.currency)} is not an ISO 4217 currency code; use three capital letters such as "EUR" or "USD"` });
  }
  return issues;
}

export function validateSectionName(name: string, field: string): Issue[] {
  const issues: Issue[] = [];
  checkText(issues, field, name, 1, LIMITS.sectionNameLength);
  return issues;
}

/** Checks the dish fields present (all of them when `requireAll`). */
export function validateDish(dish: Partial<Dish>, field: string, requireAll: boolean): Issue[] {
  const issues: Issue[] = [];
  if (requireAll && dish.name === undefined) issues.push({ field: `${field}.name`, message: 'is required' });
  if (requireAll && dish.price === undefined) issues.push({ field: `${field}.price`, message: 'is required' });
  if (dish.name !== undefined) checkText(issues, `${field}.name`, dish.name, 1, LIMITS.dishNameLength);
  if (dish.description !== undefined) checkText(issues, `${field}.description`, dish.description, 0, LIMITS.dishDescriptionLength);
  if (dish.price !== undefined) issues.push(...validatePrice(dish.price, `${field}.price`));
  return issues;
}

export function normalizeDish(dish: { name: string; description?: string; price: Price }): Dish {
  return { name: dish.name.trim(), description: (dish.description ?? '').trim(), price: { amount: dish.price.amount, currency: dish.price.currency } };
}

export interface MenuSectionInput {
  name: string;
  dishes?: Array<{ name: string; description?: string; price: Price }>;
}

export function validateMenu(menu: MenuSectionInput[], field = 'menu'): Issue[] {
  if (!Array.isArray(menu)) return [{ field, message: 'must be a list of { name, dishes }' }];
  const issues: Issue[] = [];
  if (menu.length > LIMITS.menuSections) issues.push({ field, message: `has ${menu.length} sections; at most ${LIMITS.menuSections} are allowed` });
  const sections = new Map<string, number>();
  menu.forEach((section, s) => {
    const at = `${field}[${s}]`;
    const nameIssues = validateSectionName(section?.name, `${at}.name`);
    issues.push(...nameIssues);
    if (nameIssues.length === 0) {
      const first = sections.get(nameKey(section.name));
      if (first !== undefined) issues.push({ field: `${at}.name`, message: `${q(section.name)} is already the name of ${field}[${first}]; section names must be unique` });
      else sections.set(nameKey(section.name), s);
    }
    const dishes = new Map<string, number>();
    const dishCount = section?.dishes?.length ?? 0;
    if (dishCount > LIMITS.dishesPerSection) issues.push({ field: `${at}.dishes`, message: `has ${dishCount} dishes; at most ${LIMITS.dishesPerSection} are allowed` });
    (section?.dishes ?? []).forEach((dish, d) => {
      const dat = `${at}.dishes[${d}]`;
      const dishIssues = validateDish(dish, dat, true);
      issues.push(...dishIssues);
      if (typeof dish?.name === 'string' && dish.name.trim() !== '') {
        const first = dishes.get(nameKey(dish.name));
        if (first !== undefined) issues.push({ field: `${dat}.name`, message: `${q(dish.name)} is already on this section as dishes[${first}]; dish names must be unique within a section` });
        else dishes.set(nameKey(dish.name), d);
      }
    });
  });
  return issues;
}

export function findSection(menu: MenuSection[], name: string): MenuSection | undefined {
  return menu.find((s) => nameKey(s.name) === nameKey(name));
}

export function findDish(section: MenuSection, name: string): Dish | undefined {
  return section.dishes.find((d) => nameKey(d.name) === nameKey(name));
}
