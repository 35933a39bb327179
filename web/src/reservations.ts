/** Lists of reservations kept current: merge one changed reservation in, in the API's order (start, then id). */
import type { Reservation } from './api';

const order = (a: Reservation, b: Reservation): number =>
  Date.parse(a.start) - Date.parse(b.start) || (a.reservationId < b.reservationId ? -1 : a.reservationId > b.reservationId ? 1 : 0);

/**
 * The list with `r` in it: replacing the one with its id (keeping fields the change does not carry, like
 * `restaurantName`), or added when `belongs` says it is one of the list's; sorted like the API's lists.
 */
export function upsert(list: readonly Reservation[], r: Reservation, belongs: (r: Reservation) => boolean = () => true): Reservation[] {
  const i = list.findIndex((x) => x.reservationId === r.reservationId);
  if (i < 0) return belongs(r) ? [...list, r].sort(order) : [...list];
  const next = [...list];
  next[i] = { ...list[i]!, ...r };
  return next.sort(order);
}

/** The statuses a diner may try to cancel from (the API decides on the cutoff and says why not). */
export const CANCELLABLE = new Set(['pending', 'accepted']);
