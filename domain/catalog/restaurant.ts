/**
 * The Restaurant decider (stream `restaurant-<restaurantId>`). Pure: every command carries its actor, and
 * ownership is checked against the stream's own state (never against anything the client sends).
 *
 * Error codes: VALIDATION (a field breaks a rule; the message names the field), FORBIDDEN (not the owner),
 * NOT_FOUND (no such restaurant / section / dish), ALREADY_EXISTS (duplicate restaurant, section or dish),
 * RESTAURANT_CLOSED (a closed restaurant refuses every change).
 *
 * A command that would change nothing decides no events, so retries and repeated PUTs are harmless.
 */
import type { Decider } from '../../eventstore/command-handler';
import {
  DEFAULT_POLICY,
  DETAIL_FIELDS,
  type CatalogEvent,
  type Dish,
  type MenuSection,
  type OpeningHours,
  type ReservationPolicy,
  type RestaurantDetails,
  type Table,
} from './events';
import { findDish, findSection, nameKey, normalizeDish, validateDish, validateMenu, validateSectionName, type DishInput, type MenuSectionInput } from './menu';
import { normalizeOpeningHours, validateOpeningHours, type OpeningHoursInput } from './opening-hours';
import { LIMITS, assertValid, catalogError, normalizeDetails, validateDetails, validatePolicy, validateTables, type Issue } from './validation';

export type { DishInput, MenuSectionInput } from './menu';
export type { OpeningHoursInput } from './opening-hours';

export interface Restaurant extends RestaurantDetails {
  restaurantId: string;
  ownerId: string;
  openingHours: OpeningHours;
  tables: Table[];
  policy: ReservationPolicy;
  menu: MenuSection[];
  closed: boolean;
}

/** `null` until RestaurantCreated. */
export type RestaurantState = Restaurant | null;

/** The largest number of events one create may write (the event store takes ≤ 100 per transaction). */
const MAX_CREATE_EVENTS = 100;

