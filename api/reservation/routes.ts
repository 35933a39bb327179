/**
 * Reservation routes. Writes drive one Temporal workflow per reservation (Update-with-Start for the
 * request, updates for accept / reject / cancel); reads come from the reservation service's projections
 * (availability from the ledger projection and the restaurant replica, never by replaying streams).
 * Owner checks use the reservation service's own replica of the restaurant, never the request body.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WithStartWorkflowOperation, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { RoutePlugin } from '../server';
import { HttpProblem, conflict, forbidden, notFound, sendProblem } from '../problem';
import { bearerSecurity, requireCaller, type Caller } from '../context';
import { deterministicEventId } from '../../eventstore/envelope';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import { DOMAIN_ERROR_KINDS, DomainError, isDomainError, type DomainErrorCode } from '../../domain/errors';
import { nearestFreeStarts } from '../../domain/reservation/ledger';
import { RESERVATION_STATUSES, reservationStreamId, type ReservationEvent } from '../../domain/reservation/reservation';
import type { RestaurantReplica } from '../../domain/reservation/restaurant';
import { addDays, bookableStarts, checkBookable, formatInZone, localDateOf, noStartsReason, parseStart } from '../../domain/time/slots';
import { LIST_LIMIT, listOrder, matchesList, reservationViewOf, type ListFilter, type ReservationQueries, type ReservationView } from '../../projections/reservations';
import { CONSISTENCY_HEADER, nextToken, readToken } from './consistency';
import { availabilityReader, isLocalDate } from './availability';
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
  type ReservationWorkflowState,
} from '../../workflows/messages';

export interface ReservationRouteDeps {
  temporal: Client;
  taskQueue: string;
  restaurants: { get(restaurantId: string): Promise<RestaurantReplica | null> };
  queries: ReservationQueries;
  /** The reservation service's event store: read-your-writes fallback when the projection lags. */
  store: EventStore;
  /** The server's handler timeout: the deadlines here leave room for the answer within it. */
  handlerTimeoutMs?: number;
  /** The Temporal namespace (for the low-level update lookup). Default 'default'. */
  namespace?: string;
  /**
   * How long a write waits for its workflow before answering anyway (default 8 s): 202 with the reservation
   * id and a Location to poll when the work is under way, 503 + Retry-After when it provably never started.
   */
  placementDeadlineMs?: number;
  /**
   * Availability reads a restaurant date's ledger at most once per this many ms per API process (default
   * 1000; 0: every time): at most this much older than the read model, which is itself about a second
   * behind. Bookings are decided by the ledger stream, never by this read. See ./availability.ts.
   */
  availabilityLedgerCacheMs?: number;
  now?: () => Date;
}

const STATUSES = [...RESERVATION_STATUSES];
/** What GET /reservations/:id can say: the recorded statuses, and before that what the workflow says. */
const VIEW_STATUSES = ['placing', 'not-placed', ...RESERVATION_STATUSES];
/** Seconds a client is asked to wait before retrying (503) or polling (202). */
const RETRY_AFTER_S = 2;
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

const statusResultSchema = {
  type: 'object',
  properties: {
    reservationId: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    detail: { type: 'string', description: 'With 202: the decision is being processed; GET the reservation for its outcome' },
  },
  required: ['reservationId', 'status'],
} as const;

/** A reservation view before anything is recorded: what its workflow (visibility and result) tells. */
type WorkflowView = Pick<ReservationView, 'reservationId' | 'restaurantId' | 'customerId' | 'partySize' | 'start' | 'history'> & {
  status: 'placing' | 'not-placed';
  problem?: { code: string; detail: string };
};

/** A list's range bound: a local date (YYYY-MM-DD) or an instant with its offset. */
const boundParam = (which: 'from' | 'to') => ({
  anyOf: [
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
  ],
  description:
    which === 'from'
      ? "Starts on or after: a local date (YYYY-MM-DD, in each restaurant's timezone) or a date-time with offset"
      : 'Starts on or before this local date (YYYY-MM-DD, inclusive), or before this date-time with offset (exclusive)',
});
const consistencyHeaders = {
  type: 'object',
  properties: {
    'consistency-token': {
      type: 'string',
      maxLength: 2048,
      description: "The Consistency-Token of the caller's last write response: the list then shows that write (read your own writes)",
    },
  },
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

/**
 * The typed failure a workflow or an activity raised, wherever it sits in the client error's cause chain
 * (an update fails with the validator's or handler's failure; an activity's refusal comes wrapped in an
 * ActivityFailure).
 */
function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (e instanceof ApplicationFailure && e.type) return e;
  }
  return undefined;
}

