/**
 * A restaurant as the reservation service sees it: a replica built from the catalog's events. Plain JSON
 * (it is stored in projections and passed into workflows), so times of day are 'HH:MM' strings and the
 * time zone is an IANA name.
 */

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
/** Index in WEEKDAYS is ISO weekday − 1 (monday = 0). */
export type Weekday = (typeof WEEKDAYS)[number];

/** Wall-clock times in the restaurant's zone. `close <= open` means the interval ends after midnight (next day). */
export interface OpeningInterval {
  open: string;
  close: string;
}

export interface Table {
  id: string;
  seats: number;
}

export interface ReservationPolicy {
  /** `manual`: the owner accepts or rejects each request; `auto`: accepted on request. */
  acceptance: 'manual' | 'auto';
  maxPartySize: number;
  /** How long a party occupies its table. */
  turnMinutes: number;
  /** Start times are aligned to this grid, counted from each opening interval's start. */
  slotMinutes: number;
  /** A manual request not decided within this time expires. */
  decisionTimeoutMinutes: number;
  minAdvanceMinutes: number;
  maxAdvanceDays: number;
  /** A customer may cancel up to this many minutes before the start. */
  cancellationCutoffMinutes: number;
  reminderMinutesBefore: number;
}

export interface RestaurantReplica {
  restaurantId: string;
  ownerId: string;
  name: string;
  /** IANA zone, e.g. 'Europe/Rome'. All opening hours are wall-clock times in this zone. */
  timezone: string;
  openingHours: Record<Weekday, OpeningInterval[]>;
  tables: Table[];
  policy: ReservationPolicy;
  /** Temporarily not taking reservations (set by the owner). */
  closed: boolean;
  /** Version of the catalog stream this replica reflects. */
  version: number;
}

export const DEFAULT_POLICY: ReservationPolicy = {
  acceptance: 'manual',
  maxPartySize: 8,
  turnMinutes: 90,
  slotMinutes: 15,
  decisionTimeoutMinutes: 60,
  minAdvanceMinutes: 60,
  maxAdvanceDays: 60,
  cancellationCutoffMinutes: 120,
  reminderMinutesBefore: 24 * 60,
};

/** Seats of the largest table, 0 without tables: no party larger than this can ever be seated. */
export function largestTable(restaurant: Pick<RestaurantReplica, 'tables'>): number {
  return restaurant.tables.reduce((max, t) => Math.max(max, t.seats), 0);
}
