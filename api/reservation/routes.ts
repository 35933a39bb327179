/**
 * Reservation routes. Writes drive one Temporal workflow per reservation (Update-with-Start for the
 * request, updates for accept / reject / cancel); reads come from the reservation service's projections
 * (availability from the ledger projection and the restaurant replica, never by replaying streams).
 * Owner checks use the reservation service's own replica of the restaurant, never the request body.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { DateTime } from 'luxon';
import type { RoutePlugin } from '../server';
import { HttpProblem, conflict, forbidden, notFound, unprocessable } from '../problem';
import { bearerSecurity, requireCaller, type Caller } from '../context';
import { deterministicEventId } from '../../eventstore/envelope';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import { isDomainError } from '../../domain/errors';
import { availableStarts } from '../../domain/reservation/ledger';
import { RESERVATION_STATUSES, reservationStreamId, type ReservationEvent } from '../../domain/reservation/reservation';
import type { RestaurantReplica } from '../../domain/reservation/restaurant';
import { bookableStarts, checkBookable, formatInZone, parseStart } from '../../domain/time/slots';
import { reservationViewOf, type ReservationQueries, type ReservationView } from '../../projections/reservations';
import { reservationWorkflow } from '../../workflows/reservation';
import {
  FAILURE,
  SA,
  acceptUpdate,
  cancelUpdate,
  rejectUpdate,
  requestUpdate,
  reservationWorkflowId,
  type Actor,
  type ReservationRequest,
} from '../../workflows/messages';

export interface ReservationRouteDeps {
  temporal: Client;
  taskQueue: string;
  restaurants: { get(restaurantId: string): Promise<RestaurantReplica | null> };
  queries: ReservationQueries;
  /** The reservation service's event store: read-your-writes fallback when the projection lags. */
  store: EventStore;
  now?: () => Date;
}

const STATUSES = [...RESERVATION_STATUSES];
const problem = { $ref: 'Problem#' };
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, problem]));

const reservationSchema = {
  type: 'object',
  properties: {
    reservationId: { type: 'string' },
    restaurantId: { type: 'string' },
    customerId: { type: 'string' },
    partySize: { type: 'integer' },
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: STATUSES },
    tableId: { type: 'string' },
    name: { type: 'string' },
    phone: { type: 'string' },
    notes: { type: 'string' },
    history: {
      type: 'array',
      items: { type: 'object', properties: { type: { type: 'string' }, at: { type: 'string' } }, required: ['type', 'at'] },
    },
  },
  required: ['reservationId', 'restaurantId', 'customerId', 'partySize', 'start', 'end', 'status', 'tableId', 'history'],
} as const;

const statusResultSchema = {
  type: 'object',
  properties: { reservationId: { type: 'string' }, status: { type: 'string', enum: STATUSES } },
  required: ['reservationId', 'status'],
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } as const;

interface CreateBody {
  restaurantId: string;
  partySize: number;
  start: string;
  name?: string;
  phone?: string;
  notes?: string;
}

/** Turns a workflow failure into the problem the client should see. */
function workflowProblem(err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) return conflict('The reservation is already final.', { code: FAILURE.alreadyFinal });
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as Record<string, unknown>;
    switch (cause.type) {
      case FAILURE.noTable:
        return conflict(cause.message, { code: FAILURE.noTable, alternatives: details.alternatives ?? [] });
      case FAILURE.notPending:
      case FAILURE.alreadyFinal:
      case FAILURE.pastCutoff:
        return conflict(cause.message, { code: cause.type });
      case FAILURE.keyReused:
        return unprocessable(cause.message, { code: cause.type });
      case FAILURE.forbidden:
        return forbidden(cause.message);
      case FAILURE.notFound:
        return notFound(cause.message);
      default:
        if (cause.type && cause.nonRetryable) return unprocessable(cause.message, { code: cause.type, ...details });
    }
  }
  if (err instanceof Error && /already completed|not found/i.test(err.message)) {
    return conflict('The reservation is already final.', { code: FAILURE.alreadyFinal });
  }
  return err;
}

