/**
 * What the OpenAPI document says beyond the route schemas, in one place keyed by `METHOD /path`, so the
 * route files need not change: what each response means (no "Default Response"), which problem `code`s each
 * error status can carry, the problem+json shape with its extension members, an `operationId` per route,
 * `links` from the responses that create ids to the operations that take them, and an example for every
 * operation that SUCCEEDS when sent as it is, in the order of the README's walkthrough.
 *
 * Replaying the walkthrough (test/docs-examples.int.test.ts does exactly this):
 * - operations run in `x-walkthrough` order: each entry is one step `{ step, example, status, caller, as }`
 *   (an operation may take part more than once: the owner and the diner both register and sign in);
 *   `x-walkthrough-step` is its first step and `x-example-status` that step's expected status;
 * - `caller` names whose token goes in `Authorization: Bearer …`: the `accessToken` of the login step whose
 *   `as` is that name;
 * - path parameters and headers come from `links` of the latest response of the linked operation
 *   (`$response.body#/restaurantId`, `$response.header.Consistency-Token`); body fields that hold an id from
 *   `x-request-body-fields` of the link (an extension: OpenAPI 3.0 links replace a whole body only);
 * - fields listed in `x-unique-fields` (the emails) must be made unique per run, e.g. `ada+7f3a@example.com`,
 *   the same way in register and login: an email can be registered once;
 * - dates are computed when the document is served (tomorrow in the example restaurant's time zone), so the
 *   examples stay valid on any later day: `/docs/json` re-applies them on every request (a cheap clone).
 */
import { DateTime } from 'luxon';
import { DOMAIN_ERROR_KINDS } from '../domain/errors';
import { DEFAULT_POLICY } from '../domain/catalog/events';
import { RESERVATION_STATUSES } from '../domain/reservation/reservation';

// --- the problem+json shape ---------------------------------------------------------------------------

