/**
 * JSON schemas of the catalog routes (they are also the OpenAPI document). The schemas check shapes,
 * types and simple bounds (→ 400); rules that span fields or need the current state — overlapping hours,
 * unique table ids, turn a multiple of slot, a real IANA zone — are the domain's (→ 422 with the field named).
 * The bodies' and responses' shapes are in ./shapes.ts.
 */
import { LIMITS } from '../../domain/catalog/validation';
import { DEFAULT_LIMIT, DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM, MIN_RADIUS_KM } from '../../projections/catalog';
import { bearerSecurity } from '../context';
import { problemRef, problemResponses } from '../problem';
import {
  openingHours,
  tables,
  policy,
  warningsOut,
  dishIn,
  dishPatch,
  sectionName,
  detailFields,
  restaurantWritten,
  restaurantRead,
  summaryOut,
  menuIn,
  menuView,
} from './shapes';

const tags = ['catalog'];

/**
 * Largest body per route (Fastify answers 413 before parsing). Each is the largest valid body with room
 * for escaping (\uXXXX is 6 bytes a character), nothing more: a create with a full menu, 200 tables, one
 * detail change. Tables: 200 tables each naming up to 8 others (ids up to 40 characters) is ~80 kB plain.
 */
export const BODY_LIMITS = { create: 512 * 1024, tables: 128 * 1024, small: 32 * 1024 } as const;

const ifMatch = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      // what parseIfMatch reads: one ETag this API issued ("3", W/"3", 3) or *; empty is the same as absent
      pattern: '^\\s*(\\*|(W/)?"?[0-9]{1,15}"?)?\\s*$',
      description: 'The ETag you read ("3"); the write is refused with 412 if the restaurant changed since.',
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const sectionParams = { type: 'object', required: ['id', 'section'], properties: { ...idParams.properties, section: sectionName } } as const;
const dishParams = {
  type: 'object',
  required: ['id', 'section', 'dish'],
  properties: { ...sectionParams.properties, dish: { type: 'string', minLength: 1, maxLength: LIMITS.dishNameLength } },
} as const;

/** Error responses every write can give. */
const writeErrors = problemResponses(400, 401, 403, 404, 409, 412, 422);

/**
 * An owner's write: Bearer token and If-Match, the path `params`, a `body` when it takes one, and `ok` as its
 * success response next to the errors every write can give.
 */
function write<P, B, R>(summary: string, description: string, params: P, body: B, ok: R) {
  return {
    tags,
    summary,
    description,
    security: bearerSecurity,
    headers: ifMatch,
    params,
    ...(body === undefined ? {} : { body: body as Exclude<B, undefined> }),
    response: { ...ok, ...writeErrors },
  };
}

export const createSchema = {
  tags,
  summary: 'Add a restaurant (the caller becomes its owner)',
  security: bearerSecurity,
  body: {
    type: 'object',
    required: ['name', 'cuisine', 'phone', 'address', 'location', 'timezone', 'openingHours', 'tables'],
    additionalProperties: false,
    properties: { ...detailFields, openingHours, tables, policy, menu: menuIn },
  },
  response: {
    201: {
      type: 'object',
      required: ['restaurantId', 'warnings'],
      description: 'Created. `warnings` is advisory: the restaurant was created even when it is not empty.',
      properties: { restaurantId: { type: 'string' }, warnings: warningsOut },
    },
    ...problemResponses(400, 401, 409, 413, 422),
  },
} as const;

export const getSchema = {
  tags,
  summary: 'A restaurant (public)',
  description: 'Closed restaurants are 404. The ETag is the version to send as If-Match on writes. The owner (with a Bearer token) also gets `warnings`: settings that leave bookings impossible.',
  params: idParams,
  headers: { type: 'object', properties: { 'if-none-match': { type: 'string', description: 'An ETag you hold; 304 if it is still current.' } } },
  response: { 200: restaurantRead, 304: { type: 'null', description: 'Not modified (If-None-Match)' }, 404: problemRef },
} as const;

export const menuSchema = {
  tags,
  summary: "A restaurant's menu (public)",
  params: idParams,
  response: { 200: menuView, 404: problemRef },
} as const;

/** Decimal degrees within range, so a well-formed `near` is never refused for its numbers. */
const LAT = '-?(90(\\.0+)?|[1-8]?[0-9](\\.[0-9]+)?)';
const LON = '-?(180(\\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\\.[0-9]+)?)';
/** `now`, or an ISO 8601 instant with an offset (the route also checks it is a real date). */
const OPEN_AT = '^(now|[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-][0-2][0-9]:?[0-5][0-9]))$';

