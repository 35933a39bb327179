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
import type { EventStore, StoredEvent } from '../eventstore/types';
import { restaurantIdOfStream, restaurantStreamId, type CatalogEvent } from '../domain/catalog/events';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { evolve, restaurantFromEvents, type Restaurant } from '../domain/catalog/restaurant';
import { documentPerStream, type Projection } from './projection';

type ReplicaDoc = Omit<RestaurantReplica, 'restaurantId'> & { _id: string };
type ReplicaBody = Omit<ReplicaDoc, '_id'>;

const REPLICA_COLLECTION = 'restaurants';

/** What booking keeps of a restaurant: its fields picked from the catalog's own state (domain/catalog/restaurant.ts). */
function replicaBody({ ownerId, name, timezone, openingHours, tables, policy, closed }: Restaurant, version: number): ReplicaBody {
  return { ownerId, name, timezone, openingHours, tables, policy, closed, version };
}

/** A restaurant's replica folded straight from its catalog events (the same fields the projection keeps). */
export function replicaFromCatalogEvents(store: Pick<EventStore, 'readStream'>) {
  return async (restaurantId: string): Promise<RestaurantReplica | null> => {
    const folded = restaurantFromEvents((await store.readStream(restaurantStreamId(restaurantId))) as StoredEvent<CatalogEvent>[]);
    return folded ? { restaurantId, ...replicaBody(folded.restaurant, folded.version) } : null;
  };
}

/**
 * The replica after one catalog event: the catalog's `evolve` over what the replica keeps, then its fields
 * picked again; every event moves `version`. The replica keeps no menu and no public details (cuisine,
 * phone…): `evolve` only copies those, and folds menu events over an empty menu that is dropped again.
 */
function evolveReplica(restaurantId: string, doc: ReplicaBody | undefined, e: StoredEvent<CatalogEvent>): ReplicaBody {
  const state = doc === undefined ? null : ({ ...doc, restaurantId, menu: [] } as unknown as Restaurant);
  const next = evolve(state, e);
  if (!next) throw new Error(`${e.streamId} starts with ${e.type}, not RestaurantCreated`);
  return replicaBody(next, e.version);
}

/** The reservation service's `restaurants` replica from the catalog's restaurant streams (read by `_id` only: no index). */
export const restaurantReplicaProjection: Projection = {
  name: 'reservation-restaurants',
  collections: [REPLICA_COLLECTION],
  foldOf: documentPerStream(REPLICA_COLLECTION, restaurantIdOfStream, (restaurantId) => (doc, e) =>
    evolveReplica(restaurantId, doc as ReplicaBody | undefined, e as StoredEvent<CatalogEvent>),
  ),
};

/** The replica's query (its live handler is the `reservation-restaurants` consumer: projections/index.ts). */
export interface RestaurantReplicaStore {
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
