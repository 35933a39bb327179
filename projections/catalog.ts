/**
 * The restaurant read model (Mongo collection `restaurants`, `_id = restaurantId`), kept from the catalog's
 * own events, and the public search over it.
 *
 * A projection (projections/projection.ts): each document is folded from its restaurant stream with the
 * domain's own `evolve`, so the read model cannot drift from the decider, and carries `version`, the stream
 * version it reflects (also the HTTP ETag), beside the checkpoint `_v` every projection keeps.
 *
 * Search: FerretDB has no geo or text indexes, so Mongo does the cheap prefilter (not closed, cuisine
 * equality, a lat/lon bounding box, `$regex` on a lower-cased, accent-free search field) and the app does
 * the exact work (haversine distance and radius, opening hours at an instant in the restaurant's zone,
 * ordering). Cursors are keyset positions (the last item's sort key), so pages stay stable while
 * restaurants are added.
 */
import type { Collection, Db, Filter } from 'mongodb';
import { GapError } from '../eventstore/checkpoint';
import { isCatalogEvent, restaurantIdOfStream, type Location } from '../domain/catalog/events';
import { evolve, type Restaurant } from '../domain/catalog/restaurant';
import { isOpenAt } from '../domain/catalog/opening-hours';
import { documentPerStream, type Projection } from './projection';

export const RESTAURANTS_COLLECTION = 'restaurants';

/** What GET /restaurants/:id shows. */
export interface RestaurantView extends Restaurant {
  /** Stream version this view reflects; the ETag. */
  version: number;
}

export interface RestaurantDoc extends RestaurantView {
  _id: string;
  /** Lower-case, accent-free name + cuisine + description + address + menu names, for `q`. */
  searchText: string;
  /** Lower-case, accent-free cuisine, for the `cuisine` filter. */
  cuisineKey: string;
  /** Lower-case, accent-free name, the search order. */
  nameKey: string;
}

/** A search hit: the public card, without the menu, tables and policy. */
export interface RestaurantSummary extends Omit<RestaurantView, 'ownerId' | 'tables' | 'policy' | 'menu' | 'closed'> {
  /** Present when searching `near` a point, rounded to 10 m. */
  distanceKm?: number;
}

export interface SearchQuery {
  q?: string;
  cuisine?: string;
  near?: Location;
  /** Only with `near`; default DEFAULT_RADIUS_KM. */
  radiusKm?: number;
  openAt?: Date;
  /** 1..MAX_LIMIT, default DEFAULT_LIMIT. */
  limit?: number;
  cursor?: string;
}