export const searchSchema = {
  tags,
  summary: 'Search restaurants (public)',
  description:
    'All filters combine. Without `near`, results are ordered by name; with `near`, by distance (each item has distanceKm). Closed restaurants are never listed. ' +
    'A request reads a bounded number of restaurants: with `openAt` a page can be short, even empty, and still have a `nextCursor`; the list ends when `nextCursor` is absent. ' +
    '422 when radiusKm comes without near, the cursor is not one this API issued (or belongs to another search), openAt is not a real instant, or a near search needs more than the bounded read (SEARCH_TOO_BROAD: add q or cuisine, or a smaller radius).',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      q: { type: 'string', maxLength: 200, description: 'Words that must all appear in the name, cuisine, description, address or menu (case and accents ignored).' },
      cuisine: { type: 'string', maxLength: LIMITS.cuisineLength, description: 'Exact cuisine, case ignored.' },
      near: {
        type: 'string',
        pattern: `^\\s*${LAT}\\s*,\\s*${LON}\\s*$`,
        description: 'LAT,LON: latitude -90 to 90, longitude -180 to 180.',
        examples: ['41.9028,12.4964'],
      },
      // OpenAPI 3.0 has only the boolean exclusiveMinimum, JSON Schema draft 7 (Ajv) only the numeric one: a plain minimum suits both
      radiusKm: { type: 'number', minimum: MIN_RADIUS_KM, maximum: MAX_RADIUS_KM, description: `With near only; default ${DEFAULT_RADIUS_KM}, at most ${MAX_RADIUS_KM} ("near me", not "anywhere").` },
      openAt: { type: 'string', maxLength: 40, pattern: OPEN_AT, description: 'ISO 8601 instant with an offset (or `now`): only restaurants open then, in their own time zone.', examples: ['2026-03-29T17:30:00Z'] },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
      cursor: { type: 'string', maxLength: 1000, description: 'nextCursor of the previous page, with the same filters.' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: summaryOut }, nextCursor: { type: 'string' } },
    },
    ...problemResponses(400, 422),
  },
} as const;

export const patchSchema = write(
  'Change name, cuisine, description, phone, address, location or timezone',
  'Owner only. Only the fields sent change.',
  idParams,
  { type: 'object', minProperties: 1, additionalProperties: false, properties: detailFields },
  { 200: restaurantWritten },
);

export const putHoursSchema = write(
  'Replace the weekly opening hours',
  'Owner only. Saved even when every day is closed or no service is as long as the turn; `warnings` then says so.',
  idParams,
  openingHours,
  { 200: restaurantWritten },
);

export const putTablesSchema = write(
  'Replace the tables',
  'Owner only. Saved even when no table seats the policy\'s maxPartySize; `warnings` then says which party sizes can never be booked.',
  idParams,
  tables,
  { 200: restaurantWritten },
);

export const putPolicySchema = write(
  'Replace the reservation policy',
  'Owner only. Omitted fields take their defaults. Saved even when no table seats maxPartySize or the turn is longer than every service; `warnings` then says so.',
  idParams,
  policy,
  { 200: restaurantWritten },
);

export const addSectionSchema = write(
  'Add a menu section',
  'Owner only. Names are unique, ignoring case.',
  idParams,
  { type: 'object', required: ['name'], additionalProperties: false, properties: { name: sectionName } },
  { 201: menuView },
);

export const removeSectionSchema = write('Remove a menu section and its dishes', 'Owner only.', sectionParams, undefined, { 200: menuView });

export const addDishSchema = write(
  'Add a dish to a section',
  'Owner only. Dish names are unique within a section, ignoring case.',
  sectionParams,
  dishIn,
  { 201: menuView },
);

export const changeDishSchema = write(
  'Change the dish named in the path',
  'Owner only. The dish is the one in the path; a `name` in the body renames it.',
  dishParams,
  dishPatch,
  { 200: menuView },
);

export const removeDishSchema = write('Remove a dish', 'Owner only.', dishParams, undefined, { 200: menuView });

export const closeSchema = write(
  'Close the restaurant for good',
  'Owner only. It disappears from GET and search; closing again is a no-op.',
  idParams,
  undefined,
  { 204: { type: 'null', description: 'Closed' } },
);