/** Every `code` a problem can carry, with what it means. Domain codes come from domain/errors.ts. */
const CODE_MEANINGS: Record<string, string> = {
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
  ALREADY_FINAL: 'the reservation is already final (reservationStatus: rejected, expired, cancelled or completed)',
  ALREADY_STARTED: 'the reservation has started',
  PAST_CUTOFF: "the customer's cancellation cutoff has passed",
  REASON_REQUIRED: 'a rejection needs a reason',
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
    reservationStatus: { type: 'string', enum: STATUSES, description: 'On NOT_PENDING and ALREADY_FINAL: the status the reservation is in' },
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

// --- per operation --------------------------------------------------------------------------------------

const TZ = 'Europe/Rome';
type Caller = 'owner' | 'diner';

interface Step {
  step: number;
  /** Name of the example in `examples` (request body) used by this step. */
  example?: string;
  status: number;
  caller?: Caller;
  /** A login step: its accessToken is this caller's token from now on. */
  as?: Caller;
  summary: string;
}

interface OperationDoc {
  operationId: string;
  description?: string;
  /** Success responses: status → what it means. */
  ok: Record<number, string>;
  /** Error statuses → what the route means by it (appended to the shared description). */
  errors?: Partial<Record<number, string>>;
  /** Error statuses → the `code`s this route can answer with (from the code; none = no code). */
  codes?: Partial<Record<number, string[]>>;
  steps: Step[];
  /** Fields to make unique per run (JSON pointers into the body). */
  uniqueFields?: string[];
  /** Response headers per success status. */
  headers?: Partial<Record<number, Record<string, { description: string; schema: Record<string, unknown> }>>>;
}

const ETAG = { ETag: { description: 'The restaurant version after this write; send it as If-Match on the next write', schema: { type: 'string' } } };
const LOCATION = { Location: { description: 'Where the created resource is', schema: { type: 'string' } } };
const CONSISTENCY_TOKEN = {
  'Consistency-Token': {
    description:
      "Names this write (and the caller's recent ones): send it back as the Consistency-Token request header on GET /reservations or GET /restaurants/{id}/reservations and the list shows this write at once",
    schema: { type: 'string' },
  },
};

const WRITE_ERRORS = {
  403: 'The caller is not the owner of this restaurant.',
  404: 'No such restaurant (or it is closed), section or dish.',
  409: 'The restaurant is closed for good, the name is taken, or a concurrent change.',
  412: 'If-Match is not the current version: read it again, re-apply the change, retry (currentVersion says the current one).',
  422: 'A rule across fields is broken (errors lists each field).',
};
const WRITE_CODES = { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['RESTAURANT_CLOSED', 'CONCURRENT_CHANGE'], 422: ['VALIDATION'] };
const menuWrite = (extra409: string[] = []) => ({ ...WRITE_CODES, 409: [...WRITE_CODES[409], ...extra409] });
const DECISION_CODES = {
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  409: ['NOT_PENDING', 'ALREADY_FINAL', 'ALREADY_STARTED', 'PAST_CUTOFF', 'NOT_ACCEPTED'],
  503: ['UNAVAILABLE'],
};
const DECISION_OK = {
  200: 'Decided: the reservation with its new status (GET /reservations/{id} shows it at once).',
  202: 'Not decided within the deadline but under way: GET the Location for the outcome.',
};

/** The README walkthrough, one entry per route (the steps are global and increase in README order). */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /health': {
    operationId: 'health',
    ok: { 200: 'Every dependency answers.', 503: 'A dependency is down: the body names it (a health report, not a problem).' },
    steps: [{ step: 1, status: 200, summary: 'Is the API up?' }],
  },
  'POST /auth/register': {
    operationId: 'register',
    ok: { 201: 'The account exists; sign in with POST /auth/login.' },
    errors: { 409: 'The email is already registered.', 422: 'The domain refused the email or name.', 429: 'Too many sign-ups from this address; wait Retry-After seconds.' },
    codes: { 409: ['EMAIL_TAKEN'], 422: ['INVALID_EMAIL', 'INVALID_NAME'] },
    uniqueFields: ['/email'],
    steps: [
      { step: 2, example: 'owner', status: 201, summary: 'The owner signs up' },
      { step: 15, example: 'diner', status: 201, summary: 'A diner signs up' },
    ],
  },
  'POST /auth/login': {
    operationId: 'login',
    description: 'Send the token as `Authorization: Bearer <accessToken>` on the routes that need one.',
    ok: { 200: 'Signed in: the Bearer token for the protected routes.' },
    errors: { 401: 'Wrong email or password (the same answer for both).', 429: 'Too many attempts; wait Retry-After seconds.' },
    uniqueFields: ['/email'],
    steps: [
      { step: 3, example: 'owner', status: 200, as: 'owner', summary: 'The owner signs in' },
      { step: 16, example: 'diner', status: 200, as: 'diner', summary: 'The diner signs in' },
    ],
  },
  'GET /auth/me': {
    operationId: 'me',
    ok: { 200: 'The signed-in user, with the restaurants they own.' },
    errors: { 404: 'The account no longer exists.' },
    steps: [{ step: 4, status: 200, caller: 'owner', summary: 'Who am I' }],
  },
  'GET /.well-known/jwks.json': {
    operationId: 'jwks',
    ok: { 200: 'The public keys (EdDSA) that verify access tokens.' },
    steps: [{ step: 5, status: 200, summary: 'The keys that verify tokens' }],
  },
  'POST /restaurants': {
    operationId: 'createRestaurant',
    description: 'The response\'s `restaurantId` is the `{id}` of every restaurant route (see the 201 links).',
    ok: { 201: 'Created; the caller owns it. It is readable and bookable at once.' },
    errors: { 409: 'A concurrent create with the same id (practically never).', 422: 'A rule across fields is broken (overlapping hours, a turn not a multiple of the slot, duplicate table ids, an unknown time zone or currency…): errors lists each.' },
    codes: { 409: ['ALREADY_EXISTS', 'CONCURRENT_CHANGE'], 422: ['VALIDATION'] },
    headers: { 201: { ...LOCATION, ...ETAG } },
    steps: [{ step: 6, status: 201, caller: 'owner', summary: 'The owner adds a restaurant (manual acceptance)' }],
  },
  'GET /restaurants/{id}': {
    operationId: 'getRestaurant',
    ok: { 200: 'The restaurant (a write by the caller is seen at once).', 304: 'Not modified: If-None-Match is the current ETag.' },
    errors: { 404: 'No such restaurant, or it is closed.' },
    headers: { 200: ETAG },
    steps: [{ step: 7, status: 200, summary: 'Read it back' }],
  },
  'PATCH /restaurants/{id}': {
    operationId: 'changeRestaurant',
    ok: { 200: 'Changed: the restaurant as it is now.' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 8, status: 200, caller: 'owner', summary: 'Change the description' }],
  },
  'PUT /restaurants/{id}/opening-hours': {
    operationId: 'setOpeningHours',
    ok: { 200: 'Replaced: the restaurant as it is now.' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 9, status: 200, caller: 'owner', summary: 'Set the weekly hours' }],
  },
  'PUT /restaurants/{id}/tables': {
    operationId: 'setTables',
    ok: { 200: 'Replaced: the restaurant as it is now.' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 10, status: 200, caller: 'owner', summary: 'Set the tables' }],
  },
  'PUT /restaurants/{id}/policy': {
    operationId: 'setPolicy',
    ok: { 200: 'Replaced: the restaurant as it is now (warnings, if any, say what no table or service can meet).' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 11, status: 200, caller: 'owner', summary: 'Set the reservation policy' }],
  },
  'POST /restaurants/{id}/menu/sections': {
    operationId: 'addMenuSection',
    ok: { 201: 'Added: the menu as it is now.' },
    errors: WRITE_ERRORS,
    codes: menuWrite(['ALREADY_EXISTS']),
    headers: { 201: { ...LOCATION, ...ETAG } },
    steps: [{ step: 12, status: 201, caller: 'owner', summary: 'Add a menu section' }],
  },
  'POST /restaurants/{id}/menu/sections/{section}/dishes': {
    operationId: 'addDish',
    ok: { 201: 'Added: the menu as it is now.' },
    errors: WRITE_ERRORS,
    codes: menuWrite(['ALREADY_EXISTS']),
    headers: { 201: { ...LOCATION, ...ETAG } },
    steps: [{ step: 13, status: 201, caller: 'owner', summary: 'Add a dish to it' }],
  },
  'PUT /restaurants/{id}/menu/sections/{section}/dishes/{dish}': {
    operationId: 'changeDish',
    ok: { 200: 'Changed: the menu as it is now.' },
    errors: WRITE_ERRORS,
    codes: menuWrite(['ALREADY_EXISTS']),
    headers: { 200: ETAG },
    steps: [{ step: 14, status: 200, caller: 'owner', summary: "Change the dish's price" }],
  },
  'GET /restaurants/{id}/menu': {
    operationId: 'getMenu',
    ok: { 200: 'The menu.' },
    errors: { 404: 'No such restaurant, or it is closed.' },
    headers: { 200: ETAG },
    steps: [{ step: 17, status: 200, summary: 'The diner reads the menu' }],
  },
  'GET /restaurants': {
    operationId: 'searchRestaurants',
    description: 'Search is eventual: a restaurant created a moment ago may take a second or so to be found.',
    ok: { 200: 'A page of restaurants; nextCursor when there are more.' },
    errors: { 422: 'radiusKm without near, near or openAt out of range, a cursor this API did not issue, or a near search too broad.' },
    codes: { 422: ['INVALID_CURSOR', 'SEARCH_TOO_BROAD'] },
    steps: [{ step: 18, status: 200, summary: 'The diner searches' }],
  },
  'GET /restaurants/{id}/availability': {
    operationId: 'getAvailability',
    ok: { 200: 'The bookable starts; with none, `reason` says why (RESTAURANT_CLOSED, PARTY_TOO_LARGE, CLOSED_THAT_DAY, IN_THE_PAST, TOO_EARLY, TOO_LATE, FULLY_BOOKED).' },
    errors: { 400: 'date is not a calendar date.', 404: 'No such restaurant.', 422: 'The date cannot be read.' },
    codes: { 422: ['INVALID_DATE'] },
    steps: [{ step: 19, status: 200, summary: 'Free starts tomorrow for 2' }],
  },
  'POST /reservations': {
    operationId: 'requestReservation',
    description:
      'The example books tomorrow 19:00 at the restaurant of POST /restaurants (`restaurantId` comes from its 201: see that response\'s links). ' +
      'The response\'s `reservationId` is the `{id}` of the reservation routes.',
    ok: {
      200: 'The same Idempotency-Key again: the reservation as it stands now.',
      201: 'Placed: pending (manual acceptance: the owner decides) or accepted at once (auto).',
      202: 'Not placed within the deadline but under way: GET the Location (status placing, then the outcome).',
    },
    errors: {
      404: 'No such restaurant.',
      409: 'No table free then (alternatives lists the nearest free starts), the per-day limit, a closed restaurant, or an Idempotency-Key reused for another body.',
      422: 'The start breaks a rule (one code per rule; alternatives lists the nearest bookable starts), or the party is too large.',
      503: 'Nothing was booked; retry after Retry-After seconds (with the same Idempotency-Key, to be safe).',
    },
    codes: {
      404: ['NOT_FOUND'],
      409: ['NO_TABLE', 'TOO_MANY_ACTIVE_RESERVATIONS', 'RESTAURANT_CLOSED', 'IDEMPOTENCY_KEY_REUSED'],
      422: ['INVALID_START', 'NONEXISTENT_LOCAL_TIME', 'INVALID_PARTY_SIZE', 'PARTY_TOO_LARGE', 'CLOSED_THAT_DAY', 'BETWEEN_SERVICES', 'TURN_PAST_CLOSING', 'OFF_SLOT_GRID', 'IN_THE_PAST', 'TOO_EARLY', 'TOO_LATE'],
      503: ['UNAVAILABLE', 'REQUEST_WITHDRAWN', 'PLACEMENT_FAILED'],
    },
    headers: { 200: { ...LOCATION, ...CONSISTENCY_TOKEN }, 201: { ...LOCATION, ...CONSISTENCY_TOKEN }, 202: { ...LOCATION, ...CONSISTENCY_TOKEN } },
    steps: [
      { step: 20, example: 'dinner', status: 201, caller: 'diner', summary: 'The diner books tomorrow 19:00 (pending)' },
      { step: 26, example: 'another', status: 201, caller: 'diner', summary: 'The diner books again, tomorrow 20:00' },
    ],
  },
  'GET /reservations': {
    operationId: 'listMyReservations',
    description: "Send the Consistency-Token of your last write (POST /reservations' links) and the list shows it at once; without it the list is eventual (about a second).",
    ok: { 200: "The caller's reservations, earliest start first." },
    errors: { 400: 'A query parameter or the Consistency-Token header is malformed (e.g. over 2,048 characters).', 422: 'The Consistency-Token is not one this API issued.' },
    codes: { 422: ['INVALID_CONSISTENCY_TOKEN'] },
    steps: [{ step: 21, status: 200, caller: 'diner', summary: 'The diner lists their reservations' }],
  },
  'GET /reservations/{id}': {
    operationId: 'getReservation',
    ok: { 200: 'The reservation with its history, as recorded (a decision is seen at once).' },
    errors: { 403: 'Neither its customer nor the restaurant owner.', 404: 'No such reservation.' },
    steps: [{ step: 22, status: 200, caller: 'diner', summary: 'The diner reads it: pending' }],
  },
  'GET /restaurants/{id}/reservations': {
    operationId: 'listRestaurantReservations',
    ok: { 200: "The restaurant's reservations (owner only), earliest start first." },
    errors: { 400: 'A query parameter or the Consistency-Token header is malformed (e.g. over 2,048 characters).', 422: 'The Consistency-Token is not one this API issued.', 403: "Not the restaurant's owner.", 404: 'No such restaurant.' },
    codes: { 422: ['INVALID_CONSISTENCY_TOKEN'] },
    steps: [{ step: 23, status: 200, caller: 'owner', summary: "The owner lists tomorrow's reservations" }],
  },
  'POST /reservations/{id}/accept': {
    operationId: 'acceptReservation',
    ok: DECISION_OK,
    errors: {
      403: 'Not the restaurant owner.',
      404: 'No such reservation.',
      409: 'Not pending any more (reservationStatus says what it is).',
      422: 'Not expected here (accept takes no reason); shared with reject.',
      503: 'Not delivered; nothing changed. Retry (with the same Idempotency-Key).',
    },
    codes: DECISION_CODES,
    headers: { 200: CONSISTENCY_TOKEN, 202: { ...LOCATION, ...CONSISTENCY_TOKEN } },
    steps: [{ step: 24, status: 200, caller: 'owner', summary: 'The owner accepts' }],
  },
  'POST /reservations/{id}/cancel': {
    operationId: 'cancelReservation',
    ok: DECISION_OK,
    errors: {
      403: 'Neither its customer nor the restaurant owner.',
      404: 'No such reservation.',
      409: 'Already final (reservationStatus says which), started, or past the cancellation cutoff.',
      422: 'Not expected here (any reason is accepted); shared with reject.',
      503: 'Not delivered; nothing changed. Retry (with the same Idempotency-Key).',
    },
    codes: DECISION_CODES,
    headers: { 200: CONSISTENCY_TOKEN, 202: { ...LOCATION, ...CONSISTENCY_TOKEN } },
    steps: [{ step: 25, status: 200, caller: 'diner', summary: 'The diner cancels' }],
  },
  'POST /reservations/{id}/reject': {
    operationId: 'rejectReservation',
    ok: DECISION_OK,
    errors: {
      403: 'Not the restaurant owner.',
      404: 'No such reservation.',
      409: 'Not pending any more (reservationStatus says what it is).',
      422: 'The reason is blank.',
      503: 'Not delivered; nothing changed. Retry (with the same Idempotency-Key).',
    },
    codes: { ...DECISION_CODES, 422: ['REASON_REQUIRED'] },
    headers: { 200: CONSISTENCY_TOKEN, 202: { ...LOCATION, ...CONSISTENCY_TOKEN } },
    steps: [{ step: 27, status: 200, caller: 'owner', summary: 'The owner rejects the second one' }],
  },
  'DELETE /restaurants/{id}/menu/sections/{section}/dishes/{dish}': {
    operationId: 'removeDish',
    ok: { 200: 'Removed: the menu as it is now.' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 28, status: 200, caller: 'owner', summary: 'Remove the dish' }],
  },
  'DELETE /restaurants/{id}/menu/sections/{section}': {
    operationId: 'removeMenuSection',
    ok: { 200: 'Removed with its dishes: the menu as it is now.' },
    errors: WRITE_ERRORS,
    codes: WRITE_CODES,
    headers: { 200: ETAG },
    steps: [{ step: 29, status: 200, caller: 'owner', summary: 'Remove the section' }],
  },
  'DELETE /restaurants/{id}': {
    operationId: 'closeRestaurant',
    ok: { 204: 'Closed for good: gone from GET and search at once; closing again is a no-op.' },
    errors: { ...WRITE_ERRORS, 409: 'A concurrent change: read it again and retry.', 422: 'Not expected (closing has no body).' },
    codes: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['CONCURRENT_CHANGE'] },
    headers: { 204: ETAG },
    steps: [{ step: 30, status: 204, caller: 'owner', summary: 'The owner closes the restaurant' }],
  },
};

