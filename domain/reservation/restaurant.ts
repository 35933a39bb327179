/**
 * A restaurant as the reservation service sees it: a replica built from the catalog's events. Plain JSON
 * (it is stored in projections and passed into workflows), so times of day are 'HH:MM' strings and the
 * time zone is an IANA name.
 */

// The restaurant's parts come from the catalog's published event contract (domain/catalog/events.ts):
// the replica is built from those events, so it uses their types rather than a copy of them.
import { DEFAULT_POLICY, WEEKDAYS, type OpeningInterval, type ReservationPolicy, type Table, type Weekday } from '../catalog/events';
import { largestSeating } from './combinations';

export { DEFAULT_POLICY, WEEKDAYS };
export type { OpeningInterval, ReservationPolicy, Table, Weekday };

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

/** Whether `userId` owns the restaurant (an unknown restaurant has no owner): who may decide on and list its reservations. */
export const isOwnerOf = (restaurant: Pick<RestaurantReplica, 'ownerId'> | null | undefined, userId: string): boolean => restaurant?.ownerId === userId;

/**
 * Seats of the largest table or valid combination of tables (./combinations.ts), 0 without tables: no party
 * larger than this can ever be seated.
 */
export function largestTable(restaurant: Pick<RestaurantReplica, 'tables'>): number {
  // replicas are immutable values, so one tables array always gives the same answer; the combination
  // walk is not free and every bookability check asks
  let seats = largestByTables.get(restaurant.tables);
  if (seats === undefined) largestByTables.set(restaurant.tables, (seats = largestSeating(restaurant.tables)));
  return seats;
}
const largestByTables = new WeakMap<readonly Table[], number>();