export type RestaurantCommand =
  | {
      type: 'CreateRestaurant';
      actor: string;
      restaurantId: string;
      name: string;
      cuisine: string;
      description?: string;
      phone: string;
      address: string;
      location: { lat: number; lon: number };
      timezone: string;
      openingHours: OpeningHoursInput;
      tables: Table[];
      /** Omitted fields take DEFAULT_POLICY's values. */
      policy?: Partial<ReservationPolicy>;
      menu?: MenuSectionInput[];
    }
  | { type: 'ChangeRestaurantDetails'; actor: string; changes: Partial<RestaurantDetails> }
  | { type: 'SetOpeningHours'; actor: string; openingHours: OpeningHoursInput }
  | { type: 'SetTables'; actor: string; tables: Table[] }
  /** A replacement: omitted fields take DEFAULT_POLICY's values (not the current ones). */
  | { type: 'SetReservationPolicy'; actor: string; policy: Partial<ReservationPolicy> }
  | { type: 'AddMenuSection'; actor: string; section: string }
  | { type: 'RemoveMenuSection'; actor: string; section: string }
  | { type: 'AddDish'; actor: string; section: string; dish: DishInput }
  | { type: 'ChangeDish'; actor: string; section: string; dishName: string; changes: Partial<DishInput> }
  | { type: 'RemoveDish'; actor: string; section: string; dishName: string }
  | { type: 'CloseRestaurant'; actor: string };

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A whole policy: omitted fields take DEFAULT_POLICY's values. Also read policies recorded before a field
 * existed through this (evolve, the reservation service's replica), so every reader sees every field.
 */
export function resolvePolicy(input: Partial<ReservationPolicy> | undefined): ReservationPolicy {
  const p = { ...DEFAULT_POLICY };
  for (const k of Object.keys(DEFAULT_POLICY) as (keyof ReservationPolicy)[]) {
    const v = input?.[k];
    if (v !== undefined) (p as Record<string, unknown>)[k] = v;
  }
  return p;
}

/** Ids trimmed; an empty `combinableWith` is left out (the same as none: never combined). */
function copyTables(tables: Table[]): Table[] {
  return tables.map((t) => {
    const combinableWith = (t.combinableWith ?? []).map((id) => id.trim());
    return { id: t.id.trim(), seats: t.seats, ...(combinableWith.length > 0 ? { combinableWith } : {}) };
  });
}

export function evolve(state: RestaurantState, event: CatalogEvent): RestaurantState {
  if (event.type === 'RestaurantCreated') {
    const { restaurantId, ownerId, openingHours, tables, policy, ...details } = event.data;
    return { restaurantId, ownerId, ...details, openingHours, tables, policy: resolvePolicy(policy), menu: [], closed: false };
  }
  if (state === null) return state;
  switch (event.type) {
    case 'RestaurantDetailsChanged': {
      const { restaurantId: _id, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'OpeningHoursSet':
      return { ...state, openingHours: event.data.openingHours };
    case 'TablesSet':
      return { ...state, tables: event.data.tables };
    case 'ReservationPolicySet':
      return { ...state, policy: resolvePolicy(event.data.policy) };
    case 'MenuSectionAdded':
      return { ...state, menu: [...state.menu, { name: event.data.section, dishes: [] }] };
    case 'MenuSectionRemoved':
      return { ...state, menu: state.menu.filter((s) => nameKey(s.name) !== nameKey(event.data.section)) };
    case 'DishAdded':
      return mapSection(state, event.data.section, (s) => ({ ...s, dishes: [...s.dishes, event.data.dish] }));
    case 'DishChanged':
      return mapSection(state, event.data.section, (s) => ({
        ...s,
        dishes: s.dishes.map((d) => (nameKey(d.name) === nameKey(event.data.dishName) ? event.data.dish : d)),
      }));
    case 'DishRemoved':
      return mapSection(state, event.data.section, (s) => ({
        ...s,
        dishes: s.dishes.filter((d) => nameKey(d.name) !== nameKey(event.data.dishName)),
      }));
    case 'RestaurantClosed':
      return { ...state, closed: true };
    default:
      // unknown (newer) event types leave the state as it is
      return state;
  }
}

function mapSection(state: Restaurant, section: string, f: (s: MenuSection) => MenuSection): Restaurant {
  return { ...state, menu: state.menu.map((s) => (nameKey(s.name) === nameKey(section) ? f(s) : s)) };
}

/**
 * A command that replaces one part of the restaurant (hours, tables, policy): refused when `issues` is not
 * empty, else one event with the part as `normalize` stores it, or none when that is what the restaurant has.
 */
function replacement<T>(issues: Issue[], normalize: () => T, current: T, event: (value: T) => CatalogEvent): CatalogEvent[] {
  assertValid(issues);
  const value = normalize();
  return same(value, current) ? [] : [event(value)];
}

/** The state a change command needs: it exists, the actor owns it, it is not closed. */
function guard(state: RestaurantState, actor: string): Restaurant {
  if (state === null) throw catalogError('NOT_FOUND', 'No such restaurant.');
  if (actor !== state.ownerId) throw catalogError('FORBIDDEN', 'Only the owner of this restaurant can change it.');
  if (state.closed) throw catalogError('RESTAURANT_CLOSED', 'This restaurant is closed; it can no longer be changed.');
  return state;
}

function sectionOf(state: Restaurant, name: string): MenuSection {
  const section = findSection(state.menu, name);
  if (!section) {
    const known = state.menu.map((s) => JSON.stringify(s.name)).join(', ');
    throw catalogError('NOT_FOUND', `No menu section ${JSON.stringify(name)}${known ? `; sections are ${known}` : '; the menu has no sections yet'}.`);
  }
  return section;
}

function dishOf(section: MenuSection, name: string): Dish {
  const dish = findDish(section, name);
  if (!dish) throw catalogError('NOT_FOUND', `No dish ${JSON.stringify(name)} in section ${JSON.stringify(section.name)}.`);
  return dish;
}

export function decide(command: RestaurantCommand, state: RestaurantState): CatalogEvent[] {
  switch (command.type) {
    case 'CreateRestaurant':
      return create(command, state);
    case 'ChangeRestaurantDetails': {
      const s = guard(state, command.actor);
      const given = Object.fromEntries(
        DETAIL_FIELDS.filter((k) => command.changes[k] !== undefined).map((k) => [k, command.changes[k]]),
      ) as Partial<RestaurantDetails>;
      if (Object.keys(given).length === 0) {
        assertValid([{ field: 'body', message: `send at least one of ${DETAIL_FIELDS.join(', ')}` }]);
      }
      assertValid(validateDetails(given, false));
      const normalized = normalizeDetails(given);
      const changed = Object.fromEntries(
        Object.entries(normalized).filter(([k, v]) => !same(v, s[k as keyof RestaurantDetails])),
      ) as Partial<RestaurantDetails>;
      if (Object.keys(changed).length === 0) return [];
      return [{ type: 'RestaurantDetailsChanged', data: { restaurantId: s.restaurantId, ...changed } }];
    }
    case 'SetOpeningHours': {
      const s = guard(state, command.actor);
      return replacement(validateOpeningHours(command.openingHours), () => normalizeOpeningHours(command.openingHours), s.openingHours, (openingHours) => ({
        type: 'OpeningHoursSet',
        data: { restaurantId: s.restaurantId, openingHours },
      }));
    }
    case 'SetTables': {
      const s = guard(state, command.actor);
      return replacement(validateTables(command.tables), () => copyTables(command.tables), s.tables, (tables) => ({
        type: 'TablesSet',
        data: { restaurantId: s.restaurantId, tables },
      }));
    }
    case 'SetReservationPolicy': {
      const s = guard(state, command.actor);
      const policy = resolvePolicy(command.policy);
      return replacement(validatePolicy(policy), () => policy, s.policy, () => ({ type: 'ReservationPolicySet', data: { restaurantId: s.restaurantId, policy } }));
    }
    case 'AddMenuSection': {
      const s = guard(state, command.actor);
      assertValid(validateSectionName(command.section, 'name'));
      const name = command.section.trim();
      const existing = findSection(s.menu, name);
      if (existing) throw catalogError('ALREADY_EXISTS', `The menu already has a section ${JSON.stringify(existing.name)}; section names must be unique.`);
      if (s.menu.length >= LIMITS.menuSections) assertValid([{ field: 'menu', message: `already has ${s.menu.length} sections, the most allowed; remove one first` }]);
      return [{ type: 'MenuSectionAdded', data: { restaurantId: s.restaurantId, section: name } }];
    }
    case 'RemoveMenuSection': {
      const s = guard(state, command.actor);
      const section = sectionOf(s, command.section);
      return [{ type: 'MenuSectionRemoved', data: { restaurantId: s.restaurantId, section: section.name } }];
    }
    case 'AddDish': {
      const s = guard(state, command.actor);
      const section = sectionOf(s, command.section);
      assertValid(validateDish(command.dish, 'dish', true));
      const dish = normalizeDish(command.dish);
      const existing = findDish(section, dish.name);
      if (existing) {
        throw catalogError('ALREADY_EXISTS', `Section ${JSON.stringify(section.name)} already has a dish ${JSON.stringify(existing.name)}; dish names must be unique within a section.`);
      }
      if (section.dishes.length >= LIMITS.dishesPerSection) {
        assertValid([{ field: 'section', message: `${JSON.stringify(section.name)} already has ${section.dishes.length} dishes, the most allowed; remove one first` }]);
      }
      return [{ type: 'DishAdded', data: { restaurantId: s.restaurantId, section: section.name, dish } }];
    }
    case 'ChangeDish': {
      const s = guard(state, command.actor);
      const section = sectionOf(s, command.section);
      const current = dishOf(section, command.dishName);
      assertValid(validateDish(command.changes, 'dish', false));
      const dish = normalizeDish({
        name: command.changes.name ?? current.name,
        description: command.changes.description ?? current.description,
        price: command.changes.price ?? current.price,
      });
      const clash = findDish(section, dish.name);
      if (clash && clash !== current) {
        throw catalogError('ALREADY_EXISTS', `Section ${JSON.stringify(section.name)} already has a dish ${JSON.stringify(clash.name)}; choose another name.`);
      }
      if (same(dish, current)) return [];
      return [{ type: 'DishChanged', data: { restaurantId: s.restaurantId, section: section.name, dishName: current.name, dish } }];
    }
    case 'RemoveDish': {
      const s = guard(state, command.actor);
      const section = sectionOf(s, command.section);
      const dish = dishOf(section, command.dishName);
      return [{ type: 'DishRemoved', data: { restaurantId: s.restaurantId, section: section.name, dishName: dish.name } }];
    }
    case 'CloseRestaurant': {
      if (state === null) throw catalogError('NOT_FOUND', 'No such restaurant.');
      if (command.actor !== state.ownerId) throw catalogError('FORBIDDEN', 'Only the owner of this restaurant can close it.');
      if (state.closed) return [];
      return [{ type: 'RestaurantClosed', data: { restaurantId: state.restaurantId } }];
    }
  }
}

function create(command: Extract<RestaurantCommand, { type: 'CreateRestaurant' }>, state: RestaurantState): CatalogEvent[] {
  if (state !== null) throw catalogError('ALREADY_EXISTS', `Restaurant ${command.restaurantId} already exists.`);
  const details: RestaurantDetails = {
    name: command.name,
    cuisine: command.cuisine,
    description: command.description ?? '',
    phone: command.phone,
    address: command.address,
    location: command.location,
    timezone: command.timezone,
  };
  const policy = resolvePolicy(command.policy);
  const menu = command.menu ?? [];
  const issues: Issue[] = [
    ...validateDetails(details, true),
    ...validateOpeningHours(command.openingHours ?? {}),
    ...validateTables(command.tables),
    ...validatePolicy(policy),
    ...validateMenu(menu),
  ];
  const eventCount = 1 + (Array.isArray(menu) ? menu.reduce((n, s) => n + 1 + (s?.dishes?.length ?? 0), 0) : 0);
  if (eventCount > MAX_CREATE_EVENTS) {
    issues.push({ field: 'menu', message: `has ${eventCount - 1} sections and dishes; at most ${MAX_CREATE_EVENTS - 1} can be sent with the restaurant, add the rest with the menu routes` });
  }
  assertValid(issues);
  const restaurantId = command.restaurantId;
  const events: CatalogEvent[] = [
    {
      type: 'RestaurantCreated',
      data: {
        restaurantId,
        ownerId: command.actor,
        ...normalizeDetails(details),
        openingHours: normalizeOpeningHours(command.openingHours),
        tables: copyTables(command.tables),
        policy,
      },
    },
  ];
  for (const section of menu) {
    const name = section.name.trim();
    events.push({ type: 'MenuSectionAdded', data: { restaurantId, section: name } });
    for (const dish of section.dishes ?? []) {
      events.push({ type: 'DishAdded', data: { restaurantId, section: name, dish: normalizeDish(dish) } });
    }
  }
  return events;
}

/**
 * A restaurant folded from its stream's events (in version order), with the version of the last one: the
 * one fold every reader of a whole stream uses (the API reading past its read model, the reservation
 * service's replica fallback). Null for no events or a stream that was never created.
 */
export function restaurantFromEvents(events: ReadonlyArray<CatalogEvent & { version: number }>): { restaurant: Restaurant; version: number } | null {
  const restaurant = events.reduce<RestaurantState>(evolve, null);
  return restaurant ? { restaurant, version: events[events.length - 1]!.version } : null;
}

export const restaurantDecider: Decider<RestaurantCommand, RestaurantState, CatalogEvent> = {
  initialState: () => null,
  evolve,
  decide,
};