/** What every route can answer whatever it does, in words (the server adds these statuses to each route). */
const COMMON_ERRORS: Record<number, string> = {
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

// --- examples (dates relative to the time the document is served) ---------------------------------------

const HOURS = (lunchOpen: string) => ({ open: lunchOpen, close: '15:00' });
const week = (lunchOpen: string) =>
  Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [HOURS(lunchOpen), { open: '19:00', close: '23:00' }]]));
/** The default policy (domain/catalog) for parties of up to 6, which the example's tables (after PUT tables) seat. */
const POLICY = { ...DEFAULT_POLICY, maxPartySize: 6 };
const SECTION = 'Dolci';
const DISH = 'Tiramisu';
const OWNER = { email: 'ada.owner@example.com', password: 'correct horse battery', name: 'Ada Owner' };
const DINER = { email: 'bruno.diner@example.com', password: 'staple battery horse', name: 'Bruno Diner' };

interface Examples {
  /** Request body examples by name (the steps' `example`). */
  body?: Record<string, { summary: string; value: unknown }>;
  /** Parameter examples by `in:name` (path, query, header). */
  params?: Record<string, unknown>;
}

/** Every operation's example request, for documents served at `now`. */
export function examplesAt(now: Date): Record<string, Examples> {
  const local = DateTime.fromJSDate(now, { zone: TZ });
  const tomorrow = local.plus({ days: 1 }).toISODate()!;
  const dayAfter = local.plus({ days: 2 }).toISODate()!;
  return {
    'POST /auth/register': { body: { owner: { summary: 'The owner', value: OWNER }, diner: { summary: 'A diner', value: DINER } } },
    'POST /auth/login': {
      body: {
        owner: { summary: 'The owner', value: { email: OWNER.email, password: OWNER.password } },
        diner: { summary: 'The diner', value: { email: DINER.email, password: DINER.password } },
      },
    },
    'POST /restaurants': {
      body: {
        trattoria: {
          summary: 'Lunch and dinner every day, manual acceptance',
          value: {
            name: 'Trattoria da Ada',
            cuisine: 'italian',
            description: 'Roman classics near the Pantheon.',
            phone: '+39 06 1234567',
            address: 'Via del Seminario 1, Roma',
            location: { lat: 41.8986, lon: 12.4769 },
            timezone: TZ,
            openingHours: week('12:00'),
            tables: [
              { id: 't1', seats: 2 },
              { id: 't2', seats: 4 },
            ],
            policy: { ...POLICY, maxPartySize: 4 },
            menu: [{ name: 'Primi', dishes: [{ name: 'Cacio e pepe', description: 'Tonnarelli, pecorino, black pepper', price: { amount: 14, currency: 'EUR' } }] }],
          },
        },
      },
    },
    'PATCH /restaurants/{id}': { body: { description: { summary: 'A new description', value: { description: 'Roman classics and natural wines near the Pantheon.' } } } },
    'PUT /restaurants/{id}/opening-hours': { body: { week: { summary: 'Lunch from 12:30, dinner 19:00-23:00, every day', value: week('12:30') } } },
    'PUT /restaurants/{id}/tables': {
      body: {
        three: {
          summary: 'Three tables',
          value: [
            { id: 't1', seats: 2 },
            { id: 't2', seats: 4 },
            { id: 't3', seats: 6 },
          ],
        },
      },
    },
    'PUT /restaurants/{id}/policy': { body: { manual: { summary: 'Manual acceptance, parties up to 6', value: POLICY } } },
    'POST /restaurants/{id}/menu/sections': { body: { dolci: { summary: 'A section', value: { name: SECTION } } } },
    'POST /restaurants/{id}/menu/sections/{section}/dishes': {
      params: { 'path:section': SECTION },
      body: { tiramisu: { summary: 'A dish', value: { name: DISH, description: 'Mascarpone, coffee, cocoa', price: { amount: 7, currency: 'EUR' } } } },
    },
    'PUT /restaurants/{id}/menu/sections/{section}/dishes/{dish}': {
      params: { 'path:section': SECTION, 'path:dish': DISH },
      body: { price: { summary: 'A new price', value: { price: { amount: 7.5, currency: 'EUR' } } } },
    },
    'DELETE /restaurants/{id}/menu/sections/{section}/dishes/{dish}': { params: { 'path:section': SECTION, 'path:dish': DISH } },
    'DELETE /restaurants/{id}/menu/sections/{section}': { params: { 'path:section': SECTION } },
    'GET /restaurants': { params: { 'query:cuisine': 'italian', 'query:limit': 5 } },
    'GET /restaurants/{id}/availability': { params: { 'query:date': tomorrow, 'query:partySize': 2 } },
    'POST /reservations': {
      body: {
        dinner: {
          summary: 'Tomorrow 19:00 for 2 (restaurantId: from POST /restaurants)',
          value: { restaurantId: '<restaurantId of POST /restaurants>', partySize: 2, start: `${tomorrow}T19:00`, name: DINER.name, notes: 'A quiet table, please' },
        },
        another: {
          summary: 'Tomorrow 20:00 for 2',
          value: { restaurantId: '<restaurantId of POST /restaurants>', partySize: 2, start: `${tomorrow}T20:00` },
        },
      },
    },
    'GET /reservations': { params: { 'query:from': tomorrow, 'query:to': dayAfter } },
    'GET /restaurants/{id}/reservations': { params: { 'query:date': tomorrow } },
    'POST /reservations/{id}/accept': { body: { none: { summary: 'No body is needed', value: {} } } },
    'POST /reservations/{id}/cancel': { body: { reason: { summary: 'A reason (optional)', value: { reason: 'Our plans changed' } } } },
    'POST /reservations/{id}/reject': { body: { full: { summary: 'A reason is required', value: { reason: 'Fully booked for a private event' } } } },
  };
}

