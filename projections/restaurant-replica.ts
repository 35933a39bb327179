/**
 * Cross-service consumer owned by the reservation service: its own copy of what booking needs from the
 * catalog (owner, timezone, opening hours, tables, policy, closed flag), built from catalog events. Booking
 * never calls the catalog service. A projection (projections/projection.ts): one document per restaurant,
 * folded from its catalog stream, checkpointed per stream.
 *
 * Read your own writes: a restaurant created a moment ago may not have reached the replica yet. With a
 * `fallback` (`replicaFromCatalogEvents` over the catalog's event store, read only), a miss is answered
 * from the restaurant's own events, so a client that creates a restaurant and books it at once through any
 * API process succeeds. Changes to a restaurant the replica already has stay eventual (a second or so).
 */
import { LRUCache } from 'lru-cache';
import type { Collection, Db } from 'mongodb';
import type { WriteGuard } from '../eventstore/checkpoint';
import type { EventStore, StoredEvent } from '../eventstore/types';
import type { CatalogEvent } from '../domain/catalog/events';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
// policies recorded before a field existed get its default, so every reader of the replica sees them all
import { evolve, resolvePolicy, type RestaurantState } from '../domain/catalog/restaurant';
import { restaurantStreamId } from '../domain/catalog/events';
import { projectionHandler, type EventHandler, type Projection } from './projection';

/** A restaurant's replica folded straight from its catalog events (the same fields the projection keeps). */
export function replicaFromCatalogEvents(store: Pick<EventStore, 'readStream'>) {
  return async (restaurantId: string): Promise<RestaurantReplica | null> => {
    const events = (await store.readStream(restaurantStreamId(restaurantId))) as StoredEvent<CatalogEvent>[];
    const r = events.reduce<RestaurantState>((s, e) => evolve(s, e), null);
    if (!r) return null;
    const { ownerId, name, timezone, openingHours, tables, policy, closed } = r;
    return { restaurantId, ownerId, name, timezone, openingHours, tables, policy, closed, version: events.at(-1)!.version };
  };
}

type ReplicaDoc = Omit<RestaurantReplica, 'restaurantId'> & { _id: string };
type ReplicaBody = Omit<ReplicaDoc, '_id'>;

const REPLICA_COLLECTION = 'restaurants';
const STREAM_PREFIX = 'restaurant-';

/** The replica after one catalog event: only what booking needs; every event moves `version`. */
function evolveReplica(doc: Partial<ReplicaBody> | undefined, e: StoredEvent<CatalogEvent>): Partial<ReplicaBody> {
  const next = (fields: Partial<ReplicaBody>) => ({ ...doc, ...fields, version: e.version });
  switch (e.type) {
    case 'RestaurantCreated':
      return next({
        ownerId: e.data.ownerId,
        name: e.data.name,
        timezone: e.data.timezone,
        openingHours: e.data.openingHours,
        tables: e.data.tables,
        policy: resolvePolicy(e.data.policy),
        closed: false,
      });
    case 'RestaurantDetailsChanged':
      return next({
        ...(e.data.name !== undefined ? { name: e.data.name } : {}),
        ...(e.data.timezone !== undefined ? { timezone: e.data.timezone } : {}),
      });
    case 'OpeningHoursSet':
      return next({ openingHours: e.data.openingHours });
    case 'TablesSet':
      return next({ tables: e.data.tables });
    case 'ReservationPolicySet':
      return next({ policy: resolvePolicy(e.data.policy) });
    case 'RestaurantClosed':
      return next({ closed: true });
    default:
      // menu changes do not matter to booking; the version still moves
      return next({});
  }
}

/** The reservation service's `restaurants` replica from the catalog's restaurant streams (read by `_id` only: no index). */
export const restaurantReplicaProjection: Projection = {
  name: 'reservation-restaurants',
  collections: [REPLICA_COLLECTION],
  foldOf: (streamId) =>
    streamId.startsWith(STREAM_PREFIX)
      ? {
          collection: REPLICA_COLLECTION,
          docId: streamId.slice(STREAM_PREFIX.length),
          evolve: (doc, e) => evolveReplica(doc as Partial<ReplicaBody> | undefined, e as StoredEvent<CatalogEvent>),
        }
      : undefined,
};

export interface RestaurantReplicaStore {
  handle: EventHandler;
  /**
   * The restaurant's replica. With `minVersion` (the version a caller already decided on, e.g. the one the
   * API checked a booking's rules against) a cached copy at least that new is used for up to
   * `versionedCacheMs`: never older than what the caller saw, without a read per booking.
   */
  get(restaurantId: string, minVersion?: number): Promise<RestaurantReplica | null>;
}

export function restaurantReplica(
  db: Db,
  opts: {
    cacheMs?: number;
    /** How long a cached copy may answer a `get` with a `minVersion` it meets (only when cacheMs > 0). Default 60 s. */
    versionedCacheMs?: number;
    writeGuard?: WriteGuard;
    fallback?: (restaurantId: string) => Promise<RestaurantReplica | null>;
  } = {},
): RestaurantReplicaStore {
  const col: Collection<ReplicaDoc> = db.collection<ReplicaDoc>(REPLICA_COLLECTION);
  // readers may keep a replica for a moment (availability asks for the same one many times a second);
  // placement re-checks against the ledger, so a replica at most `cacheMs` old is safe to answer from
  const cacheMs = opts.cacheMs ?? 0;
  const versionedCacheMs = Math.max(cacheMs, opts.versionedCacheMs ?? 60_000);
  // at most 10,000 restaurants, the least recently used dropped first; no entry outlives versionedCacheMs.
  // An entry's `version` is set once its read has answered.
  const cache = new LRUCache<string, { at: number; value: Promise<RestaurantReplica | null>; version?: number }>({ max: 10_000, ttl: versionedCacheMs });

  return {
    handle: projectionHandler(db, restaurantReplicaProjection, opts.writeGuard ? { writeGuard: opts.writeGuard } : {}).handle,

    get(restaurantId, minVersion) {
      const hit = cache.get(restaurantId);
      if (hit) {
        const age = Date.now() - hit.at;
        if (age < cacheMs) return hit.value;
        if (minVersion !== undefined && hit.version !== undefined && hit.version >= minVersion && age < versionedCacheMs) return hit.value;
      }
      const value = col.findOne({ _id: restaurantId }, { projection: { _v: 0 } }).then((doc) => {
        if (!doc || doc.ownerId === undefined) return opts.fallback ? opts.fallback(restaurantId) : null;
        const { _id, ...rest } = doc;
        return { restaurantId: _id, ...rest } as RestaurantReplica;
      });
      if (cacheMs > 0) {
        const entry: { at: number; value: Promise<RestaurantReplica | null>; version?: number } = { at: Date.now(), value };
        cache.set(restaurantId, entry);
        // an unknown restaurant may appear any moment (the pipeline is catching up): never remember a miss
        const forget = () => cache.get(restaurantId)?.value === value && cache.delete(restaurantId);
        value.then((r) => (r ? (entry.version = r.version) : forget()), forget);
      }
      return value;
    },
  };
}
