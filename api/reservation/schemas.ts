/**
 * The reservation routes' JSON schemas: what each route takes and answers, and so what the OpenAPI
 * document says of it.
 */
import { RESERVATION_STATUSES } from '../../domain/reservation/reservation';
import { LIST_LIMIT } from '../../projections/reservations';
import { UNPLACED_STATUSES } from '../../workflows/messages';
import { problemResponses } from '../problem';

export const STATUSES = [...RESERVATION_STATUSES];
/** What GET /reservations/:id can say: the recorded statuses, and before that what the workflow says. */
const VIEW_STATUSES = [...UNPLACED_STATUSES, ...RESERVATION_STATUSES];

/** The error statuses a route declares, each a problem (the server documents them as problem+json). */
export const errors = problemResponses;

export const reservationSchema = {
  type: 'object',
  properties: {
    reservationId: { type: 'string' },
    restaurantId: { type: 'string' },
    customerId: { type: 'string' },
    partySize: { type: 'integer' },
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    status: {
      type: 'string',
      enum: VIEW_STATUSES,
      description: "'placing' while the request is being placed (after a 202), 'not-placed' when it was refused or withdrawn (see `problem`)",
    },
    tableId: { type: 'string' },
    restaurantName: { type: 'string' },
    decideBy: { type: 'string', format: 'date-time', description: 'Manual acceptance: when an undecided request expires' },
    name: { type: 'string' },
    phone: { type: 'string' },
    notes: { type: 'string' },
    problem: {
      type: 'object',
      description: 'Why a request was not placed (status not-placed)',
      properties: { code: { type: 'string' }, detail: { type: 'string' } },
      required: ['code', 'detail'],
    },
    history: {
      type: 'array',
      items: { type: 'object', properties: { type: { type: 'string' }, at: { type: 'string' } }, required: ['type', 'at'] },
    },
  },
  required: ['reservationId', 'restaurantId', 'customerId', 'partySize', 'start', 'status', 'history'],
} as const;

export const statusResultSchema = {
  type: 'object',
  properties: {
    reservationId: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    detail: { type: 'string', description: 'With 202: the decision is being processed; GET the reservation for its outcome' },
  },
  required: ['reservationId', 'status'],
} as const;

/** The owner's list: each reservation with its diner's past no-shows at the restaurant. */
export const restaurantListResponse = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      maxItems: LIST_LIMIT,
      items: {
        ...reservationSchema,
        properties: {
          ...reservationSchema.properties,
          noShows: { type: 'integer', minimum: 0, description: 'How many reservations of this diner at this restaurant ended as no-show (this one included)' },
        },
        required: [...reservationSchema.required, 'noShows'],
      },
    },
  },
  required: ['items'],
} as const;

/** A list's range bound: a local date (YYYY-MM-DD) or an instant with its offset. */
export const boundParam = (which: 'from' | 'to') => ({
  anyOf: [
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
  ],
  description:
    which === 'from'
      ? "Starts on or after: a local date (YYYY-MM-DD, in each restaurant's timezone) or a date-time with offset"
      : 'Starts on or before this local date (YYYY-MM-DD, inclusive), or before this date-time with offset (exclusive)',
});

export const consistencyHeaders = {
  type: 'object',
  properties: {
    'consistency-token': {
      type: 'string',
      maxLength: 2048,
      description: "The Consistency-Token of the caller's last write response: the list then shows that write (read your own writes)",
    },
  },
} as const;

export const idempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } as const;

export const listResponse = {
  type: 'object',
  properties: { items: { type: 'array', items: reservationSchema, maxItems: LIST_LIMIT } },
  required: ['items'],
} as const;

export interface CreateBody {
  restaurantId: string;
  partySize: number;
  start: string;
  name?: string;
  phone?: string;
  notes?: string;
}

export const createBodySchema = {
  type: 'object',
  properties: {
    restaurantId: { type: 'string', minLength: 1, maxLength: 100 },
    partySize: { type: 'integer', minimum: 1, maximum: 100 },
    start: { type: 'string', minLength: 16, maxLength: 40, description: 'ISO 8601 with offset, or local YYYY-MM-DDTHH:mm in the restaurant timezone' },
    name: { type: 'string', maxLength: 200 },
    phone: { type: 'string', maxLength: 50 },
    notes: { type: 'string', maxLength: 1000 },
  },
  required: ['restaurantId', 'partySize', 'start'],
  additionalProperties: false,
} as const;

/** POST /reservations' answers: 201 placed, 200 the same Idempotency-Key again, 202 under way. */
export const createResponses = {
  ...Object.fromEntries(
    [
      [201, ['pending', 'accepted']],
      // the same Idempotency-Key again: the reservation as it stands now
      [200, STATUSES],
    ].map(([c, statuses]) => [
      c,
      {
        type: 'object',
        properties: {
          reservationId: { type: 'string' },
          status: { type: 'string', enum: statuses },
          tableId: { type: 'string' },
          start: { type: 'string' },
          end: { type: 'string' },
        },
        required: ['reservationId', 'status', 'tableId', 'start', 'end'],
      },
    ]),
  ),
  202: {
    description: 'Not placed within the deadline but under way: poll the Location',
    type: 'object',
    properties: { reservationId: { type: 'string' }, status: { type: 'string', enum: ['placing'] } },
    required: ['reservationId', 'status'],
  },
  ...errors(400, 401, 404, 409, 422, 503),
};

export const availabilityQuery = {
  type: 'object',
  properties: {
    date: { type: 'string', format: 'date', description: 'local date in the restaurant timezone (YYYY-MM-DD)' },
    partySize: { type: 'integer', minimum: 1, maximum: 100 },
  },
  required: ['date', 'partySize'],
  additionalProperties: false,
} as const;

export const availabilityResponse = {
  type: 'object',
  properties: {
    timezone: { type: 'string' },
    slots: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' } }, required: ['start'] } },
    reason: {
      type: 'object',
      description: 'Only when there is no slot: why (RESTAURANT_CLOSED, PARTY_TOO_LARGE, CLOSED_THAT_DAY, IN_THE_PAST, TOO_EARLY, TOO_LATE, FULLY_BOOKED)',
      properties: { code: { type: 'string' }, detail: { type: 'string' } },
      required: ['code', 'detail'],
    },
  },
  required: ['timezone', 'slots'],
} as const;