export interface SearchResult {
  items: RestaurantSummary[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
export const DEFAULT_RADIUS_KM = 50;
/** "Near me" is a city and its surroundings, not a continent: larger radii would load whole regions. */
export const MAX_RADIUS_KM = 100;
export const MIN_RADIUS_KM = 0.1;
/**
 * Most documents one request reads from Mongo. A near search widens its box step by step and stops at
 * this; a name search with openAt stops scanning here and answers a short page with a cursor to go on.
 */
export const MAX_SCANNED = 1000;
/** The first box of a near search; it doubles until the page is full or the radius is reached. */
const FIRST_RING_KM = 2;
const EARTH_RADIUS_KM = 6371.0088;

export { GapError };

/** A cursor that is not one of ours, or belongs to another kind of search. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/** More than MAX_SCANNED candidates in the smallest box a near search needs: the filters must narrow it. */
export class SearchTooBroadError extends Error {
  override readonly name = 'SearchTooBroadError';
}

export interface CatalogReadModel {
  /** The document, closed ones included (`closed: true`); null when not (yet) projected. */
  get(restaurantId: string): Promise<RestaurantView | null>;
  search(query: SearchQuery): Promise<SearchResult>;
}

// ---------------------------------------------------------------------------------------------------------

/** Lower case without accents, so "Caffè" matches "caffe". */
export function foldText(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

type RestaurantBody = Omit<RestaurantDoc, '_id'>;

function toDoc(r: Restaurant, version: number): RestaurantBody {
  const menuNames = r.menu.flatMap((s) => [s.name, ...s.dishes.map((d) => d.name)]);
  return {
    ...r,
    version,
    searchText: foldText([r.name, r.cuisine, r.description, r.address, ...menuNames].join('\n')),
    cuisineKey: foldText(r.cuisine.trim()),
    nameKey: foldText(r.name),
  };
}

/** The restaurant a document holds: the document less its key, its checkpoint and what only search uses. */
function fromDoc(d: RestaurantBody | RestaurantDoc): Restaurant {
  const { _id, _v, version: _version, searchText: _s, cuisineKey: _c, nameKey: _n, ...r } = d as RestaurantDoc & { _v?: unknown };
  return r;
}

export function toView(r: Restaurant, version: number): RestaurantView {
  return { ...r, version };
}

/** The fields of a document a search reads (`summaryFields` leaves the rest out of the query). */
type SummaryDoc = Omit<RestaurantDoc, 'menu' | 'tables' | 'policy' | 'searchText'>;

/** A search hit: the document less what only search and the owner use. */
function toSummary(d: SummaryDoc, distanceKm?: number): RestaurantSummary {
  const { _id, _v, ownerId: _o, closed: _c, cuisineKey: _k, nameKey: _n, ...card } = d as SummaryDoc & { _v?: unknown };
  return { ...card, ...(distanceKm === undefined ? {} : { distanceKm: Math.round(distanceKm * 100) / 100 }) };
}

export function haversineKm(a: Location, b: Location): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * A lat/lon box that contains the whole circle (a little larger, never smaller): the lat span is the
 * angular radius; the lon span is asin(sin r / cos φ), unbounded when the circle reaches a pole.
 */
export function boundingBox(center: Location, radiusKm: number): Filter<RestaurantDoc> {
  const deg = 180 / Math.PI;
  const r = (radiusKm / EARTH_RADIUS_KM) * 1.001;
  const latMin = center.lat - r * deg;
  const latMax = center.lat + r * deg;
  const filter: Filter<RestaurantDoc> = { 'location.lat': { $gte: Math.max(-90, latMin), $lte: Math.min(90, latMax) } };
  if (latMin <= -90 || latMax >= 90) return filter;
  const ratio = Math.sin(r) / Math.cos(center.lat / deg);
  if (ratio >= 1) return filter;
  const dLon = Math.asin(ratio) * deg * 1.001;
  if (dLon >= 180) return filter;
  const lonMin = center.lon - dLon;
  const lonMax = center.lon + dLon;
  // across the antimeridian the box is two ranges
  if (lonMin < -180) return { ...filter, $or: [{ 'location.lon': { $gte: lonMin + 360 } }, { 'location.lon': { $lte: lonMax } }] };
  if (lonMax > 180) return { ...filter, $or: [{ 'location.lon': { $gte: lonMin } }, { 'location.lon': { $lte: lonMax - 360 } }] };
  return { ...filter, 'location.lon': { $gte: lonMin, $lte: lonMax } };
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Position = { s: 'name'; n: string; i: string } | { s: 'near'; d: number; n: string; i: string };

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

function decodeCursor(cursor: string, kind: Position['s']): Position {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not one this API issued; start again without it');
  }
  const o = p as Partial<{ s: string; d: unknown; n: unknown; i: unknown }>;
  const ok = typeof o === 'object' && o !== null && o.s === kind && typeof o.n === 'string' && typeof o.i === 'string' && (kind === 'name' || typeof o.d === 'number');
  if (!ok) throw new InvalidCursorError('cursor belongs to a different search (near/not near) or is not one this API issued; start again without it');
  return o as Position;
}

/** Same order as the keyset: (distance,) name, id. */
function compareKey(a: { d?: number; n: string; i: string }, b: { d?: number; n: string; i: string }): number {
  if (a.d !== undefined && b.d !== undefined && a.d !== b.d) return a.d - b.d;
  if (a.n !== b.n) return a.n < b.n ? -1 : 1;
  return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The `restaurants` collection from the catalog's restaurant streams. Indexes: the search's prefilter
 * (open ones by cuisine), its name order (keyset pages) and the near search's latitude band.
 */
export const catalogProjection: Projection = {
  name: 'catalog-restaurants',
  collections: [RESTAURANTS_COLLECTION],
  foldOf: documentPerStream(RESTAURANTS_COLLECTION, restaurantIdOfStream, () => (doc, event) => {
    if (!isCatalogEvent(event)) return doc ?? {};
    const next = evolve(doc ? fromDoc(doc as RestaurantBody) : null, event);
    if (!next) throw new Error(`${event.streamId} starts with ${event.type}, not RestaurantCreated`);
    return toDoc(next, event.version);
  }),
  indexes: {
    [RESTAURANTS_COLLECTION]: [
      { key: { closed: 1, cuisineKey: 1 }, name: 'closed_1_cuisineKey_1' },
      { key: { nameKey: 1, _id: 1 }, name: 'nameKey_1__id_1' },
      { key: { 'location.lat': 1 }, name: 'location.lat_1' },
    ],
  },
};

/** The read model's queries (its live handler and rebuild are the `catalog-restaurants` consumer: projections/index.ts). */
export function catalogReadModel(db: Db): CatalogReadModel {
  const coll: Collection<RestaurantDoc> = db.collection<RestaurantDoc>(RESTAURANTS_COLLECTION);
  const summaryFields = { menu: 0, tables: 0, policy: 0, searchText: 0 } as const;

  async function get(restaurantId: string): Promise<RestaurantView | null> {
    const doc = await coll.findOne({ _id: restaurantId });
    return doc ? toView(fromDoc(doc), doc.version) : null;
  }

  async function search(query: SearchQuery): Promise<SearchResult> {
    const limit = Math.min(MAX_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIMIT));
    const and: Filter<RestaurantDoc>[] = [{ closed: false }];
    if (query.cuisine !== undefined && query.cuisine.trim() !== '') and.push({ cuisineKey: foldText(query.cuisine.trim()) });
    // every word must appear somewhere
    for (const word of foldText(query.q ?? '').split(/\s+/).filter(Boolean)) and.push({ searchText: { $regex: escapeRegex(word) } });
    const openAt = query.openAt;
    const open = (d: Pick<RestaurantDoc, 'openingHours' | 'timezone'>) => openAt === undefined || isOpenAt(d.openingHours, d.timezone, openAt);

    if (query.near) {
      const near = query.near;
      const radiusKm = Math.min(query.radiusKm ?? DEFAULT_RADIUS_KM, MAX_RADIUS_KM);
      const after = query.cursor ? decodeCursor(query.cursor, 'near') : undefined;
      // Rings: the box of radius r holds every restaurant within r, so once more than a page lies within
      // r, the nearest page is among them; otherwise double r (up to the radius asked for). A dense city
      // answers from a small box instead of loading everything within 100 km.
      // An empty box jumps straight to the whole radius (one query instead of up to six more, each a full
      // scan on FerretDB when the box spans the date line or a pole); if that box holds too many, doubling
      // goes on from where it jumped.
      let ringKm = Math.min(radiusKm, Math.max(FIRST_RING_KM, (after?.s === 'near' ? after.d : 0) * 2));
      let jumpedFrom: number | undefined;
      let mayJump = true;
      for (;;) {
        const candidates = await coll
          .find({ $and: [...and, boundingBox(near, ringKm)] }, { projection: summaryFields })
          .limit(MAX_SCANNED + 1)
          .toArray();
        if (candidates.length > MAX_SCANNED) {
          if (jumpedFrom !== undefined) {
            ringKm = Math.min(radiusKm, jumpedFrom * 2);
            jumpedFrom = undefined;
            continue;
          }
          throw new SearchTooBroadError(
            `More than ${MAX_SCANNED} restaurants lie within ${ringKm} km of that point; add q or cuisine, or a smaller radiusKm.`,
          );
        }
        const hits = candidates
          .map((d) => ({ d, key: { d: haversineKm(near, d.location), n: d.nameKey, i: d._id } }))
          .filter(({ d, key }) => key.d <= ringKm && key.d <= radiusKm && open(d) && (!after || compareKey(key, after) > 0))
          .sort((a, b) => compareKey(a.key, b.key));
        if (hits.length > limit || ringKm >= radiusKm) {
          const page = hits.slice(0, limit);
          const last = page[page.length - 1];
          return {
            items: page.map(({ d, key }) => toSummary(d, key.d)),
            ...(hits.length > limit && last ? { nextCursor: encodeCursor({ s: 'near', ...last.key }) } : {}),
          };
        }
        if (candidates.length === 0 && mayJump) {
          mayJump = false;
          jumpedFrom = ringKm;
          ringKm = radiusKm;
        } else {
          ringKm = Math.min(radiusKm, ringKm * 2);
        }
      }
    }

    // By name: keyset pages straight from Mongo. openAt is checked here, so read on until the page is full,
    // but at most MAX_SCANNED documents: then answer what was found (maybe a short or empty page) with a
    // cursor at the last document read, and the client goes on from there.
    let after = query.cursor ? decodeCursor(query.cursor, 'name') : undefined;
    const items: RestaurantSummary[] = [];
    // without openAt every document read is a hit: one more than the page tells whether there is a next
    // page; with openAt few queries of many documents (each query has a fixed cost, large on FerretDB)
    const batch = openAt === undefined ? limit + 1 : MAX_LIMIT * 2;
    let more = false;
    let scanned = 0;
    for (;;) {
      const filter: Filter<RestaurantDoc> = {
        $and: after ? [...and, { $or: [{ nameKey: { $gt: after.n } }, { nameKey: after.n, _id: { $gt: after.i } }] }] : and,
      };
      const take = Math.min(batch, MAX_SCANNED - scanned);
      const docs = await coll.find(filter, { projection: summaryFields }).sort({ nameKey: 1, _id: 1 }).limit(take).toArray();
      scanned += docs.length;
      for (const d of docs) {
        if (!open(d)) {
          after = { s: 'name', n: d.nameKey, i: d._id };
          continue;
        }
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(toSummary(d));
        after = { s: 'name', n: d.nameKey, i: d._id };
      }
      if (more || docs.length < take) break;
      if (scanned >= MAX_SCANNED) {
        more = true;
        break;
      }
    }
    return {
      items,
      ...(more && after ? { nextCursor: encodeCursor(after) } : {}),
    };
  }

  return { get, search };
}
