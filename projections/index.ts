/**
 * Every consumer's handler, by the name the topology gives its queue, and how to empty its projection
 * for a rebuild. The pipeline worker runs them; `npm run replay` rebuilds them (directly from the store when
 * the consumer offers `rebuildFromStore`, else through its queue).
 */
import type { Db } from 'mongodb';
import type { WriteGuard } from '../eventstore/checkpoint';
import type { EventStore, ServiceName, StoredEvent } from '../eventstore/types';
import type { ConsumerName } from '../platform/topology';
import { catalogReadModel } from './catalog';
import { ownershipConsumer, RESTAURANT_OWNERS_COLLECTION } from './ownership';
import { rebuildDirect, type BulkProjection, type DirectRebuildOptions, type DirectRebuildReport } from './rebuild';
import { RESERVATION_COLLECTIONS, reservationFoldOf, reservationProjections } from './reservations';
import { restaurantReplica } from './restaurant-replica';
import { usersProjection } from './users';

export type EventHandler = (event: StoredEvent) => Promise<void>;

export interface Consumer {
  handle: EventHandler;
  /** Optional: a run of one stream's events at once (one read and one write per document). */
  handleStream?: (events: StoredEvent[]) => Promise<void>;
  /** Empties what the consumer built, before a replay rebuilds it. */
  rebuild: () => Promise<void>;
  /**
   * Optional: rebuilds the projection straight from its source store (projections/rebuild.ts): read, fold with
   * the consumer's own rules, bulk insert with the live checkpoints. `npm run replay -- --rebuild` prefers it.
   */
  rebuildFromStore?: (opts?: Pick<DirectRebuildOptions, 'source' | 'grouped' | 'batchSize' | 'concurrency' | 'onProgress'>) => Promise<DirectRebuildReport>;
}

/** The reservation read models (reservations, ledgers) as a directly rebuildable projection. */
export const reservationBulkProjection: BulkProjection = { collections: RESERVATION_COLLECTIONS, foldOf: reservationFoldOf };

export function consumers(deps: {
  dbs: Record<ServiceName, Db>;
  stores: Record<ServiceName, EventStore>;
  /** How checkpointed writes are conditioned (platform/runtime.ts picks it); default 'checkpoint'. */
  writeGuard?: WriteGuard;
}): Record<ConsumerName, Consumer> {
  const guard = deps.writeGuard ? { writeGuard: deps.writeGuard } : {};
  const catalog = catalogReadModel(deps.dbs.catalog, deps.stores.catalog);
  const replica = restaurantReplica(deps.dbs.reservation, guard);
  const reservations = reservationProjections(deps.dbs.reservation, guard);
  const users = usersProjection(deps.dbs.auth);
  return {
    'catalog-restaurants': { handle: (e) => catalog.handle(e), rebuild: () => catalog.rebuild() },
    'reservation-restaurants': { handle: (e) => replica.handle(e), rebuild: () => replica.rebuild() },
    'reservation-reservations': {
      handle: (e) => reservations.handle(e),
      handleStream: (events) => reservations.handleStream(events),
      rebuild: () => reservations.rebuild(),
      rebuildFromStore: (o = {}) =>
        rebuildDirect({ ...o, db: deps.dbs.reservation, store: deps.stores.reservation, projection: reservationBulkProjection, ...guard }),
    },
    'auth-users': { handle: (e) => users.handle(e), rebuild: () => users.rebuild() },
    'auth-ownership': {
      handle: ownershipConsumer({ store: deps.stores.auth, db: deps.dbs.auth }),
      // ownership grants are events in auth's own store: a rebuild only forgets the owner lookup table
      rebuild: async () => void (await deps.dbs.auth.collection(RESTAURANT_OWNERS_COLLECTION).deleteMany({})),
    },
  };
}
