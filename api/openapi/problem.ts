/**
 * The problem+json shape as the OpenAPI document states it: every `code` a problem can carry with what it
 * means, the Problem schema with its extension members, and what each error status means on any route.
 */
import { DOMAIN_ERROR_KINDS } from '../../domain/errors';
import { RESERVATION_STATUSES } from '../../domain/reservation/reservation';

/** Every `code` a problem can carry, with what it means. Domain codes come from domain/errors.ts. */
export const CODE_MEANINGS: Record<string, string> = {
  INVALID_START: 'start is not a date and time this API reads',
  INVALID_DATE: 'a date is not a calendar date, or a list bound is neither a date nor a date-time',
  INVALID_TIMEZONE: 'not an IANA time zone',
  INVALID_OPENING_HOURS: 'opening hours that cannot be read',
  NONEXISTENT_LOCAL_TIME: 'the local time does not exist that day (DST gap)',
  CLOSED_THAT_DAY: 'the restaurant is closed that day',
  BETWEEN_SERVICES: 'the start falls between two services',
  TURN_PAST_CLOSING: 'the turn would run past closing',
  OFF_SLOT_GRID: 'the start is not on the slot grid (slotMinutes from opening)',
  IN_THE_PAST: 'the start has passed',
  TOO_EARLY: 'less than minAdvanceMinutes ahead',
  TOO_LATE: 'more than maxAdvanceDays ahead',
  FULLY_BOOKED: 'every table is taken (availability reason)',
  INVALID_PARTY_SIZE: 'the party size is not a whole number of at least 1',
  PARTY_TOO_LARGE: "the party is larger than the policy's maxPartySize",
  RESTAURANT_CLOSED: 'the restaurant is closed for good (DELETE) and takes no changes or reservations',
  INVALID_PERIOD: 'a booking that does not end after it starts',
  NO_TABLE: 'no table for the party is free then (see alternatives)',
  NOT_HELD: 'no table is held for this reservation',
  TOO_MANY_ACTIVE_RESERVATIONS: "the customer already holds the policy's maxBookingsPerCustomerPerDay at this restaurant that day",
  NOT_FOUND: 'the thing addressed does not exist',
  ALREADY_EXISTS: 'a section or dish (or id) with that name already exists',
  NOT_PENDING: 'only a pending reservation can be accepted or rejected (see reservationStatus)',
  NOT_ACCEPTED: 'only an accepted reservation can be changed this way',
  ALREADY_FINAL: 'the reservation is already final (reservationStatus: rejected, expired, cancelled, completed or no-show)',
  ALREADY_STARTED: 'the reservation has started (or its party is seated)',
  PAST_CUTOFF: "the customer's cancellation cutoff has passed, or a floor step's window has closed (the turn has ended)",
  REASON_REQUIRED: 'a rejection needs a reason',
  NOT_YET: "a floor step asked before its window opens: seating from the policy's seatEarlyMinutes before the start (seatFrom), a no-show only after the start plus noShowGraceMinutes (noShowAfter)",
  NOT_SEATED: "only a seated party's turn can be ended early (reservationStatus says what it is)",
  SLOT_AVAILABLE: 'a table is free for that party and start now: book it (POST /reservations) instead of joining the waitlist',
  NOT_OFFERED: 'the waitlist entry has no offer to accept (it is waiting, booked, expired or withdrawn)',
  OFFER_EXPIRED: "the offer's hold ran out (waitlistOfferMinutes) before it was accepted; the table passed to the next entry",
  TABLE_OFFERED: 'the table is held for a waitlist offer already',
  VALIDATION: 'a rule across fields is broken (see errors: [{field, message}])',
  FORBIDDEN: 'the caller may not do this',
  EMAIL_TAKEN: 'the email is already registered',
  INVALID_EMAIL: 'not an email address',
  INVALID_NAME: 'not a usable name',
  // raised by the API and the reservation workflow, not the domain
  CONCURRENT_CHANGE: 'someone else changed it at the same time; read it again and retry',
  IDEMPOTENCY_KEY_REUSED: 'the Idempotency-Key was used for a different request body',
  REQUEST_WITHDRAWN: 'the request started too late and withdrew itself; nothing was booked, retry',
  PLACEMENT_FAILED: 'the placement failed because its dependencies stayed down; nothing was booked, retry',
  UNAVAILABLE: 'the reservation service did not take the request; nothing was done, retry',
  INVALID_CURSOR: 'the cursor is not one this API issued for this search',
  SEARCH_TOO_BROAD: 'a near search needs more than the bounded read; add q or cuisine, or a smaller radius',
  INVALID_CONSISTENCY_TOKEN: 'the Consistency-Token is not one this API issued',
};

