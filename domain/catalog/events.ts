/**
 * The catalog's events: the contract other services build their copies from (the reservation replica,
 * auth's ownership grants, the catalog read model). Each event says one small thing that happened;
 * none carries the whole restaurant, so a consumer only reads the fields it cares about.
 *
 * Changing a shape here is a breaking change for every consumer: add fields, never rename or remove.
 */
import type { DomainEvent } from '../../eventstore/types';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
/** Index in WEEKDAYS is ISO weekday − 1 (monday = 0). */
export type Weekday = (typeof WEEKDAYS)[number];

/** Wall-clock `HH:MM` in the restaurant's zone; what an interval means (after midnight, open == close): domain/time/opening-interval.ts. */
export interface OpeningInterval {
  open: string;
  close: string;
}

/** Always all seven keys (an empty list = closed that day). */
export type OpeningHours = Record<Weekday, OpeningInterval[]>;

export interface Location {
  lat: number;
  lon: number;
}

export interface Table {
  id: string;
  seats: number;
  /**
   * Ids of the tables this one may be pushed together with (issue 14). A combination needs every pair of
   * its tables to name each other (domain/reservation/combinations.ts). Absent: never combined.
   */
  combinableWith?: string[];
}

export interface Price {
  amount: number;
  /** ISO 4217, upper case, e.g. `EUR`. */
  currency: string;
}

export interface Dish {
  name: string;
  description: string;
  price: Price;
}

export interface MenuSection {
  name: string;
  dishes: Dish[];
}

export interface ReservationPolicy {
  acceptance: 'manual' | 'auto';
  maxPartySize: number;
  turnMinutes: number;
  slotMinutes: number;
  decisionTimeoutMinutes: number;
  minAdvanceMinutes: number;
  maxAdvanceDays: number;
  cancellationCutoffMinutes: number;
  reminderMinutesBefore: number;
  /**
   * Active (held or booked) reservations one customer may have at this restaurant on one opening day, so
   * one account cannot hoard every table of an evening.
   */
  maxBookingsPerCustomerPerDay: number;
  /** How long a waitlist offer holds a freed table for its diner (minutes). */
  waitlistOfferMinutes: number;
  /** How long before the start the owner may mark a party seated (minutes). */
  seatEarlyMinutes: number;
  /** How long after the start a party that has not come may be marked a no-show (minutes). */
  noShowGraceMinutes: number;
}

/** The free-text and place fields an owner edits with PATCH. */
export interface RestaurantDetails {
  name: string;
  cuisine: string;
  description: string;
  phone: string;
  address: string;
  location: Location;
  timezone: string;
}

export const DETAIL_FIELDS = ['name', 'cuisine', 'description', 'phone', 'address', 'location', 'timezone'] as const;

export type RestaurantCreated = DomainEvent<
  'RestaurantCreated',
  RestaurantDetails & {
    restaurantId: string;
    ownerId: string;
    openingHours: OpeningHours;
    tables: Table[];
    policy: ReservationPolicy;
  }
>;
/** Only the fields that changed are present. */
export type RestaurantDetailsChanged = DomainEvent<'RestaurantDetailsChanged', { restaurantId: string } & Partial<RestaurantDetails>>;
export type OpeningHoursSet = DomainEvent<'OpeningHoursSet', { restaurantId: string; openingHours: OpeningHours }>;
export type TablesSet = DomainEvent<'TablesSet', { restaurantId: string; tables: Table[] }>;
export type ReservationPolicySet = DomainEvent<'ReservationPolicySet', { restaurantId: string; policy: ReservationPolicy }>;
export type MenuSectionAdded = DomainEvent<'MenuSectionAdded', { restaurantId: string; section: string }>;
/** Removes the section with all its dishes. */
export type MenuSectionRemoved = DomainEvent<'MenuSectionRemoved', { restaurantId: string; section: string }>;
export type DishAdded = DomainEvent<'DishAdded', { restaurantId: string; section: string; dish: Dish }>;
/** `dishName` is the name before the change; `dish` is the whole dish after it (it may carry a new name). */
export type DishChanged = DomainEvent<'DishChanged', { restaurantId: string; section: string; dishName: string; dish: Dish }>;
export type DishRemoved = DomainEvent<'DishRemoved', { restaurantId: string; section: string; dishName: string }>;
export type RestaurantClosed = DomainEvent<'RestaurantClosed', { restaurantId: string }>;

export type CatalogEvent =
  | RestaurantCreated
  | RestaurantDetailsChanged
  | OpeningHoursSet
  | TablesSet
  | ReservationPolicySet
  | MenuSectionAdded
  | MenuSectionRemoved
  | DishAdded
  | DishChanged
  | DishRemoved
  | RestaurantClosed;

export type CatalogEventType = CatalogEvent['type'];

export const CATALOG_EVENT_TYPES: readonly CatalogEventType[] = [
  'RestaurantCreated',
  'RestaurantDetailsChanged',
  'OpeningHoursSet',
  'TablesSet',
  'ReservationPolicySet',
  'MenuSectionAdded',
  'MenuSectionRemoved',
  'DishAdded',
  'DishChanged',
  'DishRemoved',
  'RestaurantClosed',
];

export function isCatalogEvent(e: DomainEvent): e is CatalogEvent {
  return (CATALOG_EVENT_TYPES as readonly string[]).includes(e.type);
}

const RESTAURANT_STREAM_PREFIX = 'restaurant-';

export const restaurantStreamId = (restaurantId: string): string => `${RESTAURANT_STREAM_PREFIX}${restaurantId}`;

/** The restaurant id of a `restaurantStreamId`, undefined for any other stream. */
export const restaurantIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith(RESTAURANT_STREAM_PREFIX) ? streamId.slice(RESTAURANT_STREAM_PREFIX.length) : undefined;

export const DEFAULT_POLICY: ReservationPolicy = {
  acceptance: 'manual',
  maxPartySize: 8,
  turnMinutes: 90,
  slotMinutes: 15,
  decisionTimeoutMinutes: 60,
  minAdvanceMinutes: 60,
  maxAdvanceDays: 60,
  cancellationCutoffMinutes: 120,
  reminderMinutesBefore: 120,
  maxBookingsPerCustomerPerDay: 2,
  waitlistOfferMinutes: 10,
  seatEarlyMinutes: 30,
  noShowGraceMinutes: 15,
};