const isDomainCode = (type: string): type is DomainErrorCode => Object.hasOwn(DOMAIN_ERROR_KINDS, type);

/** A refusal by its code: domain codes are rendered by the server's one mapping (kind → status). */
function refusalProblem(code: string, message: string, details: Record<string, unknown> = {}): unknown {
  if (code === FAILURE.keyReused) return conflict(message, { code });
  if (isDomainCode(code)) return new DomainError(code, message, details);
  return undefined;
}

/** Turns a workflow failure into the problem the client should see (typed failures only; no text matching). */
function workflowProblem(err: unknown): unknown {
  const failure = applicationFailureIn(err);
  if (failure?.type) {
    const mapped = refusalProblem(failure.type, failure.message, (failure.details?.[0] ?? {}) as Record<string, unknown>);
    if (mapped) return mapped;
  }
  return err;
}

/** Codes whose answer is "not now": the request did nothing and may be sent again (503 + Retry-After). */
const TRANSIENT: ReadonlySet<string> = new Set([FAILURE.withdrawn, FAILURE.placementFailed]);

function unavailable(reply: FastifyReply, request: FastifyRequest, detail: string, extra: Record<string, unknown> = {}) {
  return sendProblem(reply, request, new HttpProblem(503, detail, { ...extra, retryAfterSeconds: RETRY_AFTER_S }));
}

const DEADLINE = Symbol('deadline');
/** What a Temporal call cut short by its deadline becomes: 503 + Retry-After wherever it is thrown. */
const workflowEngineSlow = (ms: number) =>
  new HttpProblem(503, `The reservation service did not answer within ${ms} ms; please try again shortly.`, { retryAfterSeconds: RETRY_AFTER_S });
/** temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage: the server has the update. */
const UPDATE_STAGE_ADMITTED = 1;

/**
 * Runs `fn`, answering after `ms` at the latest: its Temporal calls are aborted then, and the answer does
 * not wait for them to notice (a call waiting for a connection to a server that went away, or in the SDK's
 * retry back-off, can take many seconds to see the abort: seen 15-27 s). `timedOut` says the deadline cut
 * it short; what `fn` does after that is ignored.
 */
async function withinDeadline<T>(temporal: Client, ms: number, fn: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(DEADLINE);
    }, ms);
  });
  const call = temporal.withAbortSignal(ac.signal, fn);
  call.catch(() => undefined); // a late failure after the deadline is not anybody's to handle
  try {
    const value = await Promise.race([call, deadline]);
    if (value === DEADLINE) return { error: workflowEngineSlow(ms) };
    return { value: value as T };
  } catch (error) {
    return { error: ac.signal.aborted ? workflowEngineSlow(ms) : error };
  } finally {
    clearTimeout(timer);
  }
}

