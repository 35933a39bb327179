/**
 * The users read model (Mongo collection `users`, one document per user, `_id = userId`), kept from the
 * auth service's own events. A projection (projections/projection.ts): each document is folded from its
 * user stream and carries `version`, the stream version it reflects, beside the checkpoint `_v`.
 *
 * The password hash never reaches this collection: nothing reads it from here (login reads the stream).
 */
import type { Collection, Db } from 'mongodb';
import type { StoredEvent } from '../eventstore/types';
import type { UserEvent } from '../domain/auth/user';
import type { Projection } from './projection';
import { userIdOfStream } from './stream-ids';

export const USERS_COLLECTION = 'users';

export interface UserDoc {
  _id: string;
  email: string;
  name: string;
  ownedRestaurantIds: string[];
  /** The user stream version this document reflects. */
  version: number;
}

export interface UserView {
  userId: string;
  email: string;
  name: string;
  ownedRestaurantIds: string[];
  /** The user stream version this view reflects. */
  version: number;
}

export interface UsersReadModel {
  get(userId: string): Promise<UserView | null>;
}

const USER_EVENT_TYPES = new Set<string>(['UserRegistered', 'PasswordChanged', 'RestaurantOwnershipGranted', 'RestaurantOwnershipRevoked']);

function isUserEvent(event: StoredEvent): event is StoredEvent<UserEvent> {
  return userIdOfStream(event.streamId) !== undefined && USER_EVENT_TYPES.has(event.type);
}

type UserBody = Omit<UserDoc, '_id'>;

function evolveUser(doc: UserBody | undefined, event: StoredEvent): UserBody {
  if (!isUserEvent(event)) {
    if (!doc) throw new Error(`users: ${event.streamId} starts with ${event.type}, not UserRegistered`);
    return { ...doc, version: event.version };
  }
  if (event.type === 'UserRegistered') {
    // a user stream starts with its registration
    if (event.version !== 1) throw new Error(`users: UserRegistered at version ${event.version} on ${event.streamId}`);
    return { email: event.data.email, name: event.data.name, ownedRestaurantIds: [], version: 1 };
  }
  if (!doc) throw new Error(`users: ${event.streamId} starts with ${event.type}, not UserRegistered`);
  const owned = doc.ownedRestaurantIds;
  switch (event.type) {
    case 'RestaurantOwnershipGranted': {
      const id = event.data.restaurantId;
      return { ...doc, ownedRestaurantIds: owned.includes(id) ? owned : [...owned, id], version: event.version };
    }
    case 'RestaurantOwnershipRevoked':
      return { ...doc, ownedRestaurantIds: owned.filter((id) => id !== event.data.restaurantId), version: event.version };
    default:
      // PasswordChanged: only the version moves (the hash is not kept here)
      return { ...doc, version: event.version };
  }
}

/** The `users` collection from the auth service's user streams (read by `_id` only: no index). */
export const usersReadModelProjection: Projection = {
  name: 'auth-users',
  collections: [USERS_COLLECTION],
  foldOf(streamId) {
    const userId = userIdOfStream(streamId);
    return userId === undefined ? undefined : { collection: USERS_COLLECTION, docId: userId, evolve: (doc, e) => evolveUser(doc as UserBody | undefined, e) };
  },
};

/** The read model's query (its live handler and rebuild are the `auth-users` consumer: projections/index.ts). */
export function usersReadModel(db: Db): UsersReadModel {
  const users: Collection<UserDoc> = db.collection<UserDoc>(USERS_COLLECTION);
  return {
    async get(userId) {
      const doc = await users.findOne({ _id: userId });
      if (!doc) return null;
      return { userId: doc._id, email: doc.email, name: doc.name, ownedRestaurantIds: doc.ownedRestaurantIds, version: doc.version };
    },
  };
}
