/**
 * The catalog service as the app mounts it: its routes over the catalog read model. The consumer that keeps
 * that read model (queue `catalog-restaurants`) is wired with every other consumer, once, in projections/index.ts.
 */
import type { Db } from 'mongodb';
import type { EventStore } from '../../eventstore/types';
import { catalogReadModel } from '../../projections/catalog';
import type { RoutePlugin } from '../server';
import { catalogRoutes } from './routes';

export interface CatalogService {
  routes: RoutePlugin;
}

export function createCatalogService(deps: { store: EventStore; db: Db; now?: () => Date }): CatalogService {
  return {
    routes: catalogRoutes({ store: deps.store, readModel: catalogReadModel(deps.db), ...(deps.now ? { now: deps.now } : {}) }),
  };
}

export { catalogRoutes } from './routes';
