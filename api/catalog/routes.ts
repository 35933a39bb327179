/**
 * Catalog HTTP routes. Writes go through the Restaurant decider (ownership is checked against the
 * stream's own state, never the request body); reads come from the read model.
 *
 * Status codes: 201 create (Location + ETag), 200 other writes with the new ETag (204 for close), 400 for
 * a body/query that does not match the schema, 401 without a caller, 403 not the owner, 404 unknown or
 * closed restaurant / section / dish, 409 duplicate section or dish, or a change to a closed restaurant
 * (RESTAURANT_CLOSED: the resource still exists but its state refuses the change), 412 stale If-Match,
 * 422 a rule broken (the message names the field).
 *
 * Warnings (domain/catalog/warnings.ts): every write that answers with the restaurant (POST, PATCH, PUT
 * hours/tables/policy) carries `warnings`, settings that are each valid but leave bookings impossible (a
 * maxPartySize no table seats, no opening hours, a turn longer than every service). Advisory: the change is
 * saved. GET adds them for the owner only (and varies on Authorization).
 *
 * Read-your-writes: GET /restaurants/:id (and the menu) compare the read model's document with the
 * stream's head and fold the stream when the document is missing or behind, so a client that writes and
 * then reads sees its write (a new restaurant, a change, a deletion) through any API process. Search stays
 * eventual (a second or so).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { handleCommand } from '../../eventstore/command-handler';
import { ConcurrencyError, type EventStore } from '../../eventstore/types';
import { isDomainError } from '../../domain/errors';
import { restaurantStreamId, type CatalogEvent, type ReservationPolicy, type RestaurantDetails, type Table } from '../../domain/catalog/events';
import type { OpeningHoursInput } from '../../domain/catalog/opening-hours';
import { restaurantDecider, restaurantFromEvents, type Restaurant, type RestaurantCommand } from '../../domain/catalog/restaurant';
import type { DishInput, MenuSectionInput } from '../../domain/catalog/menu';
import { policyWarnings } from '../../domain/catalog/warnings';
import { OFFSET_ISO } from '../../domain/time/zoned-time';
import { InvalidCursorError, SearchTooBroadError, toView, type CatalogReadModel, type RestaurantView, type SearchQuery } from '../../projections/catalog';
import { requireCaller } from '../context';
import { badRequest, conflict, notFound, preconditionFailed, unprocessable } from '../problem';
import type { RoutePlugin } from '../server';
import * as S from './schemas';

export interface CatalogRoutesDeps {
  store: EventStore;
  /** What the routes read (the consumer in projections/index.ts keeps it). */
  readModel: Pick<CatalogReadModel, 'get' | 'search'>;
  /** Clock for `openAt=now`. */
  now?: () => Date;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command without its actor: the route adds the caller. */
type CommandBody = DistributiveOmit<RestaurantCommand, 'actor'>;

interface CreateBody extends RestaurantDetails {
  openingHours: OpeningHoursInput;
  tables: Table[];
  policy?: Partial<ReservationPolicy>;
  menu?: MenuSectionInput[];
}
type IdParams = { id: string };
type SectionParams = IdParams & { section: string };
type DishParams = SectionParams & { dish: string };
interface SearchQs {
  q?: string;
  cuisine?: string;
  near?: string;
  radiusKm?: number;
  openAt?: string;
  limit?: number;
  cursor?: string;
}

const etag = (version: number): string => `"${version}"`;

/** `"3"`, `W/"3"` or `3` → 3; `*` or absent → undefined. */
function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*' || value === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (!m) throw badRequest(`If-Match must be one ETag this API returned, such as "3"; got ${value}.`);
  return Number(m[1]);
}

function menuView(r: Restaurant | RestaurantView, version: number) {
  return { restaurantId: r.restaurantId, sections: r.menu, version };
}

