/**
 * What each operation's documentation says beyond its route schema, keyed by `METHOD /path`: its
 * operationId, what each success means, what each error status means on it and the problem `code`s it can
 * answer with, its response headers, and its place in the README walkthrough.
 */

import { WAITLIST_OPERATIONS } from './waitlist-operations';
export type Caller = 'owner' | 'diner';

export interface Step {
  step: number;
  /** Name of the example in `examples` (request body) used by this step. */
  example?: string;
  status: number;
  caller?: Caller;
  /** A login step: its accessToken is this caller's token from now on. */
  as?: Caller;
  summary: string;
}

export interface OperationDoc {
  operationId: string;
  description?: string;
  /** Success responses: status → what it means. */
  ok: Record<number, string>;
  /** Error statuses → what the route means by it (appended to the shared description). */
  errors?: Partial<Record<number, string>>;
  /** Error statuses → the `code`s this route can answer with (from the code; none = no code). */
  codes?: Partial<Record<number, string[]>>;
  steps: Step[];
  /** Why the operation takes no part in the walkthrough (then `steps` is empty): `x-walkthrough-skip`. */
  skip?: string;
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

/**
 * A catalog write by the owner (If-Match, answers with the new ETag; a 201 also with Location): the shared
 * WRITE_ERRORS, these codes, one walkthrough step.
 */
function catalogWrite(operationId: string, status: 200 | 201, ok: string, step: number, summary: string, codes: OperationDoc['codes'] = WRITE_CODES): OperationDoc {
  return {
    operationId,
    ok: { [status]: ok },
    errors: WRITE_ERRORS,
    codes,
    headers: { [status]: status === 201 ? { ...LOCATION, ...ETAG } : ETAG },
    steps: [{ step, status, caller: 'owner', summary }],
  };
}

const PENDING_NO_MORE = 'Not pending any more (reservationStatus says what it is).';

/** The floor's steps on the night: what the walkthrough cannot show (its reservation is tomorrow). */
const FLOOR_SKIP =
  "A step on the night of the reservation (seating opens seatEarlyMinutes before its start): the walkthrough's reservation is tomorrow, so it would be refused NOT_YET; workflows/reservation.int.test.ts runs it.";
const FLOOR_CODES = (...conflicts: string[]) => ({ ...DECISION_CODES, 409: ['ALREADY_FINAL', ...conflicts] });

/** A floor step (owner only): a decision with no walkthrough step. */
function floorStep(operationId: string, conflict: string, codes: OperationDoc['codes'], description: string): OperationDoc {
  return {
    ...decision(operationId, { 403: 'Not the restaurant owner.', 409: conflict, 422: 'Not expected here (the step takes no body).' }, codes),
    description,
    skip: FLOOR_SKIP,
  };
}

/** A decision on a reservation (accept, cancel, reject, the floor's): what 403, 409 and 422 mean on it, its walkthrough step (if any). */
function decision(operationId: string, errors: { 403: string; 409: string; 422: string }, codes: OperationDoc['codes'], step?: Step): OperationDoc {
  return {
    operationId,
    ok: DECISION_OK,
    errors: { ...errors, 404: 'No such reservation.', 503: 'Not delivered; nothing changed. Retry (with the same Idempotency-Key).' },
    codes,
    headers: { 200: CONSISTENCY_TOKEN, 202: { ...LOCATION, ...CONSISTENCY_TOKEN } },
    steps: step ? [step] : [],
  };
}

/** The README walkthrough, one entry per route (the steps are global and increase in README order). */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /health': {
    operationId: 'health',
    ok: { 200: 'Every dependency answers.', 503: 'A dependency is down: the body names it (a health report, not a problem).' },
    steps: [{ step: 1, status: 200, summary: 'Is the API up?' }],
  },
  'GET /health/live': {
    operationId: 'liveness',
    description:
      "Checks no dependency: for a load balancer's target group health check, which must not take every task out of service while MongoDB or Temporal blips (GET /health reports those).",
    ok: { 200: 'This API process is serving requests.' },
    steps: [],
    skip: 'Says only that the process answers; GET /health (step 1) is the walkthrough\'s check.',
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
  'PATCH /restaurants/{id}': catalogWrite('changeRestaurant', 200, 'Changed: the restaurant as it is now.', 8, 'Change the description'),
  'PUT /restaurants/{id}/opening-hours': catalogWrite('setOpeningHours', 200, 'Replaced: the restaurant as it is now.', 9, 'Set the weekly hours'),
  'PUT /restaurants/{id}/tables': catalogWrite('setTables', 200, 'Replaced: the restaurant as it is now.', 10, 'Set the tables'),
  'PUT /restaurants/{id}/policy': catalogWrite('setPolicy', 200, 'Replaced: the restaurant as it is now (warnings, if any, say what no table or service can meet).', 11, 'Set the reservation policy'),
  'POST /restaurants/{id}/menu/sections': catalogWrite('addMenuSection', 201, 'Added: the menu as it is now.', 12, 'Add a menu section', menuWrite(['ALREADY_EXISTS'])),
  'POST /restaurants/{id}/menu/sections/{section}/dishes': catalogWrite('addDish', 201, 'Added: the menu as it is now.', 13, 'Add a dish to it', menuWrite(['ALREADY_EXISTS'])),
  'PUT /restaurants/{id}/menu/sections/{section}/dishes/{dish}': catalogWrite('changeDish', 200, 'Changed: the menu as it is now.', 14, "Change the dish's price", menuWrite(['ALREADY_EXISTS'])),
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
  'GET /reservations/live': {
    operationId: 'followReservations',
    description:
      "Server-Sent Events (read with fetch and a stream reader: the token goes in Authorization). First `event: ready` with `data: {}`: from then on every change is sent, so read your lists after it. " +
      'Then one `event: reservation` per change, its `data` the object GET /reservations/{id} returns, within about a second of the change reaching the read model (any API process sees every change). ' +
      'A `: ping` comment every 15 s. The stream ends when the access token expires (at most after an hour) and when the server shuts down: reconnect with a valid token and read the lists again.',
    ok: { 200: 'The event stream (text/event-stream): ready, then reservation events.' },
    errors: {
      403: "restaurantId is a restaurant the caller does not own.",
      404: 'No such restaurant (restaurantId).',
      503: 'This server has as many live streams open as it allows (or is shutting down): retry after Retry-After seconds.',
    },
    steps: [],
    skip: 'An event stream that stays open: no request/response step to replay (api/reservation/live.int.test.ts follows one).',
  },
  'GET /restaurants/{id}/reservations': {
    operationId: 'listRestaurantReservations',
    ok: { 200: "The restaurant's reservations (owner only), earliest start first, each with its diner's no-show count at the restaurant (noShows)." },
    errors: { 400: 'A query parameter or the Consistency-Token header is malformed (e.g. over 2,048 characters).', 422: 'The Consistency-Token is not one this API issued.', 403: "Not the restaurant's owner.", 404: 'No such restaurant.' },
    codes: { 422: ['INVALID_CONSISTENCY_TOKEN'] },
    steps: [{ step: 23, status: 200, caller: 'owner', summary: "The owner lists tomorrow's reservations" }],
  },
  'POST /reservations/{id}/accept': decision(
    'acceptReservation',
    { 403: 'Not the restaurant owner.', 409: PENDING_NO_MORE, 422: 'Not expected here (accept takes no reason); shared with reject.' },
    DECISION_CODES,
    { step: 24, status: 200, caller: 'owner', summary: 'The owner accepts' },
  ),
  'POST /reservations/{id}/cancel': decision(
    'cancelReservation',
    {
      403: 'Neither its customer nor the restaurant owner.',
      409: 'Already final (reservationStatus says which), started, or past the cancellation cutoff.',
      422: 'Not expected here (any reason is accepted); shared with reject.',
    },
    DECISION_CODES,
    { step: 25, status: 200, caller: 'diner', summary: 'The diner cancels' },
  ),
  'POST /reservations/{id}/reject': decision(
    'rejectReservation',
    { 403: 'Not the restaurant owner.', 409: PENDING_NO_MORE, 422: 'The reason is blank.' },
    { ...DECISION_CODES, 422: ['REASON_REQUIRED'] },
    { step: 27, status: 200, caller: 'owner', summary: 'The owner rejects the second one' },
  ),
  'POST /reservations/{id}/seated': floorStep(
    'seatReservation',
    'Not accepted (pending, already seated: reservationStatus says which), already final, before its window opens (NOT_YET: seatFrom says when) or after its turn ended.',
    FLOOR_CODES('NOT_ACCEPTED', 'NOT_YET', 'PAST_CUTOFF'),
    "200 `{ reservationId, status: \"seated\" }`. From the policy's seatEarlyMinutes before the start until the end of the turn; a seated party completes at the end of its turn by itself.",
  ),
  'POST /reservations/{id}/no-show': floorStep(
    'markNoShow',
    'Not accepted (pending, or seated), already final, or the grace after the start has not passed (NOT_YET: noShowAfter says when).',
    FLOOR_CODES('NOT_ACCEPTED', 'NOT_YET'),
    "200 `{ reservationId, status: \"no-show\" }`. Strictly after the start plus the policy's noShowGraceMinutes. The table is given back for the rest of the turn (and offered to the waitlist of that day); the owner's lists count the diner's no-shows (`noShows`).",
  ),
  'POST /reservations/{id}/complete': floorStep(
    'completeReservationEarly',
    'Not seated (NOT_SEATED), already final, or its turn has ended (it completed by itself).',
    FLOOR_CODES('NOT_SEATED', 'PAST_CUTOFF'),
    '200 `{ reservationId, status: "completed" }`. Ends a seated party\'s turn before its end; the table is given back (and offered to the waitlist of that day).',
  ),
  'DELETE /restaurants/{id}/menu/sections/{section}/dishes/{dish}': catalogWrite('removeDish', 200, 'Removed: the menu as it is now.', 28, 'Remove the dish'),
  'DELETE /restaurants/{id}/menu/sections/{section}': catalogWrite('removeMenuSection', 200, 'Removed with its dishes: the menu as it is now.', 29, 'Remove the section'),
  'DELETE /restaurants/{id}': {
    operationId: 'closeRestaurant',
    ok: { 204: 'Closed for good: gone from GET and search at once; closing again is a no-op.' },
    errors: { ...WRITE_ERRORS, 409: 'A concurrent change: read it again and retry.', 422: 'Not expected (closing has no body).' },
    codes: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['CONCURRENT_CHANGE'] },
    headers: { 204: ETAG },
    steps: [{ step: 30, status: 204, caller: 'owner', summary: 'The owner closes the restaurant' }],
  },
  // the waitlist's routes (issue 14), documented beside them
  ...WAITLIST_OPERATIONS,
};
