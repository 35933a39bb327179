/**
 * The auth application service: where hashing (random, CPU-heavy) happens before a pure command is
 * decided, and where the two-stream registration write is assembled.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventMetadata, type EventStore } from '../../eventstore/types';
import {
  type AuthEvent,
  type EmailEvent,
  type UserEvent,
  type UserState,
  emailGuardDecider,
  emailOwner,
  emailStreamId,
  emailTaken,
  normaliseEmail,
  userDecider,
  userFromEvents,
  userStreamId,
} from '../../domain/auth/user';
import { type ScryptParams, dummyVerify, hashPassword, verifyPassword } from '../../domain/auth/passwords';

export type RegisteredUser = Extract<UserState, { status: 'registered' }>;

export interface AccountsOptions {
  /** Cost of new password hashes (config.auth.passwordHash). */
  scrypt: ScryptParams;
}

export interface Accounts {
  /** Creates the user and claims the email in one atomic write; EMAIL_TAKEN (409) when the email is claimed. */
  register(
    input: { email: string; password: string; name: string },
    metadata?: Partial<EventMetadata>,
  ): Promise<{ userId: string }>;
  /** The user when the password matches; null otherwise, after the same amount of work either way. */
  authenticate(email: string, password: string): Promise<RegisteredUser | null>;
  /** Strongly consistent read from the user stream. */
  load(userId: string): Promise<RegisteredUser | null>;
}

export function accounts(anyStore: EventStore, opts: AccountsOptions): Accounts {
  const store = anyStore as unknown as EventStore<AuthEvent>;
  const { scrypt } = opts;

  async function load(userId: string): Promise<RegisteredUser | null> {
    const state = userFromEvents((await store.readStream(userStreamId(userId))) as UserEvent[]);
    return state.status === 'registered' ? state : null;
  }

  return {
    async register(input, metadata) {
      const email = normaliseEmail(input.email);
      const guard = emailStreamId(email);
      // cheap early answer before spending a hash; the append below is what actually decides
      if ((await store.streamVersion(guard)) > 0) throw emailTaken(email);

      const userId = randomUUID();
      const passwordHash = await hashPassword(input.password, scrypt);
      const userEvents = userDecider.decide(
        { type: 'Register', userId, email, name: input.name, passwordHash },
        userDecider.initialState(),
      );
      const claim: EmailEvent[] = emailGuardDecider.decide({ type: 'ClaimEmail', email, userId }, emailGuardDecider.initialState());
      const meta = { actor: userId, ...metadata };
      try {
        await store.appendMany([
          { streamId: userStreamId(userId), events: userEvents.map((e) => ({ ...e, metadata: meta })), expectedVersion: 'no_stream' },
          { streamId: guard, events: claim.map((e) => ({ ...e, metadata: meta })), expectedVersion: 'no_stream' },
        ]);
      } catch (err) {
        // the user stream is brand new, so the only stream someone else can have written is the guard
        if (err instanceof ConcurrencyError) throw emailTaken(email);
        throw err;
      }
      return { userId };
    },

    async authenticate(rawEmail, password) {
      const userId = emailOwner((await store.readStream(emailStreamId(rawEmail))) as EmailEvent[]);
      const user = userId === null ? null : await load(userId);
      if (!user) return dummyVerify(password, scrypt).then(() => null);
      return (await verifyPassword(password, user.passwordHash)) ? user : null;
    },

    load,
  };
}
