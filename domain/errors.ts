/**
 * Domain errors: a rule was broken. Each carries a machine `code` (stable, part of the API contract) and a
 * human message. Deciders throw them; the API maps the code's `kind` to an HTTP status, so the domain never
 * talks HTTP but the mapping is still decided in one place.
 */

/**
 * Every code, with what kind of failure it is:
 * - `invalid`: the request can never succeed as written (→ 422 Unprocessable Content);
 * - `conflict`: it clashes with the current state, which may change (→ 409 Conflict);
 * - `not_found`: the thing addressed does not exist (→ 404);
 * - `forbidden`: the caller may not do this (→ 403).
 * Codes of every domain live here, so a code is never cast and `kind` is always defined.
 */
export const DOMAIN_ERROR_KINDS = {
  // time and booking window (domain/time/slots.ts)
  INVALID_START: 'invalid',
  INVALID_DATE: 'invalid',
  INVALID_TIMEZONE: 'invalid',
  INVALID_OPENING_HOURS: 'invalid',
  NONEXISTENT_LOCAL_TIME: 'invalid',
  // a start that is not offered, one code per reason (domain/time/slots.ts `checkBookable`)
  CLOSED_THAT_DAY: 'invalid',
  BETWEEN_SERVICES: 'invalid',
  TURN_PAST_CLOSING: 'invalid',
  OFF_SLOT_GRID: 'invalid',
  IN_THE_PAST: 'invalid',
  TOO_EARLY: 'invalid',
  TOO_LATE: 'invalid',
  // availability with no free slot at all (the others above say why none are offered)
  FULLY_BOOKED: 'conflict',
  INVALID_PARTY_SIZE: 'invalid',
  PARTY_TOO_LARGE: 'invalid',
  RESTAURANT_CLOSED: 'conflict',
  // table ledger (domain/reservation/ledger.ts)
  INVALID_PERIOD: 'invalid',
  NO_TABLE: 'conflict',
  NOT_HELD: 'conflict',
  TOO_MANY_ACTIVE_RESERVATIONS: 'conflict',
  // reservation lifecycle (domain/reservation/rules.ts, enforced by reservation.ts)
  NOT_FOUND: 'not_found',
  ALREADY_EXISTS: 'conflict',
  NOT_PENDING: 'conflict',
  NOT_ACCEPTED: 'conflict',
  ALREADY_FINAL: 'conflict',
  ALREADY_STARTED: 'conflict',
  PAST_CUTOFF: 'conflict',
  REASON_REQUIRED: 'invalid',
  // the floor (domain/reservation/floor.ts): a step asked before its window opens (seat, no-show), and
  // ending a turn early, which needs a seated party
  NOT_YET: 'conflict',
  NOT_SEATED: 'conflict',
  // the waitlist (domain/reservation/waitlist.ts)
  SLOT_AVAILABLE: 'conflict',
  NOT_OFFERED: 'conflict',
  OFFER_EXPIRED: 'conflict',
  TABLE_OFFERED: 'conflict',
  // shared by the catalog, reservation (FORBIDDEN: owner only) and auth domains
  VALIDATION: 'invalid',
  FORBIDDEN: 'forbidden',
  EMAIL_TAKEN: 'conflict',
  INVALID_EMAIL: 'invalid',
  INVALID_NAME: 'invalid',
} as const satisfies Record<string, DomainErrorKind>;

export type DomainErrorKind = 'invalid' | 'conflict' | 'not_found' | 'forbidden';
export type DomainErrorCode = keyof typeof DOMAIN_ERROR_KINDS;

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Machine-readable context for the client, e.g. `{ maxPartySize: 8 }`. Plain JSON. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get kind(): DomainErrorKind {
    return DOMAIN_ERROR_KINDS[this.code];
  }
}

export function isDomainError(err: unknown, code?: DomainErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}