// --- links: ids from earlier responses -----------------------------------------------------------------

const RESTAURANT_ID = '$response.body#/restaurantId';
const RESERVATION_ID = '$response.body#/reservationId';

/** Source operation → its response status → links. */
const LINKS: Record<string, Record<number, Record<string, Record<string, unknown>>>> = {
  'POST /restaurants': {
    201: {
      ...Object.fromEntries(
        [
          'getRestaurant',
          'changeRestaurant',
          'setOpeningHours',
          'setTables',
          'setPolicy',
          'addMenuSection',
          'addDish',
          'changeDish',
          'getMenu',
          'getAvailability',
          'listRestaurantReservations',
          'removeDish',
          'removeMenuSection',
          'closeRestaurant',
        ].map((op) => [op, { operationId: op, parameters: { id: RESTAURANT_ID }, description: `The new restaurant's id is the {id} of ${op}` }]),
      ),
      requestReservation: {
        operationId: 'requestReservation',
        description: 'Book at the new restaurant: its id is the body field restaurantId (x-request-body-fields)',
        'x-request-body-fields': { restaurantId: RESTAURANT_ID },
      },
    },
  },
  ...Object.fromEntries(
    (['POST /reservations'] as const).map((key) => [
      key,
      Object.fromEntries(
        [200, 201, 202].map((status) => [
          status,
          {
            ...Object.fromEntries(
              ['getReservation', ...(status === 202 ? [] : ['acceptReservation', 'rejectReservation', 'cancelReservation'])].map((op) => [
                op,
                { operationId: op, parameters: { id: RESERVATION_ID }, description: `The reservation's id is the {id} of ${op}` },
              ]),
            ),
            listMyReservations: {
              operationId: 'listMyReservations',
              parameters: { 'header.consistency-token': '$response.header.Consistency-Token' },
              description: 'Send the Consistency-Token back and the list shows this reservation at once',
            },
          },
        ]),
      ),
    ]),
  ),
};

