/**
 * Every consumer, by the name the topology gives its queue (platform/topology.ts says whose events it reads
 * and which service owns what it writes): its projection (projections/projection.ts), the live handler the
 * pipeline runs, and what rebuilds, empties and indexes its read model. The one place consumers are wired:
 * the pipeline worker, the API worker (indexes), `npm run replay` and the fault checks all take them from here.
 */
import type { Db } from 'mongodb';
import type { WriteGuard } from '../eventstore/checkpoint';
import type { EventStore, ServiceName, StoredEvent } from '../eventstore/types';
import { CONSUMERS, type ConsumerName } from '../platform/topology';
import { catalogProjection } from './catalog';
import { ownershipConsumer, restaurantOwnersProjection } from './ownership';
import { initProjection, projectionHandler, truncateProjection, type EventHandler, type Projection } from './projection';
import { rebuildDirect, type DirectRebuildOptions, type DirectRebuildReport } from './rebuild';
import { reservationsProjection } from './reservations';
import { restaurantReplicaProjection } from './restaurant-replica';
import { usersReadModelProjection } from './users';
import { waitlistProjection } from './waitlist';

export type { EventHandler, Projection } from './projection';

/** Each consumer's read model. */
export const PROJECTIONS: Record<ConsumerName, Projection> = {
  'catalog-restaurants': catalogProjection,
  'reservation-restaurants': restaurantReplicaProjection,
  'reservation-reservations': reservationsProjection,
  'reservation-waitlists': waitlistProjection,
  'auth-users': usersReadModelProjection,
  'auth-ownership': restaurantOwnersProjection,
};

export type RebuildOptions = Pick<DirectRebuildOptions, 'source' | 'grouped' | 'batchSize' | 'concurrency' | 'onProgress'>;

export interface Consumer {
  projection: Projection;
  handle: EventHandler;
  /** A run of one stream's events at once (one read and one write per document); absent for reactions. */
  handleStream?: (events: StoredEvent[]) => Promise<void>;
  /** Creates the indexes its read model's queries use. Run at start by the pipeline and the API. */
  init: () => Promise<void>;
  /** Empties its read model (before re-sending the history through its queue: eventstore/replay.ts). */
  truncate: () => Promise<void>;
  /**
   * Rebuilds its read model straight from the source store (projections/rebuild.ts): read, fold with the
   * projection's own evolve, bulk insert with the live checkpoints. Reactions (auth-ownership's grants) are
   * not re-run: their effects are events in their own store already.
   */
  rebuildFromStore: (opts?: RebuildOptions) => Promise<DirectRebuildReport>;
}

export function consumers(deps: {
  dbs: Record<ServiceName, Db>;
  stores: Record<ServiceName, EventStore>;
  /** How checkpointed writes are conditioned (platform/runtime.ts picks it); default 'checkpoint'. */
  writeGuard?: WriteGuard;
}): Record<ConsumerName, Consumer> {
  const guard = deps.writeGuard ? { writeGuard: deps.writeGuard } : {};
  const entries = CONSUMERS.map((c): [ConsumerName, Consumer] => {
    const projection = PROJECTIONS[c.name];
    const db = deps.dbs[c.owner];
    const store = deps.stores[c.source];
    const live =
      c.name === 'auth-ownership'
        ? { handle: ownershipConsumer({ store: deps.stores.auth, db: deps.dbs.auth, ...guard }) }
        : projectionHandler(db, projection, guard);
    return [
      c.name,
      {
        projection,
        ...live,
        init: () => initProjection(db, projection),
        truncate: () => truncateProjection(db, projection),
        rebuildFromStore: (o = {}) => rebuildDirect({ ...o, db, store, projection, ...guard }),
      },
    ];
  });
  return Object.fromEntries(entries) as Record<ConsumerName, Consumer>;
}

/** Creates every read model's indexes in the services' databases (idempotent). */
export async function initReadModels(dbs: Record<ServiceName, Db>): Promise<void> {
  for (const c of CONSUMERS) await initProjection(dbs[c.owner], PROJECTIONS[c.name]);
}
