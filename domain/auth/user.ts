/**
 * The User aggregate (stream `user-<userId>`) and the email guard (stream `email-<normalised email>`).
 *
 * Email uniqueness cannot be a rule inside one user's stream, so registration writes two streams in one
 * atomic `appendMany`, both with `expectedVersion: 'no_stream'`: whoever claims the email stream first
 * wins, every concurrent claimant gets a ConcurrencyError (reported as EMAIL_TAKEN). The guard stream also
 * gives login a strongly consistent email -> userId lookup, with no projection lag.
 *
 * Pure: passwords arrive already hashed (hashing is the application service's job) and no clock is read.
 */
import type { Decider } from '../../eventstore/command-handler';
import { DomainError } from '../errors';

// ---- events ----------------------------------------------------------------------------------------

export interface UserRegistered {
  type: 'UserRegistered';
  data: { userId: string; email: string; name: string; passwordHash: string };
}
export interface PasswordChanged {
  type: 'PasswordChanged';
  data: { passwordHash: string };
}
export interface RestaurantOwnershipGranted {
  type: 'RestaurantOwnershipGranted';
  data: { restaurantId: string };
}
export interface RestaurantOwnershipRevoked {
  type: 'RestaurantOwnershipRevoked';
  data: { restaurantId: string };
}
export type UserEvent = UserRegistered | PasswordChanged | RestaurantOwnershipGranted | RestaurantOwnershipRevoked;

export interface EmailClaimed {
  type: 'EmailClaimed';
  data: { userId: string };
}
export type EmailEvent = EmailClaimed;

/** Every event the auth service writes. */
export type AuthEvent = UserEvent | EmailEvent;

// ---- commands --------------------------------------------------------------------------------------

export interface Register {
  type: 'Register';
  userId: string;
  email: string;
  name: string;
  passwordHash: string;
}
export interface ChangePassword {
  type: 'ChangePassword';
  passwordHash: string;
}
export interface GrantOwnership {
  type: 'GrantOwnership';
  restaurantId: string;
}
export interface RevokeOwnership {
  type: 'RevokeOwnership';
  restaurantId: string;
}
export type UserCommand = Register | ChangePassword | GrantOwnership | RevokeOwnership;

// ---- state -----------------------------------------------------------------------------------------

export type UserState =
  | { status: 'none' }
  | {
      status: 'registered';
      userId: string;
      email: string;
      name: string;
      passwordHash: string;
      ownedRestaurantIds: string[];
    };

// ---- streams and helpers ---------------------------------------------------------------------------

/** Emails compare case-insensitively and without surrounding blanks everywhere (guard, token, read model). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const userStreamId = (userId: string): string => `user-${userId}`;
export const emailStreamId = (email: string): string => `email-${normaliseEmail(email)}`;

/** Roles derive from state, never stored: everyone is a customer, owners of at least one restaurant are owners too. */
export function rolesOf(state: { ownedRestaurantIds: readonly string[] }): string[] {
  return state.ownedRestaurantIds.length > 0 ? ['customer', 'owner'] : ['customer'];
}

export function emailTaken(email: string): DomainError {
  return new DomainError('EMAIL_TAKEN', `The email ${normaliseEmail(email)} is already registered; sign in instead.`);
}

// ---- decider ---------------------------------------------------------------------------------------

function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return { status: 'registered', ...event.data, ownedRestaurantIds: [] };
    case 'PasswordChanged':
      return state.status === 'registered' ? { ...state, passwordHash: event.data.passwordHash } : state;
    case 'RestaurantOwnershipGranted':
      return state.status === 'registered' && !state.ownedRestaurantIds.includes(event.data.restaurantId)
        ? { ...state, ownedRestaurantIds: [...state.ownedRestaurantIds, event.data.restaurantId] }
        : state;
    case 'RestaurantOwnershipRevoked':
      return state.status === 'registered'
        ? { ...state, ownedRestaurantIds: state.ownedRestaurantIds.filter((id) => id !== event.data.restaurantId) }
        : state;
  }
}

function requireRegistered(state: UserState): Extract<UserState, { status: 'registered' }> {
  if (state.status !== 'registered') throw new DomainError('NOT_FOUND', 'No such user.');
  return state;
}

function decide(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'Register': {
      if (state.status !== 'none') {
        throw new DomainError('ALREADY_EXISTS', `User ${command.userId} is already registered.`);
      }
      const email = normaliseEmail(command.email);
      const name = command.name.trim();
      if (!email.includes('@')) throw new DomainError('INVALID_EMAIL', 'The email address is not valid.');
      if (name === '') throw new DomainError('INVALID_NAME', 'The name must not be blank.');
      return [{ type: 'UserRegistered', data: { userId: command.userId, email, name, passwordHash: command.passwordHash } }];
    }
    case 'ChangePassword': {
      requireRegistered(state);
      return [{ type: 'PasswordChanged', data: { passwordHash: command.passwordHash } }];
    }
    case 'GrantOwnership': {
      const user = requireRegistered(state);
      if (user.ownedRestaurantIds.includes(command.restaurantId)) return [];
      return [{ type: 'RestaurantOwnershipGranted', data: { restaurantId: command.restaurantId } }];
    }
    case 'RevokeOwnership': {
      const user = requireRegistered(state);
      if (!user.ownedRestaurantIds.includes(command.restaurantId)) return [];
      return [{ type: 'RestaurantOwnershipRevoked', data: { restaurantId: command.restaurantId } }];
    }
  }
}

export const userDecider: Decider<UserCommand, UserState, UserEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

// ---- email guard -----------------------------------------------------------------------------------

export interface ClaimEmail {
  type: 'ClaimEmail';
  email: string;
  userId: string;
}
export type EmailState = { claimedBy: string | null };

/**
 * The guard as a decider, for the rule's sake and its tests. The real protection is the `no_stream`
 * expectation on the append: two claimants that both decided on an empty stream cannot both write.
 */
export const emailGuardDecider: Decider<ClaimEmail, EmailState, EmailEvent> = {
  initialState: () => ({ claimedBy: null }),
  evolve: (state, event) => (state.claimedBy === null ? { claimedBy: event.data.userId } : state),
  decide: (command, state) => {
    if (state.claimedBy !== null) throw emailTaken(command.email);
    return [{ type: 'EmailClaimed', data: { userId: command.userId } }];
  },
};

/** The user id owning an email, from the guard stream's events (null when unclaimed). */
export function emailOwner(events: readonly EmailEvent[]): string | null {
  let state = emailGuardDecider.initialState();
  for (const e of events) state = emailGuardDecider.evolve(state, e);
  return state.claimedBy;
}

/** Folds a user stream. */
export function userFromEvents(events: readonly UserEvent[]): UserState {
  let state = userDecider.initialState();
  for (const e of events) state = userDecider.evolve(state, e);
  return state;
}
