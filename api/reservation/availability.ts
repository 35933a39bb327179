/**
 * The availability read (`GET /restaurants/:id/availability`) made cheap enough to answer 1,000+ times a
 * second on two cores, with the rules still decided once, in `domain/time/slots.ts` and
 * `domain/reservation/ledger.ts`:
 *
 * - Ledger micro-cache (lru-cache): the day's ledger document is read at most once per `ledgerCacheMs`
 *   (default 1 s) per restaurant and date and API process; concurrent asks share one read, a failed read is
 *   not kept. The
 *   ledger read model is eventual already (the pipeline applies a booking about a second after it is
 *   written); this adds at most `ledgerCacheMs` more. Availability is advisory: a booking made from a stale
 *   answer is decided by the ledger stream itself (optimistic concurrency), never by this read, and a taken
 *   start is refused with NO_TABLE and the nearest free alternatives.
 * - The free starts of a (restaurant version, date, party size, ledger occupancy) are computed and formatted
 *   once; only the advance window (which depends on `now`, to the millisecond) is applied per request, as a
 *   contiguous range of the ascending list. A restaurant version is one content of the restaurant (its
 *   catalog stream's version), and the occupancy is every booking's table and turn, so a kept answer is
 *   exactly what computing it again would give.
 */
import { DateTime } from 'luxon';
import { LRUCache } from 'lru-cache';
import { availableStarts, type LedgerState } from '../../domain/reservation/ledger';
import type { RestaurantReplica } from '../../domain/reservation/restaurant';
import { advanceWindow, offeredStarts } from '../../domain/time/slots';
import { formatInZone } from '../../domain/time/zoned-time';

export interface AvailabilityOptions {
  /** The read model's ledger of a restaurant's local date. */
  ledger(restaurantId: string, date: string): Promise<LedgerState>;
  /** How long a ledger read may answer again (ms); 0: read every time. Default 1000. */
  ledgerCacheMs?: number;
  /** Ledger reads kept at most (restaurant × date); the least recently asked go first. Default 20,000. */
  maxLedgers?: number;
}

/** Free starts for one party, ascending: epoch ms and the answer's `{ start }` items, index for index. */
interface FreeStarts {
  at: readonly number[];
  slots: ReadonlyArray<{ start: string }>;
}

export interface AvailabilityReader {
  /** The day's ledger (possibly up to `ledgerCacheMs` old). */
  ledger(restaurantId: string, date: string): Promise<LedgerState>;
  /**
   * The bookable free starts for the party, formatted in the restaurant's zone: what
   * `availableStarts(ledger, bookableStarts({ restaurant, date, now, partySize }), …)` gives. The array may
   * be shared between answers: do not change it.
   */
  slots(restaurant: RestaurantReplica, ledger: LedgerState, date: string, partySize: number, now: Date): ReadonlyArray<{ start: string }>;
}

export function availabilityReader(opts: AvailabilityOptions): AvailabilityReader {
  const ttl = opts.ledgerCacheMs ?? 1000;
  /**
   * The ledger reads in flight or answered, by restaurant and date. Bounded by count: a read holds one day's
   * ledger document, and without a bound a crawl over many restaurants × dates would keep every one of them
   * for a second. The TTL runs from when the read was sent (the promise is kept at once), so what it answers
   * is at most `ttl` older than the read model.
   */
  const ledgers =
    ttl > 0 ? new LRUCache<string, Promise<LedgerState>>({ max: opts.maxLedgers ?? 20_000, ttl, updateAgeOnGet: false }) : undefined;
  let purgedAt = 0;
  /** Per ledger read: the free starts by restaurant version, date and party size. */
  const freeByLedger = new WeakMap<LedgerState, Map<string, FreeStarts>>();
  /**
   * The same by what they depend on: restaurant version, date, party size and the ledger's occupancy. No TTL
   * (a kept answer is exactly what computing it again would give); bounded by count since each holds a day
   * of formatted starts (~10 kB).
   */
  const byContent = new LRUCache<string, FreeStarts>({ max: MAX_ANSWERS });

  function ledger(restaurantId: string, date: string): Promise<LedgerState> {
    if (!ledgers) return opts.ledger(restaurantId, date);
    const key = `${restaurantId}|${date}`;
    const hit = ledgers.get(key);
    if (hit) return hit;
    const value = opts.ledger(restaurantId, date);
    ledgers.set(key, value);
    // expired reads are dropped at least once per `ttl`: no memory held for dates nobody asks about any more
    const t = performance.now();
    if (t - purgedAt >= ttl) {
      purgedAt = t;
      ledgers.purgeStale();
    }
    // a failed read is not kept: the next ask reads again
    value.catch(() => ledgers.peek(key) === value && ledgers.delete(key));
    return value;
  }

  function freeStarts(restaurant: RestaurantReplica, ledger: LedgerState, date: string, partySize: number): FreeStarts {
    let byKey = freeByLedger.get(ledger);
    if (!byKey) freeByLedger.set(ledger, (byKey = new Map()));
    // a replica version is one content of the restaurant (the catalog stream's version)
    const key = `${restaurant.restaurantId}|${restaurant.version}|${date}|${partySize}`;
    let free = byKey.get(key);
    if (!free) {
      // a new read of an unchanged ledger (the usual case) answers what the previous read did
      const contentKey = `${key}|${occupancyOf(ledger)}`;
      free = byContent.get(contentKey);
      if (!free) {
        const starts = availableStarts(ledger, offeredStarts(restaurant, date, partySize), partySize, restaurant.policy.turnMinutes, restaurant.tables);
        free = { at: starts.map((s) => s.getTime()), slots: starts.map((s) => ({ start: formatInZone(s, restaurant.timezone) })) };
        byContent.set(contentKey, free);
      }
      byKey.set(key, free);
    }
    return free;
  }

  return {
    ledger,
    slots(restaurant, ledgerState, date, partySize, now) {
      const free = freeStarts(restaurant, ledgerState, date, partySize);
      if (free.at.length === 0) return free.slots;
      const { earliest, latest } = advanceWindow(restaurant, now);
      const lo = firstAtLeast(free.at, earliest);
      const hi = firstAtLeast(free.at, latest + 1);
      return lo === 0 && hi === free.at.length ? free.slots : free.slots.slice(lo, hi);
    },
  };
}

/** Free-start lists kept by content at most (each ~10 kB for a day of 15-minute slots); the oldest go first. */
const MAX_ANSWERS = 4000;

/** What of a ledger availability depends on: each booking's tables and turn (in the document's order). */
function occupancyOf(ledger: LedgerState): string {
  let out = '';
  for (const id in ledger.bookings) {
    const b = ledger.bookings[id]!;
    // every table of a combination (tableIds) is taken, not only the first
    out += `${b.tableIds ? b.tableIds.join(',') : b.tableId} ${b.start} ${b.end};`;
  }
  return out;
}

/** The first index whose value is ≥ `v` (the length when none is): binary search of an ascending list. */
function firstAtLeast(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whether `date` (already `YYYY-MM-DD` by the schema) is a calendar date in `timezone`; remembered. Bounded:
 * the keys come from requests, so a client could otherwise grow it without end.
 */
export function isLocalDate(date: string, timezone: string): boolean {
  const key = `${timezone}|${date}`;
  let ok = validDates.get(key);
  if (ok === undefined) {
    ok = DateTime.fromISO(date, { zone: timezone }).isValid;
    validDates.set(key, ok);
  }
  return ok;
}
const validDates = new LRUCache<string, boolean>({ max: 10_000 });