export function reservationRoutes(deps: ReservationRouteDeps): RoutePlugin {
  const now = deps.now ?? (() => new Date());

  async function restaurantOr404(id: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(id);
    if (!r) throw notFound(`Restaurant ${id} does not exist (or is not known to reservations yet).`);
    return r;
  }

  /** The reservation from the read model, or from its stream when the projection has not caught up. */
  async function findReservation(id: string): Promise<ReservationView | null> {
    const fromProjection = await deps.queries.get(id);
    if (fromProjection) return fromProjection;
    return reservationViewOf(id, (await deps.store.readStream(reservationStreamId(id))) as StoredEvent<ReservationEvent>[]);
  }

  /** Who the caller is to this reservation; 404 when it does not exist, 403 when neither. */
  async function roleOf(caller: Caller, id: string): Promise<{ reservation: ReservationView; actor: Actor }> {
    const reservation = await findReservation(id);
    if (!reservation) throw notFound(`Reservation ${id} does not exist.`);
    const restaurant = await deps.restaurants.get(reservation.restaurantId);
    if (restaurant?.ownerId === caller.userId) return { reservation, actor: { userId: caller.userId, role: 'owner' } };
    if (reservation.customerId === caller.userId) return { reservation, actor: { userId: caller.userId, role: 'customer' } };
    throw forbidden('Only the customer who made this reservation or the restaurant owner may see or change it.');
  }

  /** A call to the workflow, its failures turned into the problems clients see. */
  async function viaWorkflow<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw workflowProblem(err);
    }
  }

  /** A local calendar date in the restaurant's timezone, or 400. */
  function localDay(date: string, timezone: string): DateTime {
    const day = DateTime.fromISO(date, { zone: timezone });
    if (!day.isValid) throw new HttpProblem(400, `date ${date} is not a calendar date.`);
    return day;
  }

  return async (app: FastifyInstance) => {
    app.get<{ Params: { id: string }; Querystring: { date: string; partySize: number } }>(
      '/restaurants/:id/availability',
      {
        schema: {
          summary: 'Bookable start times for a local date and party size',
          tags: ['reservations'],
          params: idParams,
          querystring: {
            type: 'object',
            properties: {
              date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date in the restaurant timezone' },
              partySize: { type: 'integer', minimum: 1, maximum: 100 },
            },
            required: ['date', 'partySize'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                timezone: { type: 'string' },
                slots: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' } }, required: ['start'] } },
              },
              required: ['timezone', 'slots'],
            },
            ...errors(400, 404, 422),
          },
        },
      },
      async (request) => {
        const { date, partySize } = request.query;
        const [restaurant, ledger] = await Promise.all([
          restaurantOr404(request.params.id),
          deps.queries.ledger(request.params.id, date),
        ]);
        localDay(date, restaurant.timezone);
        const candidates = bookableStarts({ restaurant, date, now: now(), partySize });
        const free = availableStarts(ledger, candidates, partySize, restaurant.policy.turnMinutes, restaurant.tables);
        return { timezone: restaurant.timezone, slots: free.map((s) => ({ start: formatInZone(s, restaurant.timezone) })) };
      },
    );

    app.post<{ Body: CreateBody; Headers: { 'idempotency-key'?: string } }>(
      '/reservations',
      {
        schema: {
          summary: 'Request a reservation (pending, or accepted at once when the restaurant auto-accepts)',
          tags: ['reservations'],
          security: bearerSecurity,
          headers: {
            type: 'object',
            properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
          },
          body: {
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
          },
          response: {
            ...Object.fromEntries(
              [200, 201].map((c) => [
                c,
                {
                  type: 'object',
                  properties: {
                    reservationId: { type: 'string' },
                    status: { type: 'string', enum: ['pending', 'accepted'] },
                    tableId: { type: 'string' },
                    start: { type: 'string' },
                    end: { type: 'string' },
                  },
                  required: ['reservationId', 'status', 'tableId', 'start', 'end'],
                },
              ]),
            ),
            ...errors(400, 401, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const body = request.body;
        const restaurant = await restaurantOr404(body.restaurantId);
        const parsed = parseStart(body.start, restaurant.timezone);
        if (isDomainError(parsed)) throw parsed;
        // fail fast on the rules; the workflow's activity checks them again against its own clock
        checkBookable({ restaurant, start: parsed.instant, partySize: body.partySize, now: now() });

        const key = request.headers['idempotency-key'];
        const requestHash = createHash('sha256')
          .update(JSON.stringify([caller.userId, body.restaurantId, body.partySize, parsed.instant.toISOString(), body.name ?? '', body.phone ?? '', body.notes ?? '']))
          .digest('hex');
        const reservationId = key ? deterministicEventId(`idempotency:${caller.userId}:${key}`) : randomUUID();
        const input: ReservationRequest = {
          reservationId,
          restaurantId: body.restaurantId,
          customerId: caller.userId,
          partySize: body.partySize,
          start: parsed.instant.toISOString(),
          ...(body.name ? { name: body.name } : {}),
          ...(body.phone ? { phone: body.phone } : {}),
          ...(body.notes ? { notes: body.notes } : {}),
          requestHash,
          ...(key ? {} : { newId: true }),
        };
        const startOp = new WithStartWorkflowOperation(reservationWorkflow, {
          workflowId: reservationWorkflowId(reservationId),
          taskQueue: deps.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [
            { key: SA.restaurantId, value: body.restaurantId },
            { key: SA.customerId, value: caller.userId },
            { key: SA.start, value: parsed.instant },
            { key: SA.partySize, value: body.partySize },
            { key: SA.status, value: 'pending' },
          ],
          memo: { restaurantName: restaurant.name },
        });
        const placed = await viaWorkflow(() =>
          deps.temporal.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash }], startWorkflowOperation: startOp }),
        );
        return reply
          .status(placed.created ? 201 : 200)
          .header('location', `/reservations/${reservationId}`)
          .send({ reservationId, status: placed.status, tableId: placed.tableId, start: placed.start, end: placed.end });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/reservations/:id',
      {
        schema: {
          summary: 'One reservation (its customer or the restaurant owner)',
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          response: { 200: reservationSchema, ...errors(401, 403, 404) },
        },
      },
      async (request) => (await roleOf(requireCaller(request), request.params.id)).reservation,
    );

    app.get<{ Querystring: { status?: string; from?: string; to?: string } }>(
      '/reservations',
      {
        schema: {
          summary: "The caller's reservations",
          tags: ['reservations'],
          security: bearerSecurity,
          querystring: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: STATUSES },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
            },
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: reservationSchema } }, required: ['items'] }, ...errors(400, 401) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const { status, from, to } = request.query;
        const items = await deps.queries.byCustomer(caller.userId, {
          ...(status ? { status } : {}),
          ...(from ? { from: new Date(from) } : {}),
          ...(to ? { to: new Date(to) } : {}),
        });
        return { items };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { date?: string; status?: string } }>(
      '/restaurants/:id/reservations',
      {
        schema: {
          summary: "A restaurant's reservations (owner only)",
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          querystring: {
            type: 'object',
            properties: {
              date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date in the restaurant timezone' },
              status: { type: 'string', enum: STATUSES },
            },
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { items: { type: 'array', items: reservationSchema } }, required: ['items'] }, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const restaurant = await restaurantOr404(request.params.id);
        if (restaurant.ownerId !== caller.userId) throw forbidden("Only the restaurant's owner may list its reservations.");
        const { date, status } = request.query;
        let range: { from?: Date; to?: Date } = {};
        if (date) {
          const day = localDay(date, restaurant.timezone);
          range = { from: day.startOf('day').toJSDate(), to: day.plus({ days: 1 }).startOf('day').toJSDate() };
        }
        const items = await deps.queries.byRestaurant(restaurant.restaurantId, { ...(status ? { status } : {}), ...range });
        return { items };
      },
    );

    const decision = (name: 'accept' | 'reject' | 'cancel') => {
      const update = name === 'accept' ? acceptUpdate : name === 'reject' ? rejectUpdate : cancelUpdate;
      app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
        `/reservations/:id/${name}`,
        {
          schema: {
            summary:
              name === 'cancel'
                ? 'Cancel (the customer before the cutoff, the owner any time before the start)'
                : `${name === 'accept' ? 'Accept' : 'Reject'} a pending reservation (owner only)`,
            tags: ['reservations'],
            security: bearerSecurity,
            params: idParams,
            body: {
              type: 'object',
              properties: { reason: { type: 'string', minLength: name === 'reject' ? 1 : 0, maxLength: 500 } },
              ...(name === 'reject' ? { required: ['reason'] } : {}),
              additionalProperties: false,
            },
            response: { 200: statusResultSchema, ...errors(400, 401, 403, 404, 409) },
          },
        },
        async (request) => {
          const caller = requireCaller(request);
          const { actor } = await roleOf(caller, request.params.id);
          if (name !== 'cancel' && actor.role !== 'owner') throw forbidden(`Only the restaurant owner may ${name} a reservation.`);
          const handle = deps.temporal.workflow.getHandle(reservationWorkflowId(request.params.id));
          const reason = request.body?.reason;
          return viaWorkflow(() => handle.executeUpdate(update, { args: [{ actor, ...(reason ? { reason } : {}) }] }));
        },
      );
    };
    decision('accept');
    decision('reject');
    decision('cancel');
  };
}
