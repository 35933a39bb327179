/**
 * The catalog service as the lead wires it: routes, the read model, and the consumer that keeps the
 * read model (queue `catalog-restaurants`, fed by the catalog's own topic).
 */
import type { Db } from 'mongodb';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import { catalogReadModel, type CatalogReadModel } from '../../projections/catalog';
import type { RoutePlugin } from '../server';
import { catalogRoutes } from './routes';

export interface CatalogService {
  routes: RoutePlugin;
  readModel: CatalogReadModel;
  consumers: { 'catalog-restaurants': (event: StoredEvent) => Promise<void> };
}

export function createCatalogService(deps: { store: EventStore; db: Db; now?: () => Date }): CatalogService {
  const readModel = catalogReadModel(deps.db, deps.store);
  return {
    routes: catalogRoutes({ store: deps.store, readModel, ...(deps.now ? { now: deps.now } : {}) }),
    readModel,
    consumers: { 'catalog-restaurants': (event) => readModel.handle(event) },
  };
}

export { catalogRoutes } from './routes';
export { catalogReadModel } from '../../projections/catalog';