/** The `code` enum: the domain's codes (a new one appears here by itself) and the API's. */
export const PROBLEM_CODES: readonly string[] = [...new Set([...Object.keys(DOMAIN_ERROR_KINDS), ...Object.keys(CODE_MEANINGS)])].sort();

const STATUSES = [...RESERVATION_STATUSES];

/** The documented problem: RFC 9457 members and this API's extension members. */
export const problemDocSchema = {
  title: 'Problem',
  description:
    'RFC 9457 problem details, sent as application/problem+json. `detail` says what to change, in words; `code` (when a rule refused the request) is for machines. ' +
    'Extension members appear only where they apply: `alternatives` on booking refusals, `reservationStatus` on decisions that no longer apply, ' +
    '`retryAfterSeconds` (also the Retry-After header) on 429 and 503, `errors` on 400 schema errors and 422 VALIDATION, `currentVersion` on 412; ' +
    'a domain refusal may add its own context (e.g. `maxPartySize`, `date`).',
  type: 'object',
  properties: {
    type: { type: 'string', description: 'about:blank: the status says what kind of problem it is' },
    title: { type: 'string', description: "The status's reason phrase" },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What went wrong and what to change, in words a person reads' },
    instance: { type: 'string', description: 'The path the request was sent to' },
    code: {
      type: 'string',
      enum: PROBLEM_CODES,
      description: `The rule that refused the request (absent for schema errors, 401, 404 of an unknown path, 412, 413, 415): ${PROBLEM_CODES.map((c) => `${c}: ${CODE_MEANINGS[c] ?? 'see detail'}`).join('; ')}.`,
    },
    alternatives: {
      type: 'array',
      items: { type: 'string', description: 'A start with the restaurant offset, e.g. 2026-12-24T19:30:00+01:00' },
      description: 'On a refused booking start (409 NO_TABLE and the 422 start rules): the nearest bookable starts with a table free for the party, nearest first; send one as `start`.',
    },
    reservationStatus: { type: 'string', enum: STATUSES, description: 'On NOT_PENDING, NOT_ACCEPTED, NOT_SEATED and ALREADY_FINAL: the status the reservation is in' },
    retryAfterSeconds: { type: 'integer', description: 'On 429 and 503: seconds to wait (also sent as Retry-After)' },
    currentVersion: { type: 'integer', description: "On 412: the restaurant's current version (send it as If-Match after reading it again)" },
    errors: {
      type: 'array',
      description: 'On 400 (schema) and 422 VALIDATION: each field that is wrong, with a message in words (at most 10)',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string', description: 'As the client wrote it: policy.acceptance, tables[0].seats' },
          in: { type: 'string', enum: ['body', 'query', 'path', 'header'], description: 'Where the field is (400 only)' },
          message: { type: 'string', description: 'e.g. "policy.acceptance must be one of: manual, auto"' },
          missing: { type: 'string', description: 'A required field that is absent' },
          unexpected: { type: 'string', description: 'A field the schema does not know' },
        },
        required: ['field', 'message'],
      },
    },
  },
  required: ['type', 'title', 'status'],
  additionalProperties: true,
} as const;

/** What every route can answer whatever it does, in words (the server adds these statuses to each route). */
export const COMMON_ERRORS: Record<number, string> = {
  400: 'The request does not match the schema: detail says which field and how, in words (errors lists them).',
  401: 'No valid Bearer token: sign in with POST /auth/login.',
  403: 'The caller may not do this.',
  404: 'Not found.',
  409: 'Conflicts with the current state.',
  412: 'If-Match is not the current version.',
  413: 'The body is larger than this route accepts.',
  414: 'A path segment is too long.',
  415: 'The body is not application/json.',
  422: 'A rule refused the request.',
  429: 'Too many requests; wait Retry-After seconds.',
  503: 'A dependency is down or too slow; retry after Retry-After seconds.',
};
