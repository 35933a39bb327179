/**
 * The waitlist routes' JSON schemas (issue 14): what each takes and answers, and so what the OpenAPI
 * document says of it.
 */
import { MAX_FLEX_MINUTES, WAITLIST_STATUSES } from '../../domain/reservation/waitlist';
import type { ReservationStatus } from '../../domain/reservation/reservation';
import { errors, idParams, idempotencyHeaders } from './schemas';

export { idParams, idempotencyHeaders };

export const entryParams = {
  type: 'object',
  properties: { entryId: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['entryId'],
} as const;

export interface JoinBody {
  partySize: number;
  start: string;
  flexMinutes?: number;
}

export const joinBodySchema = {
  type: 'object',
  properties: {
    partySize: { type: 'integer', minimum: 1, maximum: 100 },
    start: { type: 'string', minLength: 16, maxLength: 40, description: 'ISO 8601 with offset, or local YYYY-MM-DDTHH:mm in the restaurant timezone' },
    flexMinutes: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_FLEX_MINUTES,
      default: 0,
      description: 'Any start within ± this many minutes will do (default 0: only the start asked for)',
    },
  },
  required: ['partySize', 'start'],
  additionalProperties: false,
} as const;

const statusOf = (statuses: readonly string[]) => ({ type: 'string', enum: [...statuses] }) as const;

/**
 * 202: no answer within the deadline, but the server has the request and will carry it out (a 503 would
 * be untrue): GET the entry (Location) for the outcome.
 */
const underWay = {
  202: {
    description: 'Under way: not answered within the deadline, but the waitlist has the request',
    type: 'object',
    properties: { entryId: { type: 'string' }, detail: { type: 'string' } },
    required: ['entryId', 'detail'],
  },
};

export const joinResponses = {
  ...Object.fromEntries(
    [
      [201, 'Joined'],
      [200, 'The same Idempotency-Key again: already joined'],
    ].map(([code, description]) => [
      code,
      {
        description,
        type: 'object',
        properties: {
          entryId: { type: 'string' },
          status: statusOf(['waiting']),
          position: { type: 'integer', minimum: 1, description: '1 = next in line among waiting entries' },
        },
        required: ['entryId', 'status', 'position'],
      },
    ]),
  ),
  ...errors(400, 401, 404, 409, 422, 503),
  ...underWay,
};

export const offerSchema = {
  type: 'object',
  description: 'While offered: the table held for the diner until expiresAt',
  properties: {
    start: { type: 'string', format: 'date-time' },
    tableId: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time', description: 'Accepting at or after this is refused (OFFER_EXPIRED)' },
  },
  required: ['start', 'tableId', 'expiresAt'],
} as const;

export const entrySchema = {
  type: 'object',
  properties: {
    entryId: { type: 'string' },
    restaurantId: { type: 'string' },
    customerId: { type: 'string' },
    partySize: { type: 'integer' },
    start: { type: 'string', format: 'date-time' },
    flexMinutes: { type: 'integer' },
    status: statusOf(WAITLIST_STATUSES),
    position: { type: 'integer', minimum: 1, description: 'While waiting: 1 = next in line' },
    offer: offerSchema,
    reservationId: { type: 'string', description: 'Once booked: the reservation the accepted offer became' },
  },
  required: ['entryId', 'restaurantId', 'customerId', 'partySize', 'start', 'flexMinutes', 'status'],
} as const;

/** Most entries a day's list answers with: every entry of the day (a day's waitlist is small). */
export const WAITLIST_LIST_LIMIT = 1000;

export const listQuery = {
  type: 'object',
  properties: { date: { type: 'string', format: 'date', description: "The opening day (YYYY-MM-DD, the restaurant's local date its bookings are kept under)" } },
  required: ['date'],
  additionalProperties: false,
} as const;

export const listResponses = {
  200: { type: 'object', properties: { items: { type: 'array', items: entrySchema, maxItems: WAITLIST_LIST_LIMIT } }, required: ['items'] },
  ...errors(400, 401, 403, 404, 503),
};

export const entryResponses = { 200: entrySchema, ...errors(401, 403, 404, 503) };

export const acceptResponses = {
  201: {
    type: 'object',
    properties: { reservationId: { type: 'string' }, status: statusOf(['pending', 'accepted'] satisfies ReservationStatus[]) },
    required: ['reservationId', 'status'],
  },
  ...underWay,
  ...errors(401, 403, 404, 409, 422, 503),
};

export const withdrawResponses = {
  200: { type: 'object', properties: { entryId: { type: 'string' }, status: statusOf(['withdrawn']) }, required: ['entryId', 'status'] },
  ...underWay,
  ...errors(401, 403, 404, 409, 503),
};
