/**
 * The users read model (Mongo collection `users`, one document per user, `_id = userId`), kept from the
 * auth service's own events. Each document carries `_version`, the user stream version it reflects, and
 * every write is a single-document update guarded on `_version: event.version - 1`: a redelivered event
 * matches nothing and is skipped, an event that arrives after a gap throws GapError (eventstore/checkpoint.ts)
 * so the consumer reads the missing events from the store.
 * (FerretDB has no transactions, so the guard is the whole consistency story.)
 *
 * The password hash never reaches this collection: nothing reads it from here (login reads the stream).
 */
import type { Collection, Db } from 'mongodb';
import { GapError } from '../eventstore/checkpoint';
import type { StoredEvent } from '../eventstore/types';
import type { UserEvent } from '../domain/auth/user';

export const USERS_COLLECTION = 'users';

export interface UserDoc {
  _id: string;
  email: string;
  name: string;
  ownedRestaurantIds: string[];
  _version: number;
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
  return event.streamId.startsWith('user-') && USER_EVENT_TYPES.has(event.type);
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown }).code === 11000;
}

export function usersReadModel(db: Db): UsersReadModel {
  const users: Collection<UserDoc> = db.collection<UserDoc>(USERS_COLLECTION);
  return {
    async get(userId) {
      const doc = await users.findOne({ _id: userId });
      if (!doc) return null;
      return { userId: doc._id, email: doc.email, name: doc.name, ownedRestaurantIds: doc.ownedRestaurantIds, version: doc._version };
    },
  };
}

export interface UsersProjection {
  /** Applies one stored event; other streams' events (e.g. `email-…`) are ignored. Idempotent. */
  handle(event: StoredEvent): Promise<void>;
  /** Clears the read model and, when given a history (e.g. `store.readAll()`), replays it. */
  rebuild(history?: AsyncIterable<StoredEvent>): Promise<void>;
  readModel: UsersReadModel;
}

export function usersProjection(db: Db): UsersProjection {
  const users = db.collection<UserDoc>(USERS_COLLECTION);

  async function handle(event: StoredEvent): Promise<void> {
    if (!isUserEvent(event)) return;
    const userId = event.streamId.slice('user-'.length);

    if (event.type === 'UserRegistered') {
      // a user stream starts with its registration; anything else at version 1 is not one of ours
      if (event.version !== 1) throw new Error(`users: UserRegistered at version ${event.version} on ${event.streamId}`);
      const { email, name } = event.data;
      try {
        await users.insertOne({ _id: userId, email, name, ownedRestaurantIds: [], _version: 1 });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // already applied
      }
      return;
    }

    const set = { _version: event.version };
    const update =
      event.type === 'RestaurantOwnershipGranted'
        ? { $set: set, $addToSet: { ownedRestaurantIds: event.data.restaurantId } }
        : event.type === 'RestaurantOwnershipRevoked'
          ? { $set: set, $pull: { ownedRestaurantIds: event.data.restaurantId } }
          : { $set: set }; // PasswordChanged: only the version moves (the hash is not kept here)

    const res = await users.updateOne({ _id: userId, _version: event.version - 1 }, update);
    if (res.matchedCount === 1) return;
    const doc = await users.findOne({ _id: userId }, { projection: { _version: 1 } });
    if (doc && doc._version >= event.version) return; // a redelivery: already applied
    // the consumer heals this from the store (eventstore/consumer.ts), else the queue redelivers it
    throw new GapError(event.streamId, doc ? doc._version + 1 : 1, event.version);
  }

  return {
    handle,
    async rebuild(history) {
      await users.deleteMany({});
      if (!history) return;
      for await (const e of history) await handle(e);
    },
    readModel: usersReadModel(db),
  };
}