// --- applying it to the document ------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is plain JSON walked by key */
type Doc = any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function operations(doc: Doc): Array<{ key: string; op: any }> {
  return Object.entries<any>(doc.paths ?? {}).flatMap(([p, item]) =>
    Object.entries<any>(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })),
  );
}

/** Gives each `def-N` schema its title as name (`Problem`, `Health`), rewriting the references. */
function nameSchemas(doc: Doc): Doc {
  const schemas: Record<string, any> = doc.components?.schemas ?? {};
  const renames = new Map<string, string>();
  for (const [key, s] of Object.entries(schemas)) {
    if (/^def-\d+$/.test(key) && typeof s?.title === 'string' && /^[A-Za-z][\w.-]*$/.test(s.title) && !(s.title in schemas)) renames.set(key, s.title);
  }
  if (renames.size === 0) return doc;
  const text = JSON.stringify(doc).replace(/"#\/components\/schemas\/(def-\d+)"/g, (m, key: string) => (renames.has(key) ? `"#/components/schemas/${renames.get(key)}"` : m));
  const out = JSON.parse(text);
  out.components.schemas = Object.fromEntries(Object.entries<any>(out.components.schemas).map(([k, v]) => [renames.get(k) ?? k, v]));
  return out;
}

const codesText = (codes: string[] | undefined) => (codes?.length ? ` code: ${codes.join(', ')}.` : ' No code.');