export function reservationRoutes(deps: ReservationRouteDeps): RoutePlugin {
  const now = deps.now ?? (() => new Date());
  const deadlineMs = deps.placementDeadlineMs ?? 8000;
  /**
   * What is left of the deadline for a request that has already spent `elapsedMs`, so the answer (after at
   * most one lookup) comes before the server's own handler timeout cuts the request off.
   */
  const budget = (elapsedMs: number) =>
    Math.max(500, Math.min(deadlineMs, (deps.handlerTimeoutMs ?? Number.POSITIVE_INFINITY) - elapsedMs - LOOKUP_MS - 500));
  const namespace = deps.namespace ?? 'default';
  /** Bound for the small Temporal reads behind an answer (describe, a closed run's result). */
  const LOOKUP_MS = 2000;

  async function restaurantOr404(id: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(id);
    if (!r) throw notFound(`Restaurant ${id} does not exist (or is not known to reservations yet).`);
    return r;
  }

  /**
   * One reservation, from its own stream: the authoritative record, read by key (a few short items), so a
   * client reading right after its own write (an accept, a cancel) sees it through any API process. Lists
   * come from the read model.
   */
  async function findReservation(id: string): Promise<ReservationView | null> {
    return reservationViewOf(id, (await deps.store.readStream(reservationStreamId(id))) as StoredEvent<ReservationEvent>[]);
  }

  /**
   * A request nothing is recorded of yet, as its workflow tells it: 'placing' while it runs (e.g. after a
   * 202), 'not-placed' with the refusal once it has ended without a reservation. Null: no such workflow.
   */
  async function fromWorkflow(id: string): Promise<WorkflowView | null> {
    const handle = deps.temporal.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(id));
    const described = await withinDeadline(deps.temporal, LOOKUP_MS, () => handle.describe());
    if ('error' in described) {
      if (described.error instanceof WorkflowNotFoundError) return null;
      throw described.error;
    }
    const d = described.value;
    const sa = d.typedSearchAttributes;
    const restaurantId = sa.get(SA.restaurantId);
    const customerId = sa.get(SA.customerId);
    const start = sa.get(SA.start);
    const partySize = sa.get(SA.partySize);
    if (restaurantId === undefined || customerId === undefined || start === undefined || partySize === undefined) return null;
    const base = { reservationId: id, restaurantId, customerId, partySize, start: start.toISOString(), history: [] };
    if (d.status.name === 'RUNNING') return { ...base, status: 'placing' };
    const result = await withinDeadline(deps.temporal, LOOKUP_MS, () => handle.result());
    const refusal = 'value' in result ? result.value.refusal : applicationFailureIn(result.error);
    if (!refusal) {
      if ('error' in result && !(result.error instanceof WorkflowFailedError)) throw result.error; // not known yet: 503, not 404
      return null;
    }
    const code = refusal instanceof ApplicationFailure ? (refusal.type ?? 'NOT_PLACED') : refusal.code;
    return { ...base, status: 'not-placed', problem: { code, detail: refusal.message } };
  }

  /** Who the caller is to this reservation; 404 when it does not exist, 403 when neither. */
  async function roleOf(caller: Caller, id: string): Promise<{ reservation: ReservationView; actor: Actor }> {
    const reservation = await findReservation(id);
    if (!reservation) throw notFound(`Reservation ${id} does not exist.`);
    return { reservation, actor: await actorOf(caller, reservation) };
  }

  async function actorOf(caller: Caller, r: Pick<ReservationView, 'restaurantId' | 'customerId'>): Promise<Actor> {
    const restaurant = await deps.restaurants.get(r.restaurantId);
    if (restaurant?.ownerId === caller.userId) return { userId: caller.userId, role: 'owner' };
    if (r.customerId === caller.userId) return { userId: caller.userId, role: 'customer' };
    throw forbidden('Only the customer who made this reservation or the restaurant owner may see or change it.');
  }

  /**
   * The answer to a request whose Idempotency-Key names a reservation that already exists, from what was
   * stored (never a new placement): 200 with the reservation as it stands now, the same refusal again, or
   * 409 when the key was used for a different body.
   */
  async function storedOutcome(reply: FastifyReply, reservationId: string, request: { requestHash: string; customerId: string; partySize: number; start: string }) {
    const handle = deps.temporal.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(reservationId));
    const closed = await withinDeadline(deps.temporal, LOOKUP_MS, () => handle.result());
    const run: ReservationWorkflowState | undefined = 'value' in closed ? closed.value : undefined;
    const reused = () => conflict('This Idempotency-Key was already used for a different request body.', { code: FAILURE.keyReused });
    if (run?.requestHash !== undefined && run.requestHash !== request.requestHash) throw reused();
    // (a run started after an earlier one failed refuses a final reservation: that answer is the stream's)
    if (run?.status === 'not-placed' && run.refusal && run.refusal.code !== FAILURE.alreadyFinal) {
      throw refusalProblem(run.refusal.code, run.refusal.message, run.refusal.details) ?? new HttpProblem(422, run.refusal.message, { code: run.refusal.code });
    }
    // from the stream, not the read model: the answer must reflect the latest recorded status
    const view = reservationViewOf(reservationId, (await deps.store.readStream(reservationStreamId(reservationId))) as StoredEvent<ReservationEvent>[]);
    if (!view) throw 'error' in closed && !(closed.error instanceof WorkflowFailedError) ? closed.error : notFound(`Reservation ${reservationId} does not exist.`);
    // (a run that failed keeps no usable hash: the stored request itself is compared below)
    // runs from before the hash was kept: the stored request itself must match
    if (run?.requestHash === undefined && (view.customerId !== request.customerId || view.partySize !== request.partySize || Date.parse(view.start) !== Date.parse(request.start))) {
      throw reused();
    }
    return reply
      .status(200)
      .header('location', `/reservations/${reservationId}`)
      .header(CONSISTENCY_HEADER, nextToken(reservationId, reply.request.headers[CONSISTENCY_HEADER]))
      .send({ reservationId, status: view.status, tableId: view.tableId, start: view.start, end: view.end });
  }

  /** Refusals of a start time that come with the nearest starts the diner could take instead. */
  const START_RULES: ReadonlySet<string> = new Set(['CLOSED_THAT_DAY', 'BETWEEN_SERVICES', 'TURN_PAST_CLOSING', 'OFF_SLOT_GRID', 'IN_THE_PAST', 'TOO_EARLY', 'TOO_LATE']);

  /**
   * A start refused by a rule, with `alternatives`: the nearest starts the restaurant offers around it
   * (its local day and the days either side) that have a table free for the party, like a 409 NO_TABLE.
   */
  async function withAlternatives(err: unknown, restaurant: RestaurantReplica, start: Date, partySize: number): Promise<unknown> {
    if (!isDomainError(err) || !START_RULES.has(err.code)) return err;
    const own = localDateOf(start, restaurant.timezone);
    const dates = [addDays(own, -1), own, addDays(own, 1)];
    const [ledgers, candidates] = [
      await Promise.all(dates.map((d) => deps.queries.ledger(restaurant.restaurantId, d))),
      dates.flatMap((date) => bookableStarts({ restaurant, date, now: now(), partySize })),
    ];
    const alternatives = nearestFreeStarts(ledgers, candidates, { start, partySize, turnMinutes: restaurant.policy.turnMinutes, tables: restaurant.tables }).map((s) =>
      formatInZone(s, restaurant.timezone),
    );
    return new DomainError(err.code, err.message, { ...(err.details ?? {}), alternatives });
  }

  /** A local calendar date in the restaurant's timezone, or 400. */
  const availability = availabilityReader({
    ledger: (restaurantId, date) => deps.queries.ledger(restaurantId, date),
    ...(deps.availabilityLedgerCacheMs !== undefined ? { ledgerCacheMs: deps.availabilityLedgerCacheMs } : {}),
  });

  /**
   * A list route's query as the read model's filter (the schema has checked each bound's format). A bound
   * is a local date or an instant; `date` is the same as from=date&to=date, and everything given applies.
   */
  function listFilter(q: { status?: string; from?: string; to?: string; date?: string }): ListFilter {
    const isDate = (v: string | undefined): v is string => v !== undefined && v.length === 10;
    const instant = (v: string | undefined) => (v !== undefined && !isDate(v) ? new Date(v) : undefined);
    const fromDate = [q.from, q.date].filter(isDate).sort().at(-1);
    const toDate = [q.to, q.date].filter(isDate).sort().at(0);
    const from = instant(q.from);
    const to = instant(q.to);
    return {
      ...(q.status ? { status: q.status } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(fromDate !== undefined ? { fromDate } : {}),
      ...(toDate !== undefined ? { toDate } : {}),
    };
  }

  /**
   * A list with the caller's own latest writes (those its Consistency-Token names) as they are recorded:
   * each read from its stream and put in, moved or taken out of the list by the list's own filter, so a
   * write is seen at once though the read model may still be behind. Reservations that are not the
   * list's (`belongs`) are left alone.
   */
  async function withOwnWrites(items: ReservationView[], token: string | string[] | undefined, filter: ListFilter, belongs: (r: ReservationView) => boolean) {
    const ids = readToken(token);
    if (ids.length === 0) return items;
    const own = (await Promise.all(ids.map((id) => findReservation(id)))).filter((r): r is ReservationView => r !== null && belongs(r));
    if (own.length === 0) return items;
    const byId = new Map(items.map((r) => [r.reservationId, r]));
    for (const r of own) {
      if (matchesList(r, filter)) byId.set(r.reservationId, r);
      else byId.delete(r.reservationId);
    }
    return [...byId.values()].sort(listOrder).slice(0, LIST_LIMIT);
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
              date: { type: 'string', format: 'date', description: 'local date in the restaurant timezone (YYYY-MM-DD)' },
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
                reason: {
                  type: 'object',
                  description:
                    'Only when there is no slot: why (RESTAURANT_CLOSED, PARTY_TOO_LARGE, CLOSED_THAT_DAY, IN_THE_PAST, TOO_EARLY, TOO_LATE, FULLY_BOOKED)',
                  properties: { code: { type: 'string' }, detail: { type: 'string' } },
                  required: ['code', 'detail'],
                },
              },
              required: ['timezone', 'slots'],
            },
            ...errors(400, 404, 422),
          },
        },
      },
      async (request) => {
        const { date, partySize } = request.query;
        const [restaurant, ledger] = await Promise.all([restaurantOr404(request.params.id), availability.ledger(request.params.id, date)]);
        if (!isLocalDate(date, restaurant.timezone)) throw new HttpProblem(400, `date ${date} is not a calendar date.`);
        const at = now();
        // availableStarts(ledger, bookableStarts(…)), computed once per ledger read and restaurant version
        const slots = availability.slots(restaurant, ledger, date, partySize, at);
        if (slots.length > 0) return { timezone: restaurant.timezone, slots };
        // no slot: say why (a rule, or every table taken)
        const why =
          noStartsReason({ restaurant, date, now: at, partySize }) ??
          new DomainError('FULLY_BOOKED', `Every table for ${partySize} is taken on ${date}; try another day or time.`, { date });
        return { timezone: restaurant.timezone, slots, reason: { code: why.code, detail: why.message } };
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
        try {
          checkBookable({ restaurant, start: parsed.instant, partySize: body.partySize, now: now() });
        } catch (err) {
          throw await withAlternatives(err, restaurant, parsed.instant, body.partySize);
        }

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
          // the diner's own name unless they booked under another: the owner's list always names someone
          ...(body.name || caller.name ? { name: body.name || caller.name } : {}),
          ...(body.phone ? { phone: body.phone } : {}),
          ...(body.notes ? { notes: body.notes } : {}),
          requestHash,
          ...(key ? {} : { newId: true }),
          restaurantVersion: restaurant.version,
          // a run that starts only after this API has answered withdraws itself (see the 503 below)
          answerBy: new Date(Date.now() + budget(reply.elapsedTime)).toISOString(),
        };
        const startOp = new WithStartWorkflowOperation(reservationWorkflow, {
          workflowId: reservationWorkflowId(reservationId),
          taskQueue: deps.taskQueue,
          args: [input],
          // a retry while the run is open joins it; after it closed, a completed run answers from what it
          // stored (below) and only a failed one (withdrawn, dependencies down) may be run again
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          typedSearchAttributes: [
            { key: SA.restaurantId, value: body.restaurantId },
            { key: SA.customerId, value: caller.userId },
            { key: SA.start, value: parsed.instant },
            { key: SA.partySize, value: body.partySize },
            // 'pending' only once a table is held: the Web UI's pending list never shows requests in flight
            { key: SA.status, value: 'placing' },
          ],
          memo: { restaurantName: restaurant.name },
        });
        // the SDK resolves this once the server has answered the start: then the run exists for sure
        let seenStart = false;
        startOp.workflowHandle().then(
          () => (seenStart = true),
          () => undefined,
        );
        const outcome = await withinDeadline(deps.temporal, Math.max(0, Date.parse(input.answerBy!) - Date.now()), () =>
          deps.temporal.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash }], startWorkflowOperation: startOp }),
        );
        if ('value' in outcome) {
          const placed = outcome.value;
          return reply
            .status(placed.created ? 201 : 200)
            .header('location', `/reservations/${reservationId}`)
            .header(CONSISTENCY_HEADER, nextToken(reservationId, request.headers[CONSISTENCY_HEADER]))
            .send({ reservationId, status: placed.status, tableId: placed.tableId, start: placed.start, end: placed.end });
        }
        const stored = { requestHash, customerId: caller.userId, partySize: body.partySize, start: input.start };
        const { error } = outcome;
        if (error instanceof WorkflowExecutionAlreadyStartedError) return storedOutcome(reply, reservationId, stored);
        const failure = applicationFailureIn(error);
        if (failure?.type) {
          // a key naming a reservation that has ended (its run is gone): the stored reservation answers
          if (failure.type === FAILURE.alreadyFinal && key) return storedOutcome(reply, reservationId, stored);
          if (TRANSIENT.has(failure.type)) return unavailable(reply, request, failure.message, { code: failure.type });
          throw workflowProblem(error);
        }
        // No answer in time (no worker polling, Temporal slow or down) or a transport failure: whether the
        // run exists decides what is true. Started → it goes on: 202 and where to look. Not started → it
        // never will (a start landing after `answerBy` withdraws itself): 503, nothing was booked.
        // (Not covered: the start landed before `answerBy`, its answer was lost, and the describe fails too.)
        const started =
          seenStart || 'value' in (await withinDeadline(deps.temporal, LOOKUP_MS, () => deps.temporal.workflow.getHandle(reservationWorkflowId(reservationId)).describe()));
        if (started) {
          return reply
            .status(202)
            .header('location', `/reservations/${reservationId}`)
            .header('retry-after', String(RETRY_AFTER_S))
            .header(CONSISTENCY_HEADER, nextToken(reservationId, request.headers[CONSISTENCY_HEADER]))
            .send({ reservationId, status: 'placing' });
        }
        request.log.warn({ err: error, reservationId }, 'reservation request not started within its deadline');
        return unavailable(reply, request, 'The reservation service is busy or unavailable; nothing was booked. Please try again shortly.', {
          code: 'UNAVAILABLE',
        });
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
          response: { 200: reservationSchema, ...errors(401, 403, 404, 503) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const { id } = request.params;
        const recorded = await findReservation(id);
        if (recorded) {
          await actorOf(caller, recorded);
          return recorded;
        }
        // nothing recorded yet: a request in flight (after a 202) or one that was not placed
        const pending = await fromWorkflow(id);
        if (!pending) throw notFound(`Reservation ${id} does not exist.`);
        await actorOf(caller, pending);
        return pending;
      },
    );

    const listResponse = {
      type: 'object',
      properties: { items: { type: 'array', items: reservationSchema, maxItems: LIST_LIMIT } },
      required: ['items'],
    } as const;

    app.get<{ Querystring: { status?: string; from?: string; to?: string }; Headers: { 'consistency-token'?: string } }>(
      '/reservations',
      {
        schema: {
          summary: "The caller's reservations, earliest start first (at most 500)",
          tags: ['reservations'],
          security: bearerSecurity,
          headers: consistencyHeaders,
          querystring: {
            type: 'object',
            properties: { status: { type: 'string', enum: STATUSES }, from: boundParam('from'), to: boundParam('to') },
            additionalProperties: false,
          },
          response: { 200: listResponse, ...errors(400, 401, 422) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const filter = listFilter(request.query);
        const items = await deps.queries.byCustomer(caller.userId, filter);
        return { items: await withOwnWrites(items, request.headers[CONSISTENCY_HEADER], filter, (r) => r.customerId === caller.userId) };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { date?: string; from?: string; to?: string; status?: string }; Headers: { 'consistency-token'?: string } }>(
      '/restaurants/:id/reservations',
      {
        schema: {
          summary: "A restaurant's reservations, earliest start first (owner only; at most 500)",
          tags: ['reservations'],
          security: bearerSecurity,
          params: idParams,
          headers: consistencyHeaders,
          querystring: {
            type: 'object',
            properties: {
              date: { type: 'string', format: 'date', description: 'One local date in the restaurant timezone (YYYY-MM-DD): the same as from=date&to=date (with from/to too, all apply)' },
              from: boundParam('from'),
              to: boundParam('to'),
              status: { type: 'string', enum: STATUSES },
            },
            additionalProperties: false,
          },
          response: { 200: listResponse, ...errors(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const caller = requireCaller(request);
        const restaurant = await restaurantOr404(request.params.id);
        if (restaurant.ownerId !== caller.userId) throw forbidden("Only the restaurant's owner may list its reservations.");
        const filter = listFilter(request.query);
        const items = await deps.queries.byRestaurant(restaurant.restaurantId, filter);
        return { items: await withOwnWrites(items, request.headers[CONSISTENCY_HEADER], filter, (r) => r.restaurantId === restaurant.restaurantId) };
      },
    );

    const decision = (name: 'accept' | 'reject' | 'cancel') => {
      const update = name === 'accept' ? acceptUpdate : name === 'reject' ? rejectUpdate : cancelUpdate;
      app.post<{ Params: { id: string }; Body: { reason?: string } | undefined; Headers: { 'idempotency-key'?: string } }>(
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
            headers: {
              type: 'object',
              properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
            },
            body: {
              type: 'object',
              properties: { reason: { type: 'string', minLength: name === 'reject' ? 1 : 0, maxLength: 500 } },
              ...(name === 'reject' ? { required: ['reason'] } : {}),
              additionalProperties: false,
            },
            response: { 200: statusResultSchema, 202: statusResultSchema, ...errors(400, 401, 403, 404, 409, 422, 503) },
          },
          // nothing in the body is required (accept, cancel): a POST without one is the same as `{}`
          preValidation: async (request) => {
            request.body ??= {};
          },
        },
        async (request, reply) => {
          const caller = requireCaller(request);
          const { id } = request.params;
          const { actor, reservation } = await roleOf(caller, id);
          if (name !== 'cancel' && actor.role !== 'owner') throw forbidden(`Only the restaurant owner may ${name} a reservation.`);
          const handle = deps.temporal.workflow.getHandle(reservationWorkflowId(id));
          const reason = request.body?.reason;
          const key = request.headers['idempotency-key'];
          // with a key, a retried decision joins the first one (same update id) instead of being decided
          // twice; without one, a repeated decision is a new request (409 when it no longer applies)
          const updateId = key ? deterministicEventId(`decision:${caller.userId}:${id}:${name}:${key}`) : randomUUID();
          const outcome = await withinDeadline(deps.temporal, budget(reply.elapsedTime), () =>
            handle.executeUpdate(update, { args: [{ actor, ...(reason ? { reason } : {}) }], updateId }),
          );
          const token = nextToken(id, request.headers[CONSISTENCY_HEADER]);
          if ('value' in outcome) return reply.header(CONSISTENCY_HEADER, token).send(outcome.value);
          const { error } = outcome;
          // the run has ended: the reservation is final (its status is the recorded one)
          if (error instanceof WorkflowNotFoundError) {
            throw conflict(`The reservation is already ${reservation.status}.`, { code: FAILURE.alreadyFinal, reservationStatus: reservation.status });
          }
          if (applicationFailureIn(error)) throw workflowProblem(error);
          // No answer in time. Only the server can say whether the decision reached it: if it knows the
          // update, the decision will be applied when the workflow's worker gets to it ("failed" would be
          // untrue): 202, look at the reservation. If it does not know it (or cannot be asked), nothing was
          // done: 503, and a retry with the same Idempotency-Key is safe.
          request.log.warn({ err: error, reservationId: id }, `${name} not decided within its deadline`);
          const known = await withinDeadline(deps.temporal, LOOKUP_MS, () =>
            deps.temporal.workflowService.pollWorkflowExecutionUpdate({
              namespace,
              updateRef: { workflowExecution: { workflowId: reservationWorkflowId(id) }, updateId },
              waitPolicy: { lifecycleStage: UPDATE_STAGE_ADMITTED },
            }),
          );
          if (!('value' in known)) {
            return unavailable(reply, request, `The ${name} request could not be delivered; nothing was changed. Retry (with the same Idempotency-Key, to be safe).`, {
              code: 'UNAVAILABLE',
            });
          }
          return reply
            .status(202)
            .header('location', `/reservations/${id}`)
            .header('retry-after', String(RETRY_AFTER_S))
            .header(CONSISTENCY_HEADER, token)
            .send({ reservationId: id, status: reservation.status, detail: `The ${name} request is being processed; GET the reservation for its outcome.` });
        },
      );
    };
    decision('accept');
    decision('reject');
    decision('cancel');
  };
}
