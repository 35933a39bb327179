/**
 * Cross-service consumer owned by auth (queue `auth-ownership`, fed by the catalog topic): a restaurant's
 * creator becomes its owner, and loses that when the restaurant closes. It writes auth's own events
 * (`RestaurantOwnershipGranted/Revoked` on `user-<ownerId>`), so roles in tokens and `/auth/me` come from
 * auth's history and never from a query into catalog.
 *
 * What it remembers (`restaurant_owners`, who created each restaurant, so a RestaurantClosed finds the owner
 * to revoke from) is a read model like every other (projections/projection.ts): every catalog event goes
 * through the one apply path (projectionHandler, checkpoint `_v` included), so it rebuilds, empties and
 * heals its gaps like them, and a rebuilt document equals the live one. The grant and revoke are reactions,
 * run on every delivery. One exception: a RestaurantClosed of a restaurant never seen created is skipped
 * with a warning, not held as a gap (a reaction that waits for a missing creation would stall the queue
 * for nothing).
 *
 * Redelivery-safe twice over: the decider makes a repeated grant/revoke a no-op, and each written event
 * carries an id derived from the catalog event's id, so a message redelivered after a later change (grant,
 * revoke, then the grant redelivered) is recognised and skipped instead of re-granting.
 */
import type { Db } from 'mongodb';
import type { WriteGuard } from '../eventstore/checkpoint';
import { type Decider, handleCommand } from '../eventstore/command-handler';
import type { DomainEvent, EventStore, StoredEvent } from '../eventstore/types';
import { isDomainError } from '../domain/errors';
import { type UserCommand, type UserEvent, type UserState, userDecider, userStreamId } from '../domain/auth/user';
import { restaurantIdOfStream } from '../domain/catalog/events';
import { documentPerStream, projectionHandler, type EventHandler, type Projection } from './projection';

// ---- consumer-driven contract: the only catalog event fields auth relies on --------------------------

interface CatalogRestaurantCreated {
  type: 'RestaurantCreated';
  data: { restaurantId: string; ownerId: string };
}
interface CatalogRestaurantClosed {
  type: 'RestaurantClosed';
  data: { restaurantId: string };
}

function isCreated(e: StoredEvent): e is StoredEvent<CatalogRestaurantCreated> {
  const d = e.data as Partial<CatalogRestaurantCreated['data']> | null;
  return e.type === 'RestaurantCreated' && typeof d?.restaurantId === 'string' && typeof d.ownerId === 'string';
}
function isClosed(e: StoredEvent): e is StoredEvent<CatalogRestaurantClosed> {
  const d = e.data as Partial<CatalogRestaurantClosed['data']> | null;
  return e.type === 'RestaurantClosed' && typeof d?.restaurantId === 'string';
}

// ---- deterministic event ids over handleCommand ------------------------------------------------------

interface Tracked<S> {
  inner: S;
  seenIds: Set<string>;
}

/**
 * Wraps a decider so its events get `eventId` and a command whose id is already in the stream decides
 * nothing. `handleCommand` keeps extra fields of decided events, so the id reaches the store.
 */
export function withEventId<C, S, E extends DomainEvent>(decider: Decider<C, S, E>, eventId: string): Decider<C, Tracked<S>, E> {
  return {
    initialState: () => ({ inner: decider.initialState(), seenIds: new Set() }),
    evolve: (state, event) => {
      const id = (event as Partial<StoredEvent>).eventId;
      if (id !== undefined) state.seenIds.add(id);
      return { inner: decider.evolve(state.inner, event), seenIds: state.seenIds };
    },
    decide: (command, state) => {
      if (state.seenIds.has(eventId)) return [];
      const decided = decider.decide(command, state.inner);
      return decided.map((e, i) => ({ ...e, eventId: decided.length === 1 ? eventId : `${eventId}:${i}` }));
    },
  };
}

// ---- the consumer ------------------------------------------------------------------------------------

export const RESTAURANT_OWNERS_COLLECTION = 'restaurant_owners';

interface RestaurantOwnerDoc {
  _id: string;
  ownerId?: string;
}

/** `restaurant_owners`: a restaurant's creator, from its catalog stream (read by `_id` only: no index). */
export const restaurantOwnersProjection: Projection = {
  name: 'auth-ownership',
  collections: [RESTAURANT_OWNERS_COLLECTION],
  foldOf: documentPerStream(RESTAURANT_OWNERS_COLLECTION, restaurantIdOfStream, () => (doc, e) => (isCreated(e) ? { ownerId: e.data.ownerId } : (doc ?? {}))),
};

export interface OwnershipLogger {
  warn(obj: object, msg: string): void;
}

export interface OwnershipConsumerDeps {
  /** The auth service's event store. */
  store: EventStore;
  /** The auth service's Mongo db (for `restaurant_owners`). */
  db: Db;
  /** How its checkpointed writes are conditioned (as every projection's: projections/index.ts). */
  writeGuard?: WriteGuard;
  logger?: OwnershipLogger;
}

export function ownershipConsumer(deps: OwnershipConsumerDeps): EventHandler {
  const owners = deps.db.collection<RestaurantOwnerDoc>(RESTAURANT_OWNERS_COLLECTION);
  /** The event applied to `restaurant_owners` as every projection applies it (idempotent; a gap throws GapError). */
  const remember = projectionHandler(deps.db, restaurantOwnersProjection, deps.writeGuard ? { writeGuard: deps.writeGuard } : {}).handle;
  const store = deps.store as unknown as EventStore<UserEvent>;
  const log = deps.logger ?? { warn: () => undefined };

  async function apply(ownerId: string, command: UserCommand, eventId: string, cause: StoredEvent): Promise<void> {
    try {
      await handleCommand<UserCommand, Tracked<UserState>, UserEvent>(store, withEventId(userDecider, eventId), userStreamId(ownerId), command, {
        metadata: { causationId: cause.eventId, correlationId: cause.metadata.correlationId ?? cause.eventId, actor: 'system' },
      });
    } catch (err) {
      // an owner id auth has never seen will not appear on retry: dropping beats poisoning the queue
      if (isDomainError(err, 'NOT_FOUND')) {
        log.warn({ ownerId, restaurantId: (command as { restaurantId?: string }).restaurantId, eventId: cause.eventId }, 'ownership: unknown user, event skipped');
        return;
      }
      throw err;
    }
  }

  return async (event) => {
    if (isClosed(event)) {
      const { restaurantId } = event.data;
      const known = await owners.findOne({ _id: restaurantId });
      if (known?.ownerId === undefined) {
        log.warn({ restaurantId, eventId: event.eventId }, 'ownership: RestaurantClosed for a restaurant never seen created, skipped');
        return;
      }
      await remember(event);
      await apply(known.ownerId, { type: 'RevokeOwnership', restaurantId }, `${event.eventId}:revoked`, event);
      return;
    }
    // remembered before the grant, so a RestaurantClosed can always find the owner to revoke from; every
    // other catalog event only moves the checkpoint (none of auth's business)
    await remember(event);
    if (isCreated(event)) {
      const { restaurantId, ownerId } = event.data;
      await apply(ownerId, { type: 'GrantOwnership', restaurantId }, `${event.eventId}:granted`, event);
    }
  };
}