/**
 * The static part: descriptions, codes, headers, operationIds, links, walkthrough steps, the problem schema.
 * For @fastify/swagger's `transformObject` (runs once; the document is cached).
 */
export function describeDocument(input: Doc, now = new Date()): Doc {
  const doc = nameSchemas(input);
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas.Problem = problemDocSchema;
  doc.info = {
    ...doc.info,
    description:
      `${doc.info?.description ?? ''}\n\n` +
      'Every operation has an example that succeeds when sent as it is, in the order of the README walkthrough: `x-walkthrough-step` orders the operations, ' +
      '`x-walkthrough` lists each step (an operation can be used twice, e.g. the owner and then a diner register), `x-example-status` is the status to expect. ' +
      'Ids come from earlier responses through `links` (POST /restaurants 201 → `$response.body#/restaurantId` is `{id}`, and POST /reservations\' body field restaurantId; ' +
      'POST /reservations 201 → `$response.body#/reservationId`). The emails in `x-unique-fields` must be new on each run: add a suffix, e.g. ada.owner+1a2b@example.com. ' +
      'Example dates are relative to the day the document is served (tomorrow in Europe/Rome). ' +
      'Problem `code`s: see components.schemas.Problem; each error response lists the codes that route can answer with.',
  };
  for (const { key, op } of operations(doc)) {
    const d = OPERATIONS[key];
    if (d) {
      op.operationId = d.operationId;
      if (d.description) op.description = op.description ? `${op.description} ${d.description}` : d.description;
      const first = d.steps[0]!;
      op['x-walkthrough-step'] = first.step;
      op['x-example-status'] = first.status;
      // a step names the body example it sends (the only one, when the operation has one)
      const bodies = Object.keys(examplesAt(now)[key]?.body ?? {});
      op['x-walkthrough'] = d.steps.map((s) => ({ ...s, ...(s.example === undefined && bodies.length === 1 ? { example: bodies[0] } : {}) }));
      if (d.uniqueFields) op['x-unique-fields'] = d.uniqueFields;
    }
    for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
      const code = Number(status);
      if (code >= 400) {
        const isProblem = Object.keys(response.content ?? {}).some((t) => t.includes('problem'));
        if (!isProblem) {
          if (d?.ok[code]) response.description = d.ok[code];
          continue;
        }
        const codes = d?.codes?.[code];
        response.description = `${d?.errors?.[code] ?? COMMON_ERRORS[code] ?? response.description}${codesText(codes)}`;
        response['x-problem-codes'] = codes ?? [];
        // (429 and 503 carry Retry-After: the server documents it on every route)
      } else {
        const text = d?.ok[code];
        if (text) response.description = text;
        else if (response.description === 'Default Response') response.description = 'Success.';
        const headers = d?.headers?.[code];
        if (headers) response.headers = { ...(response.headers ?? {}), ...headers };
      }
    }
    // the Consistency-Token a list takes (documented here whatever the route declares)
    if (key === 'GET /reservations' || key === 'GET /restaurants/{id}/reservations') {
      op.parameters ??= [];
      if (!op.parameters.some((p: any) => p.in === 'header' && String(p.name).toLowerCase() === 'consistency-token')) {
        op.parameters.push({
          in: 'header',
          name: 'consistency-token',
          required: false,
          schema: { type: 'string', maxLength: 2048 },
          description: "The Consistency-Token header of the caller's last write response: the list then shows that write at once (read your own writes)",
        });
      }
    }
  }
  const byId = new Map(operations(doc).map(({ key, op }) => [key, op]));
  for (const [source, statuses] of Object.entries(LINKS)) {
    const op = byId.get(source);
    if (!op) continue;
    for (const [status, links] of Object.entries(statuses)) {
      const response = op.responses?.[status];
      if (response) response.links = { ...(response.links ?? {}), ...links };
    }
  }
  return withExamples(doc, now);
}

/** Sets (or refreshes) every example for a document served at `now`; mutates and returns `doc`. */
export function withExamples(doc: Doc, now = new Date()): Doc {
  const examples = examplesAt(now);
  for (const { key, op } of operations(doc)) {
    const ex = examples[key];
    if (!ex) continue;
    const media = op.requestBody?.content?.['application/json'];
    if (media && ex.body) media.examples = ex.body;
    for (const p of op.parameters ?? []) {
      const value = ex.params?.[`${p.in}:${p.name}`];
      if (value !== undefined) p.example = value;
      // an optional query parameter the example does not send (its schema may still show a sample value)
      else if (ex.params && p.in === 'query' && !p.required) delete p.example;
    }
  }
  return doc;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