export function catalogRoutes(deps: CatalogRoutesDeps): RoutePlugin {
  const store = deps.store as unknown as EventStore<CatalogEvent>;
  const { readModel } = deps;
  const now = deps.now ?? (() => new Date());

  /** Runs a command as the caller, honouring If-Match; maps the outcomes the server's table does not. */
  async function run(request: FastifyRequest, restaurantId: string, command: CommandBody): Promise<{ state: Restaurant; version: number }> {
    const caller = requireCaller(request);
    const expectedVersion = parseIfMatch(request.headers['if-match']);
    try {
      const result = await handleCommand(store, restaurantDecider, restaurantStreamId(restaurantId), { ...command, actor: caller.userId } as RestaurantCommand, {
        metadata: { actor: caller.userId, correlationId: request.id },
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      });
      return { state: result.state!, version: result.version };
    } catch (err) {
      if (err instanceof ConcurrencyError && expectedVersion !== undefined) {
        if (err.actual === 0) throw notFound(`No restaurant ${restaurantId}.`);
        throw preconditionFailed(
          `The restaurant changed since you read it: you sent If-Match "${expectedVersion}", it is now at "${err.actual}". GET it again, re-apply your change, and retry.`,
          { currentVersion: err.actual },
        );
      }
      if (isDomainError(err, 'RESTAURANT_CLOSED')) throw conflict(err.message, { code: err.code });
      throw err;
    }
  }

  /**
   * The read model's document when it is current, else the restaurant folded from its stream: the stream's
   * head (one small read after the document) says whether the read model has caught up, so a client
   * reading right after its own write (create, change, delete) sees it through any API process. One after
   * the other, so an outage of the read model is reported as such (503) whatever the store does.
   */
  async function load(restaurantId: string): Promise<RestaurantView> {
    const projected = await readModel.get(restaurantId);
    const head = await store.streamVersion(restaurantStreamId(restaurantId));
    const view = projected && projected.version >= head ? projected : await fromStream(restaurantId);
    if (!view || view.closed) throw notFound(`No restaurant ${restaurantId}.`);
    return view;
  }

  async function fromStream(restaurantId: string): Promise<RestaurantView | null> {
    const folded = restaurantFromEvents(await store.readStream(restaurantStreamId(restaurantId)));
    return folded ? toView(folded.restaurant, folded.version) : null;
  }

  function parseSearch(qs: SearchQs): SearchQuery {
    const query: SearchQuery = {};
    if (qs.q !== undefined) query.q = qs.q;
    if (qs.cuisine !== undefined) query.cuisine = qs.cuisine;
    if (qs.limit !== undefined) query.limit = qs.limit;
    if (qs.cursor !== undefined) query.cursor = qs.cursor;
    if (qs.near !== undefined) {
      const [lat, lon] = qs.near.split(',').map((s) => Number(s.trim()));
      if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
        throw unprocessable(`near must be LAT,LON with lat from -90 to 90 and lon from -180 to 180; got ${qs.near}.`);
      }
      query.near = { lat, lon };
    }
    if (qs.radiusKm !== undefined) {
      // a rule across two parameters, which OpenAPI 3.0 cannot express: 422, like the domain's rules
      if (!query.near) throw unprocessable('radiusKm needs near=LAT,LON: a radius around what?');
      query.radiusKm = qs.radiusKm;
    }
    if (qs.openAt !== undefined) {
      if (qs.openAt === 'now') query.openAt = now();
      else {
        const ok = OFFSET_ISO.test(qs.openAt);
        const at = new Date(qs.openAt);
        if (!ok || Number.isNaN(at.getTime())) {
          throw unprocessable(`openAt must be an ISO 8601 instant with an offset, e.g. 2026-03-29T19:30:00+02:00 or 2026-03-29T17:30:00Z, or "now"; got ${qs.openAt}.`);
        }
        query.openAt = at;
      }
    }
    return query;
  }

  /** A restaurant as a write leaves it, with its advisory warnings (the change is saved either way). */
  const written = (state: Restaurant, version: number) => ({ ...toView(state, version), warnings: policyWarnings(state) });

  const respond = (reply: FastifyReply, status: number, version: number) => reply.status(status).header('etag', etag(version));

  return async (app) => {
    app.post<{ Body: CreateBody }>('/restaurants', { schema: S.createSchema, bodyLimit: S.BODY_LIMITS.create }, async (request, reply) => {
      const restaurantId = randomUUID();
      const { state, version } = await run(request, restaurantId, { type: 'CreateRestaurant', restaurantId, ...request.body });
      return respond(reply, 201, version).header('location', `/restaurants/${restaurantId}`).send({ restaurantId, warnings: policyWarnings(state) });
    });

    app.get<{ Querystring: SearchQs }>('/restaurants', { schema: S.searchSchema }, async (request) => {
      try {
        return await readModel.search(parseSearch(request.query));
      } catch (err) {
        if (err instanceof InvalidCursorError) throw unprocessable(err.message, { code: 'INVALID_CURSOR' });
        if (err instanceof SearchTooBroadError) throw unprocessable(err.message, { code: 'SEARCH_TOO_BROAD' });
        throw err;
      }
    });

    app.get<{ Params: IdParams }>('/restaurants/:id', { schema: S.getSchema }, async (request, reply) => {
      const view = await load(request.params.id);
      const tag = etag(view.version);
      // the owner's body also has the warnings: it depends on who asks as well as on the version
      reply.header('vary', 'authorization');
      if (request.headers['if-none-match'] === tag) return reply.status(304).header('etag', tag).send();
      const { closed: _closed, ...body } = view;
      return reply.header('etag', tag).send(request.caller?.userId === view.ownerId ? { ...body, warnings: policyWarnings(view) } : body);
    });

    app.get<{ Params: IdParams }>('/restaurants/:id/menu', { schema: S.menuSchema }, async (request, reply) => {
      const view = await load(request.params.id);
      return reply.header('etag', etag(view.version)).send(menuView(view, view.version));
    });

    app.patch<{ Params: IdParams; Body: Partial<RestaurantDetails> }>('/restaurants/:id', { schema: S.patchSchema, bodyLimit: S.BODY_LIMITS.small }, async (request, reply) => {
      const { state, version } = await run(request, request.params.id, { type: 'ChangeRestaurantDetails', changes: request.body });
      return respond(reply, 200, version).send(written(state, version));
    });

    app.put<{ Params: IdParams; Body: OpeningHoursInput }>(
      '/restaurants/:id/opening-hours',
      { schema: S.putHoursSchema, bodyLimit: S.BODY_LIMITS.small },
      async (request, reply) => {
        const { state, version } = await run(request, request.params.id, { type: 'SetOpeningHours', openingHours: request.body });
        return respond(reply, 200, version).send(written(state, version));
      },
    );

    app.put<{ Params: IdParams; Body: Table[] }>('/restaurants/:id/tables', { schema: S.putTablesSchema, bodyLimit: S.BODY_LIMITS.tables }, async (request, reply) => {
      const { state, version } = await run(request, request.params.id, { type: 'SetTables', tables: request.body });
      return respond(reply, 200, version).send(written(state, version));
    });

    app.put<{ Params: IdParams; Body: Partial<ReservationPolicy> }>('/restaurants/:id/policy', { schema: S.putPolicySchema, bodyLimit: S.BODY_LIMITS.small }, async (request, reply) => {
      const { state, version } = await run(request, request.params.id, { type: 'SetReservationPolicy', policy: request.body });
      return respond(reply, 200, version).send(written(state, version));
    });

    app.post<{ Params: IdParams; Body: { name: string } }>('/restaurants/:id/menu/sections', { schema: S.addSectionSchema, bodyLimit: S.BODY_LIMITS.small }, async (request, reply) => {
      const { id } = request.params;
      const { state, version } = await run(request, id, { type: 'AddMenuSection', section: request.body.name });
      return respond(reply, 201, version)
        .header('location', `/restaurants/${encodeURIComponent(id)}/menu/sections/${encodeURIComponent(request.body.name.trim())}`)
        .send(menuView(state, version));
    });

    app.delete<{ Params: SectionParams }>('/restaurants/:id/menu/sections/:section', { schema: S.removeSectionSchema }, async (request, reply) => {
      const { state, version } = await run(request, request.params.id, { type: 'RemoveMenuSection', section: request.params.section });
      return respond(reply, 200, version).send(menuView(state, version));
    });

    app.post<{ Params: SectionParams; Body: DishInput }>('/restaurants/:id/menu/sections/:section/dishes', { schema: S.addDishSchema, bodyLimit: S.BODY_LIMITS.small }, async (request, reply) => {
      const { id, section } = request.params;
      const { state, version } = await run(request, id, { type: 'AddDish', section, dish: request.body });
      return respond(reply, 201, version)
        .header('location', `/restaurants/${encodeURIComponent(id)}/menu/sections/${encodeURIComponent(section)}/dishes/${encodeURIComponent(request.body.name.trim())}`)
        .send(menuView(state, version));
    });

    app.put<{ Params: DishParams; Body: Partial<DishInput> }>(
      '/restaurants/:id/menu/sections/:section/dishes/:dish',
      { schema: S.changeDishSchema, bodyLimit: S.BODY_LIMITS.small },
      async (request, reply) => {
        const { id, section, dish } = request.params;
        const { state, version } = await run(request, id, { type: 'ChangeDish', section, dishName: dish, changes: request.body });
        return respond(reply, 200, version).send(menuView(state, version));
      },
    );

    app.delete<{ Params: DishParams }>('/restaurants/:id/menu/sections/:section/dishes/:dish', { schema: S.removeDishSchema }, async (request, reply) => {
      const { id, section, dish } = request.params;
      const { state, version } = await run(request, id, { type: 'RemoveDish', section, dishName: dish });
      return respond(reply, 200, version).send(menuView(state, version));
    });

    app.delete<{ Params: IdParams }>('/restaurants/:id', { schema: S.closeSchema }, async (request, reply) => {
      const { version } = await run(request, request.params.id, { type: 'CloseRestaurant' });
      return respond(reply, 204, version).send();
    });
  };
}
