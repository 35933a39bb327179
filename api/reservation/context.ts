/**
 * What every reservation route shares: its dependencies, the clock, the answer deadline, and the reads
 * behind an answer (a reservation from its stream or its workflow, the caller's role, the lists with the
 * caller's own writes). Owner checks use the reservation service's own replica of the restaurant, never
 * the request body.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { EventStore, StoredEvent } from '../../eventstore/types';
import { forbidden, notFound } from '../problem';
import type { Caller } from '../context';
import { reservationStreamId, type ReservationEvent } from '../../domain/reservation/reservation';
import { isOwnerOf, type RestaurantReplica } from '../../domain/reservation/restaurant';
import { LIST_LIMIT, listOrder, matchesList, reservationViewOf, type ListFilter, type ReservationQueries, type ReservationView } from '../../projections/reservations';
import type { WaitlistQueries } from '../../projections/waitlist';
import type { reservationWorkflow } from '../../workflows/reservation';
import { SA, reservationWorkflowId, type Actor, type UnplacedStatus } from '../../workflows/messages';
import { readToken } from './consistency';
import { applicationFailureIn } from './failures';
import { LOOKUP_MS, withinDeadline } from './temporal-calls';

export interface ReservationRouteDeps {
  temporal: Client;
  taskQueue: string;
  restaurants: { get(restaurantId: string): Promise<RestaurantReplica | null> };
  queries: ReservationQueries;
  /** The waitlist read model, with the stream's tail folded in (projections/waitlist.ts). */
  waitlists: WaitlistQueries;
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
  /** Most open GET /reservations/live streams in this process (default 500; config api.liveStreamsMax). */
  liveStreamsMax?: number;
  now?: () => Date;
}

/** A reservation view before anything is recorded: what its workflow (visibility and result) tells. */
export type WorkflowView = Pick<ReservationView, 'reservationId' | 'restaurantId' | 'customerId' | 'partySize' | 'start' | 'history'> & {
  status: UnplacedStatus;
  problem?: { code: string; detail: string };
};

export interface RouteContext {
  deps: ReservationRouteDeps;
  now: () => Date;
  namespace: string;
  /**
   * What is left of the placement deadline for a request that has already spent `elapsedMs`, so the answer
   * (after at most one lookup) comes before the server's own handler timeout cuts the request off.
   */
  budget(elapsedMs: number): number;
  restaurantOr404(id: string): Promise<RestaurantReplica>;
  /** The restaurant when the caller owns it: 404 when unknown, else 403 with `detail` when it is not theirs. */
  ownedRestaurant(caller: Caller, id: string, detail: string): Promise<RestaurantReplica>;
  /**
   * One reservation, from its own stream: the authoritative record, read by key (a few short items), so a
   * client reading right after its own write (an accept, a cancel) sees it through any API process. Lists
   * come from the read model.
   */
  findReservation(id: string): Promise<ReservationView | null>;
  /**
   * A request nothing is recorded of yet, as its workflow tells it: 'placing' while it runs (e.g. after a
   * 202), 'not-placed' with the refusal once it has ended without a reservation. Null: no such workflow.
   */
  fromWorkflow(id: string): Promise<WorkflowView | null>;
  /** Who the caller is to a reservation: its restaurant's owner or its customer; 403 when neither. */
  actorOf(caller: Caller, r: Pick<ReservationView, 'restaurantId' | 'customerId'>): Promise<Actor>;
  /** The recorded reservation and who the caller is to it; 404 when it does not exist, 403 when neither. */
  roleOf(caller: Caller, id: string): Promise<{ reservation: ReservationView; actor: Actor }>;
  /**
   * A list with the caller's own latest writes (those its Consistency-Token names) as they are recorded:
   * each read from its stream and put in, moved or taken out of the list by the list's own filter, so a
   * write is seen at once though the read model may still be behind. Reservations that are not the
   * list's (`belongs`) are left alone.
   */
  withOwnWrites(items: ReservationView[], token: string | string[] | undefined, filter: ListFilter, belongs: (r: ReservationView) => boolean): Promise<ReservationView[]>;
}

export function routeContext(deps: ReservationRouteDeps): RouteContext {
  const deadlineMs = deps.placementDeadlineMs ?? 8000;
  const handlerTimeoutMs = deps.handlerTimeoutMs ?? Number.POSITIVE_INFINITY;

  async function findReservation(id: string): Promise<ReservationView | null> {
    return reservationViewOf(id, (await deps.store.readStream(reservationStreamId(id))) as StoredEvent<ReservationEvent>[]);
  }

  async function actorOf(caller: Caller, r: Pick<ReservationView, 'restaurantId' | 'customerId'>): Promise<Actor> {
    const restaurant = await deps.restaurants.get(r.restaurantId);
    if (isOwnerOf(restaurant, caller.userId)) return { userId: caller.userId, role: 'owner' };
    if (r.customerId === caller.userId) return { userId: caller.userId, role: 'customer' };
    throw forbidden('Only the customer who made this reservation or the restaurant owner may see or change it.');
  }

  async function restaurantOr404(id: string): Promise<RestaurantReplica> {
    const r = await deps.restaurants.get(id);
    if (!r) throw notFound(`Restaurant ${id} does not exist (or is not known to reservations yet).`);
    return r;
  }

  return {
    deps,
    now: deps.now ?? (() => new Date()),
    namespace: deps.namespace ?? 'default',
    budget: (elapsedMs) => Math.max(500, Math.min(deadlineMs, handlerTimeoutMs - elapsedMs - LOOKUP_MS - 500)),

    restaurantOr404,

    async ownedRestaurant(caller, id, detail) {
      const restaurant = await restaurantOr404(id);
      if (!isOwnerOf(restaurant, caller.userId)) throw forbidden(detail);
      return restaurant;
    },

    findReservation,

    async fromWorkflow(id) {
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
    },

    actorOf,

    async roleOf(caller, id) {
      const reservation = await findReservation(id);
      if (!reservation) throw notFound(`Reservation ${id} does not exist.`);
      return { reservation, actor: await actorOf(caller, reservation) };
    },

    async withOwnWrites(items, token, filter, belongs) {
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
    },
  };
}
