/**
 * The catalog API against a real FerretDB (random db name, dropped at the end). The event store is the
 * in-memory one; its `subscribe` drives the read model in order, and every request waits for the
 * projection to settle, so search results are deterministic. Caller identity comes from `x-test-user`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { MongoClient, type Db } from 'mongodb';
import { buildServer } from '../server';
import { InMemoryEventStore } from '../../eventstore/memory';
import type { StoredEvent } from '../../eventstore/types';
import { createCatalogService, type CatalogService } from './index';
import { GapError, MAX_SCANNED, RESTAURANTS_COLLECTION } from '../../projections/catalog';
import { consumers, type Consumer } from '../../projections';
import { testAuth } from '../../test/test-auth';
import { TRATTORIA_DETAILS } from '../../test/fixtures/restaurants';

const MONGO_URI = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017';


const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const everyDay = (open: string, close: string) => Object.fromEntries(WEEK.map((d) => [d, [{ open, close }]]));

function body(over: Record<string, unknown> = {}) {
  return {
    ...TRATTORIA_DETAILS,
    openingHours: {
      monday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:30' }],
      tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [],
    },
    tables: [{ id: 't1', seats: 2 }, { id: 't2', seats: 4 }],
    policy: {
      acceptance: 'manual', maxPartySize: 8, turnMinutes: 90, slotMinutes: 15, decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 60, maxAdvanceDays: 60, cancellationCutoffMinutes: 120, reminderMinutesBefore: 120,
      maxBookingsPerCustomerPerDay: 2, waitlistOfferMinutes: 10, seatEarlyMinutes: 30, noShowGraceMinutes: 15,
    },
    ...over,
  };
}

let client: MongoClient;
let db: Db;
let store: InMemoryEventStore;
let service: CatalogService;
/** The read model's consumer as the pipeline runs it (projections/index.ts). */
let consumer: Consumer;
let app: FastifyInstance;
let baseUrl: string;
let projecting: Promise<void> = Promise.resolve();
const projectionErrors: unknown[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Json = any;
interface Call {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
  query?: Record<string, string>;
}

/**
 * Real HTTP (listen + fetch) rather than app.inject: jest cannot load light-my-request's ESM `cookie`
 * dependency under this config. Waits for the projection after each request.
 */
async function call(opts: Call) {
  const url = new URL(opts.url, baseUrl);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method: opts.method,
    headers: { ...(opts.payload === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    ...(opts.payload === undefined ? {} : { body: JSON.stringify(opts.payload) }),
  });
  const text = await res.text();
  await projecting;
  return {
    statusCode: res.status,
    headers: Object.fromEntries(res.headers.entries()) as Record<string, string | undefined>,
    json: <T = Json>(): T => JSON.parse(text) as T,
  };
}

async function create(over: Record<string, unknown> = {}, user = 'alice'): Promise<string> {
  const res = await call({ method: 'POST', url: '/restaurants', headers: { 'x-test-user': user }, payload: body(over) });
  expect(res.statusCode).toBe(201);
  return res.json<{ restaurantId: string }>().restaurantId;
}

async function search(qs: Record<string, string | number>) {
  const res = await call({ method: 'GET', url: '/restaurants', query: Object.fromEntries(Object.entries(qs).map(([k, v]) => [k, String(v)])) });
  expect(res.statusCode).toBe(200);
  return res.json<{ items: Array<{ restaurantId: string; name: string; distanceKm?: number }>; nextCursor?: string }>();
}

beforeAll(async () => {
  client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  db = client.db(`catalog_test_${randomUUID().slice(0, 8)}`);
  store = new InMemoryEventStore('catalog');
  service = createCatalogService({ store, db, now: () => new Date('2026-03-29T17:30:00Z') });
  // every consumer is wired from the services' dbs and stores; only the catalog's runs here (the others' stores stay empty)
  consumer = consumers({
    dbs: { catalog: db, reservation: db, auth: db },
    stores: { catalog: store, reservation: new InMemoryEventStore('reservation'), auth: new InMemoryEventStore('auth') },
  })['catalog-restaurants'];
  await consumer.init();
  store.subscribe((events) => {
    for (const e of events) {
      projecting = projecting.then(() => consumer.handle(e)).catch((err: unknown) => {
        projectionErrors.push(err);
      });
    }
  });
  app = await buildServer({ plugins: [testAuth, service.routes], docsUi: false });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await db?.dropDatabase();
  await client?.close();
});

afterEach(() => {
  expect(projectionErrors).toEqual([]);
});

describe('create and read', () => {
  it('creates a restaurant owned by the caller and reads it back', async () => {
    const res = await call({ method: 'POST', url: '/restaurants', headers: { 'x-test-user': 'alice' }, payload: body() });
    expect(res.statusCode).toBe(201);
    const { restaurantId } = res.json<{ restaurantId: string }>();
    expect(res.headers.location).toBe(`/restaurants/${restaurantId}`);
    expect(res.headers.etag).toBe('"1"');

    const got = await call({ method: 'GET', url: `/restaurants/${restaurantId}` });
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual({
      restaurantId,
      ownerId: 'alice',
      ...body(),
      openingHours: { ...body().openingHours },
      menu: [],
      version: 1,
    });
    const notModified = await call({ method: 'GET', url: `/restaurants/${restaurantId}`, headers: { 'if-none-match': '"1"' } });
    expect(notModified.statusCode).toBe(304);
  });

  it('fills policy defaults and missing weekdays, and writes a menu given at creation', async () => {
    const { policy: _p, ...noPolicy } = body({ openingHours: { friday: [{ open: '18:00', close: '02:00' }] } });
    const res = await call({
      method: 'POST',
      url: '/restaurants',
      headers: { 'x-test-user': 'alice' },
      payload: { ...noPolicy, menu: [{ name: 'Pasta', dishes: [{ name: 'Carbonara', price: { amount: 12.5, currency: 'EUR' } }] }] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"3"');
    const { restaurantId } = res.json<{ restaurantId: string }>();
    const got = (await call({ method: 'GET', url: `/restaurants/${restaurantId}` })).json();
    expect(got.policy).toEqual({
      acceptance: 'manual', maxPartySize: 8, turnMinutes: 90, slotMinutes: 15, decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 60, maxAdvanceDays: 60, cancellationCutoffMinutes: 120, reminderMinutesBefore: 120,
      maxBookingsPerCustomerPerDay: 2, waitlistOfferMinutes: 10, seatEarlyMinutes: 30, noShowGraceMinutes: 15,
    });
    expect(got.openingHours.friday).toEqual([{ open: '18:00', close: '02:00' }]);
    expect(got.openingHours.monday).toEqual([]);
    expect(got.menu).toEqual([{ name: 'Pasta', dishes: [{ name: 'Carbonara', description: '', price: { amount: 12.5, currency: 'EUR' } }] }]);
  });

  it('needs a caller to create', async () => {
    const res = await call({ method: 'POST', url: '/restaurants', payload: body() });
    expect(res.statusCode).toBe(401);
  });

  it('404s an unknown restaurant, on reads and writes', async () => {
    const unknown = randomUUID();
    for (const [method, url, payload] of [
      ['GET', `/restaurants/${unknown}`, undefined],
      ['GET', `/restaurants/${unknown}/menu`, undefined],
      ['PATCH', `/restaurants/${unknown}`, { name: 'x' }],
      ['PATCH', `/restaurants/${unknown}`, { name: 'x' }, '"3"'],
      ['DELETE', `/restaurants/${unknown}`, undefined],
    ] as const) {
      const res = await call({ method, url, headers: { 'x-test-user': 'alice' }, ...(payload ? { payload } : {}) });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const withIfMatch = await call({ method: 'PATCH', url: `/restaurants/${unknown}`, headers: { 'x-test-user': 'alice', 'if-match': '"3"' }, payload: { name: 'x' } });
    expect(withIfMatch.statusCode).toBe(404);
  });

  it('serves a restaurant the read model has not seen yet from its stream', async () => {
    // a second service on the same store whose projection never ran
    const lagging = createCatalogService({ store, db: client.db(`${db.databaseName}_empty`) });
    const other = await buildServer({ plugins: [testAuth, lagging.routes], docsUi: false });
    try {
      const id = await create();
      const res = await fetch(`${await other.listen({ port: 0, host: '127.0.0.1' })}/restaurants/${id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ restaurantId: id, ownerId: 'alice', version: 1 });
    } finally {
      await other.close();
      await client.db(`${db.databaseName}_empty`).dropDatabase();
    }
  });
});

describe('validation', () => {
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['bad timezone', { timezone: 'Europe/Rom' }, 422, /timezone: "Europe\/Rom" is not an IANA time zone/],
    // the shape of a time is the schema's (400); what times mean together is the domain's (422)
    // schema errors: Ajv's raw text, or the words api/server.ts turns it into (issue 15) — either names the field
    ['malformed hours', { openingHours: { monday: [{ open: '7pm', close: '23:00' }] } }, 400, /body\.openingHours\.monday\.0\.open must match pattern|openingHours\.monday\[0\]\.open must be a time of day like 19:30/],
    ['open == close', { openingHours: { sunday: [{ open: '12:00', close: '12:00' }] } }, 422, /openingHours\.sunday\[0\]: 12:00-12:00 opens and closes at the same time/],
    [
      'overlapping hours',
      { openingHours: { monday: [{ open: '18:00', close: '20:00' }, { open: '19:00', close: '23:30' }] } },
      422,
      /openingHours\.monday\[1\]: 19:00-23:30 overlaps 18:00-20:00/,
    ],
    [
      'after-midnight tail into the next day',
      { openingHours: { saturday: [{ open: '20:00', close: '02:00' }], sunday: [{ open: '01:00', close: '03:00' }] } },
      422,
      /openingHours\.saturday\[0\]: 20:00-02:00 runs past midnight into sunday's 01:00-03:00/,
    ],
    ['duplicate table ids', { tables: [{ id: 't1', seats: 2 }, { id: 't1', seats: 4 }] }, 422, /tables\[1\]\.id: "t1" is already used by tables\[0\]/],
    ['negative seats', { tables: [{ id: 't1', seats: -2 }] }, 400, /body\.tables\.0\.seats must be >= 1|tables\[0\]\.seats must be at least 1/],
    ['lat 91', { location: { lat: 91, lon: 12 } }, 400, /body\.location\.lat must be <= 90|location\.lat must be at most 90/],
    ['turn not a multiple of the slot', { policy: { turnMinutes: 100 } }, 422, /policy\.turnMinutes: 100 is not a multiple of slotMinutes 15; use 90 or 105/],
    ['malformed currency', { menu: [{ name: 'Pasta', dishes: [{ name: 'X', price: { amount: 1, currency: 'EURO' } }] }] }, 400, /body\.menu\.0\.dishes\.0\.price\.currency must match pattern|menu\[0\]\.dishes\[0\]\.price\.currency must look like \"EUR\"/],
    ['unknown currency', { menu: [{ name: 'Pasta', dishes: [{ name: 'X', price: { amount: 1, currency: 'ZZZ' } }] }] }, 422, /menu\[0\]\.dishes\[0\]\.price\.currency: "ZZZ" is not an ISO 4217 currency code/],
    ['blank name', { name: '   ' }, 400, /body\.name must match pattern|name must not be blank/],
    ['unknown field', { stars: 5 }, 400, /body\.stars must NOT have additional properties|unknown field \"stars\"/],
  ];
  it.each(cases)('%s -> problem+json naming the field', async (_, over, status, detail) => {
    const res = await call({ method: 'POST', url: '/restaurants', headers: { 'x-test-user': 'alice' }, payload: body(over) });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ detail: string }>().detail).toMatch(detail);
  });

  it('lists every broken rule in `errors`', async () => {
    const res = await call({ method: 'POST', url: '/restaurants', headers: { 'x-test-user': 'alice' }, payload: body({ timezone: 'Nowhere', tables: [{ id: 'a', seats: 2 }, { id: 'a', seats: 2 }] }) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'VALIDATION', errors: [{ field: 'timezone' }, { field: 'tables[1].id' }] });
  });
});

describe('owner-only writes, ETags and If-Match', () => {
  let id: string;
  beforeAll(async () => {
    id = await create();
  });

  it('refuses a non-owner with 403 on every write', async () => {
    for (const [method, url, payload] of [
      ['PATCH', `/restaurants/${id}`, { name: 'Mine now' }],
      ['PUT', `/restaurants/${id}/opening-hours`, { monday: [] }],
      ['PUT', `/restaurants/${id}/tables`, [{ id: 'x', seats: 2 }]],
      ['PUT', `/restaurants/${id}/policy`, { acceptance: 'auto' }],
      ['POST', `/restaurants/${id}/menu/sections`, { name: 'Desserts' }],
      ['DELETE', `/restaurants/${id}`, undefined],
    ] as const) {
      const res = await call({ method, url, headers: { 'x-test-user': 'mallory' }, ...(payload ? { payload } : {}) });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ detail: string }>().detail).toMatch(/Only the owner/);
    }
  });

  it('refuses a write without a caller with 401', async () => {
    const res = await call({ method: 'PATCH', url: `/restaurants/${id}`, payload: { name: 'x' } });
    expect(res.statusCode).toBe(401);
  });

  it('changes details and answers with the new ETag; a stale If-Match is 412', async () => {
    const first = await call({ method: 'PATCH', url: `/restaurants/${id}`, headers: { 'x-test-user': 'alice', 'if-match': '"1"' }, payload: { name: 'Da Mario', timezone: 'Europe/Paris' } });
    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    expect(first.json()).toMatchObject({ name: 'Da Mario', timezone: 'Europe/Paris', version: 2 });

    const stale = await call({ method: 'PATCH', url: `/restaurants/${id}`, headers: { 'x-test-user': 'alice', 'if-match': '"1"' }, payload: { name: 'Lost update' } });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ currentVersion: 2 });
    expect(stale.json<{ detail: string }>().detail).toMatch(/you sent If-Match "1", it is now at "2"/);

    const got = await call({ method: 'GET', url: `/restaurants/${id}` });
    expect(got.headers.etag).toBe('"2"');
    expect(got.json()).toMatchObject({ name: 'Da Mario' });
  });

  it('refuses a malformed If-Match with 400', async () => {
    const res = await call({ method: 'PATCH', url: `/restaurants/${id}`, headers: { 'x-test-user': 'alice', 'if-match': 'yesterday' }, payload: { name: 'x' } });
    expect(res.statusCode).toBe(400);
  });

  it('replaces hours, tables and policy', async () => {
    const hours = await call({ method: 'PUT', url: `/restaurants/${id}/opening-hours`, headers: { 'x-test-user': 'alice' }, payload: { friday: [{ open: '19:00', close: '01:00' }] } });
    expect(hours.statusCode).toBe(200);
    expect(hours.json().openingHours).toMatchObject({ monday: [], friday: [{ open: '19:00', close: '01:00' }] });
    const bad = await call({ method: 'PUT', url: `/restaurants/${id}/opening-hours`, headers: { 'x-test-user': 'alice' }, payload: { monday: [{ open: '18:00', close: '20:00' }, { open: '19:00', close: '23:30' }] } });
    expect(bad.statusCode).toBe(422);

    const tables = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: { 'x-test-user': 'alice' }, payload: [{ id: 'a', seats: 6 }] });
    expect(tables.statusCode).toBe(200);
    expect(tables.json().tables).toEqual([{ id: 'a', seats: 6 }]);

    const policy = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: { 'x-test-user': 'alice' }, payload: { acceptance: 'auto', slotMinutes: 30, turnMinutes: 120 } });
    expect(policy.statusCode).toBe(200);
    expect(policy.json().policy).toMatchObject({ acceptance: 'auto', slotMinutes: 30, turnMinutes: 120, maxPartySize: 8 });

    const version = Number(JSON.parse(policy.headers.etag as string));
    const again = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: { 'x-test-user': 'alice' }, payload: { acceptance: 'auto', slotMinutes: 30, turnMinutes: 120 } });
    expect(again.headers.etag).toBe(`"${version}"`);
  });

  it('manages the menu; the dish route uses the dish in the path', async () => {
    const h = { 'x-test-user': 'alice' };
    const section = await call({ method: 'POST', url: `/restaurants/${id}/menu/sections`, headers: h, payload: { name: 'Primi piatti' } });
    expect(section.statusCode).toBe(201);
    expect(section.headers.location).toBe(`/restaurants/${id}/menu/sections/Primi%20piatti`);
    const dup = await call({ method: 'POST', url: `/restaurants/${id}/menu/sections`, headers: h, payload: { name: 'primi PIATTI' } });
    expect(dup.statusCode).toBe(409);

    const sec = encodeURIComponent('Primi piatti');
    for (const name of ['Carbonara', 'Gricia']) {
      const res = await call({ method: 'POST', url: `/restaurants/${id}/menu/sections/${sec}/dishes`, headers: h, payload: { name, price: { amount: 12, currency: 'EUR' } } });
      expect(res.statusCode).toBe(201);
    }
    const changed = await call({ method: 'PUT', url: `/restaurants/${id}/menu/sections/${sec}/dishes/Gricia`, headers: h, payload: { price: { amount: 13.5, currency: 'EUR' } } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().sections[0].dishes).toEqual([
      { name: 'Carbonara', description: '', price: { amount: 12, currency: 'EUR' } },
      { name: 'Gricia', description: '', price: { amount: 13.5, currency: 'EUR' } },
    ]);
    const clash = await call({ method: 'PUT', url: `/restaurants/${id}/menu/sections/${sec}/dishes/Gricia`, headers: h, payload: { name: 'Carbonara' } });
    expect(clash.statusCode).toBe(409);
    const missing = await call({ method: 'PUT', url: `/restaurants/${id}/menu/sections/${sec}/dishes/Lasagne`, headers: h, payload: { name: 'x' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ detail: string }>().detail).toMatch(/No dish "Lasagne" in section "Primi piatti"/);

    const removed = await call({ method: 'DELETE', url: `/restaurants/${id}/menu/sections/${sec}/dishes/carbonara`, headers: h });
    expect(removed.statusCode).toBe(200);
    const menu = await call({ method: 'GET', url: `/restaurants/${id}/menu` });
    expect(menu.statusCode).toBe(200);
    expect(menu.json().sections).toEqual([{ name: 'Primi piatti', dishes: [{ name: 'Gricia', description: '', price: { amount: 13.5, currency: 'EUR' } }] }]);
    expect(menu.headers.etag).toBe(removed.headers.etag);

    const gone = await call({ method: 'DELETE', url: `/restaurants/${id}/menu/sections/${sec}`, headers: h });
    expect(gone.statusCode).toBe(200);
    expect(gone.json().sections).toEqual([]);
  });
});

describe('warnings: settings saved, but some bookings impossible', () => {
  const alice = { 'x-test-user': 'alice' };
  const partyWarning = {
    code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
    field: 'policy.maxPartySize',
    detail: 'maxPartySize is 12 but the largest table seats 8: parties of 9–12 can never be booked; add a larger table or lower maxPartySize to 8.',
  };
  const policy12 = { ...body().policy, maxPartySize: 12 };
  const tables8 = [{ id: 't1', seats: 2 }, { id: 't2', seats: 8 }];

  it('a maxPartySize no table seats is saved (201/200) with a warning; fixing the tables clears it', async () => {
    const created = await call({ method: 'POST', url: '/restaurants', headers: alice, payload: body({ tables: tables8, policy: policy12 }) });
    expect(created.statusCode).toBe(201);
    const { restaurantId: id, warnings } = created.json();
    expect(warnings).toEqual([partyWarning]);

    // the owner reads it too; anyone else gets the public restaurant without them
    const mine = await call({ method: 'GET', url: `/restaurants/${id}`, headers: alice });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().warnings).toEqual([partyWarning]);
    expect(mine.headers.vary).toMatch(/authorization/i);
    expect((await call({ method: 'GET', url: `/restaurants/${id}` })).json()).not.toHaveProperty('warnings');
    expect((await call({ method: 'GET', url: `/restaurants/${id}`, headers: { 'x-test-user': 'bob' } })).json()).not.toHaveProperty('warnings');

    // saving the same policy again: still saved (no change), still warned
    const again = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: policy12 });
    expect(again.statusCode).toBe(200);
    expect(again.json().warnings).toEqual([partyWarning]);

    const fixed = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: [...tables8, { id: 'big', seats: 12 }] });
    expect(fixed.statusCode).toBe(200);
    expect(fixed.json().warnings).toEqual([]);
    expect((await call({ method: 'GET', url: `/restaurants/${id}`, headers: alice })).json().warnings).toEqual([]);

    // and back: removing the big table warns on PUT /tables
    const shrunk = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: tables8 });
    expect(shrunk.statusCode).toBe(200);
    expect(shrunk.json().warnings).toEqual([partyWarning]);
    expect(shrunk.json().tables).toEqual(tables8);
  });

  it('PUT /policy warns when it raises maxPartySize past the tables, and is quiet once it fits', async () => {
    const id = await create({ tables: tables8 });
    const raised = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: { maxPartySize: 12 } });
    expect(raised.statusCode).toBe(200);
    expect(raised.json().policy.maxPartySize).toBe(12);
    expect(raised.json().warnings).toEqual([partyWarning]);
    const fits = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: { maxPartySize: 8 } });
    expect(fits.json().warnings).toEqual([]);
    // PATCH cannot change tables, policy or hours, but answers with the same shape
    const patched = await call({ method: 'PATCH', url: `/restaurants/${id}`, headers: alice, payload: { name: 'Da Mario' } });
    expect(patched.json().warnings).toEqual([]);
  });

  it('combined tables: combinableWith is kept, a combination counts for maxPartySize, a one-sided listing is warned about', async () => {
    const window = [
      { id: 'w1', seats: 4, combinableWith: ['w2'] },
      { id: 'w2', seats: 4, combinableWith: ['w1'] },
      { id: 't6', seats: 6 },
    ];
    const id = await create({ tables: window });
    const read = (await call({ method: 'GET', url: `/restaurants/${id}`, headers: alice })).json();
    expect(read.tables).toEqual(window);
    // w1 + w2 seat 8: maxPartySize 8 is no warning
    expect(read.warnings).toEqual([]);

    const oneSided = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: [window[0], { id: 'w2', seats: 4 }, window[2]] });
    expect(oneSided.statusCode).toBe(200);
    expect(oneSided.json().warnings.map((w: { code: string }) => w.code)).toEqual(['PARTY_SIZE_EXCEEDS_LARGEST_TABLE', 'ONE_SIDED_COMBINATION']);

    const self = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: [{ id: 'w1', seats: 4, combinableWith: ['w1'] }] });
    expect(self.statusCode).toBe(422);
    expect(self.json().detail).toMatch(/tables\[0\]\.combinableWith\[0\]: "w1" is this table/);
    const unknown = await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: [{ id: 'w1', seats: 4, combinableWith: ['nope'] }] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail).toMatch(/"nope" is not a table of this restaurant/);
    // the schema bounds the list (400 before the domain sees it)
    const tooMany = Array.from({ length: 9 }, (_, i) => `x${i}`);
    expect((await call({ method: 'PUT', url: `/restaurants/${id}/tables`, headers: alice, payload: [{ id: 'w1', seats: 4, combinableWith: tooMany }] })).statusCode).toBe(400);
  });

  it('the waitlist and floor policy fields: defaults, bounds, replaced with the policy', async () => {
    const id = await create({ tables: tables8 });
    const set = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: { waitlistOfferMinutes: 5, seatEarlyMinutes: 0, noShowGraceMinutes: 180 } });
    expect(set.statusCode).toBe(200);
    expect(set.json().policy).toMatchObject({ waitlistOfferMinutes: 5, seatEarlyMinutes: 0, noShowGraceMinutes: 180, maxPartySize: 8 });
    const defaults = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: {} });
    expect(defaults.json().policy).toMatchObject({ waitlistOfferMinutes: 10, seatEarlyMinutes: 30, noShowGraceMinutes: 15 });
    for (const bad of [{ waitlistOfferMinutes: 0 }, { waitlistOfferMinutes: 61 }, { seatEarlyMinutes: 181 }, { noShowGraceMinutes: -1 }]) {
      expect((await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: bad })).statusCode).toBe(400);
    }
  });

  it('warns when every day is closed or the turn is longer than every service (PUT /opening-hours)', async () => {
    const id = await create({ tables: tables8 });
    const closed = await call({ method: 'PUT', url: `/restaurants/${id}/opening-hours`, headers: alice, payload: {} });
    expect(closed.statusCode).toBe(200);
    expect(closed.json().warnings.map((w: { code: string }) => w.code)).toEqual(['NO_OPENING_HOURS']);
    const short = await call({ method: 'PUT', url: `/restaurants/${id}/opening-hours`, headers: alice, payload: { friday: [{ open: '19:00', close: '20:00' }] } });
    expect(short.json().warnings).toEqual([
      {
        code: 'TURN_LONGER_THAN_EVERY_SERVICE',
        field: 'policy.turnMinutes',
        detail: 'turnMinutes is 90 but the longest service lasts 60 minutes (friday 19:00–20:00): no turn ends before closing, so nothing can be booked; shorten the turn or open longer.',
      },
    ]);
    const turn60 = await call({ method: 'PUT', url: `/restaurants/${id}/policy`, headers: alice, payload: { turnMinutes: 60 } });
    expect(turn60.json().warnings).toEqual([]);
  });
});

describe('search', () => {
  const tag = `zq${randomUUID().slice(0, 6)}`;
  const rome = { lat: 41.9028, lon: 12.4964 };
  let ids: Record<string, string>;

  beforeAll(async () => {
    ids = {
      center: await create({ name: `Al Centro ${tag}`, cuisine: 'Italian', location: rome }),
      north3: await create({ name: `Nord ${tag}`, cuisine: 'pizza', description: 'Wood-fired Caffè', location: { lat: 41.93, lon: 12.4964 } }),
      north20: await create({ name: `Lontano ${tag}`, cuisine: 'italian', location: { lat: 42.08, lon: 12.4964 } }),
      milan: await create({ name: `Milano ${tag}`, cuisine: 'italian', location: { lat: 45.4642, lon: 9.19 } }),
      nyc: await create({ name: `Brooklyn ${tag}`, cuisine: 'pizza', location: { lat: 40.6782, lon: -73.9442 }, timezone: 'America/New_York', openingHours: everyDay('19:00', '23:00') }),
    };
  });

  it('by text, ignoring case and accents, all words required', async () => {
    expect((await search({ q: `${tag.toUpperCase()} caffe` })).items.map((i) => i.restaurantId)).toEqual([ids.north3]);
    expect((await search({ q: `nord ${tag}` })).items.map((i) => i.restaurantId)).toEqual([ids.north3]);
    expect((await search({ q: `${tag} nothing-like-this` })).items).toEqual([]);
    // regex metacharacters are literal
    expect((await search({ q: `${tag} .*` })).items).toEqual([]);
  });

  it('by cuisine, ignoring case, ordered by name', async () => {
    const res = await search({ q: tag, cuisine: 'ITALIAN' });
    expect(res.items.map((i) => i.name)).toEqual([`Al Centro ${tag}`, `Lontano ${tag}`, `Milano ${tag}`]);
    expect(res.nextCursor).toBeUndefined();
  });

  it('near a point: within the radius, sorted by distance, with distanceKm', async () => {
    const res = await search({ q: tag, near: `${rome.lat},${rome.lon}`, radiusKm: 25 });
    expect(res.items.map((i) => i.restaurantId)).toEqual([ids.center, ids.north3, ids.north20]);
    const d = res.items.map((i) => i.distanceKm!);
    expect(d[0]).toBe(0);
    expect(d[1]).toBeCloseTo(3.0, 0);
    expect(d[2]).toBeCloseTo(19.7, 0);
    expect((await search({ q: tag, near: `${rome.lat},${rome.lon}`, radiusKm: 5 })).items.map((i) => i.restaurantId)).toEqual([ids.center, ids.north3]);
    expect((await search({ q: tag, near: '45.46,9.19', radiusKm: 100 })).items.map((i) => i.restaurantId)).toEqual([ids.milan]);
    // "near me" is at most 100 km: a continent-wide radius is refused by the schema
    expect((await call({ method: 'GET', url: '/restaurants', query: { near: '45.46,9.19', radiusKm: '600' } })).statusCode).toBe(400);
  });

  it('pages with an opaque cursor, by name and by distance', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await search({ q: tag, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.items.map((i) => i.name));
      cursor = res.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([`Al Centro ${tag}`, `Brooklyn ${tag}`, `Lontano ${tag}`, `Milano ${tag}`, `Nord ${tag}`]);

    // by distance: the search widens its box in rings (2, 4, 8… km), pages still come in distance order
    const near = { q: tag, near: `${rome.lat},${rome.lon}`, radiusKm: 100, limit: 2 };
    const p1 = await search(near);
    expect(p1.items.map((i) => i.restaurantId)).toEqual([ids.center, ids.north3]);
    const p2 = await search({ ...near, cursor: p1.nextCursor! });
    expect(p2.items.map((i) => i.restaurantId)).toEqual([ids.north20]);
    expect(p2.nextCursor).toBeUndefined();
  });

  it('refuses a malformed near, radiusKm or openAt with 400 (schema), and a foreign cursor, radius without near or an unreal instant with 422', async () => {
    const malformed: Record<string, string>[] = [
      { near: '91,12' },
      { near: '41,181' },
      { near: 'rome' },
      { near: '41,12', radiusKm: '0' },
      { near: '41,12', radiusKm: '101' },
      { openAt: 'tomorrow evening' },
      { openAt: '2026-03-29T19:30' },
    ];
    const unprocessable: Record<string, string>[] = [
      { cursor: 'not-a-cursor' },
      { cursor: Buffer.from(JSON.stringify({ s: 'name', n: 'a', i: 'b' })).toString('base64url'), near: '41,12' },
      { radiusKm: '5' },
      { openAt: '2026-02-32T19:30:00Z' },
    ];
    for (const [status, queries] of [[400, malformed], [422, unprocessable]] as const) {
      for (const query of queries) {
        const res = await call({ method: 'GET', url: '/restaurants', query });
        expect({ query, status: res.statusCode }).toEqual({ query, status });
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });

  describe('bounded work per request', () => {
    /** Read-model documents written directly: a thousand restaurants through the decider would take minutes here. */
    const doc = (t: string, i: number, over: Record<string, unknown> = {}) => {
      const name = `B${String(i).padStart(5, '0')} ${t}`;
      return {
        _id: `${t}-${i}`,
        restaurantId: `${t}-${i}`,
        ownerId: 'alice',
        name,
        cuisine: 'italian',
        description: '',
        phone: '+39 06 1234567',
        address: 'Via Roma 1',
        location: { lat: 10, lon: 10 },
        timezone: 'Europe/Rome',
        openingHours: Object.fromEntries(WEEK.map((d) => [d, []])),
        tables: [{ id: 't1', seats: 2 }],
        policy: {},
        menu: [],
        closed: false,
        version: 1,
        searchText: name.toLowerCase(),
        cuisineKey: 'italian',
        nameKey: name.toLowerCase(),
        ...over,
      };
    };

    // documents that are not in the event store must not outlive their test: the next one's queries would
    // scan them (a near search across the date line reads the whole collection), and a rebuild below compares with the store
    const inserted: string[] = [];
    afterEach(async () => {
      await db.collection(RESTAURANTS_COLLECTION).deleteMany({ _id: { $in: inserted.splice(0) } } as never);
    });

    it('openAt reads at most MAX_SCANNED documents a request, then answers a short page with a cursor to go on', async () => {
      const t = `scan${randomUUID().slice(0, 6)}`;
      const closedFirst = Array.from({ length: MAX_SCANNED + 200 }, (_, i) => doc(t, i));
      const openLast = doc(t, 99_999, { openingHours: everyDay('00:00', '23:59') });
      await db.collection(RESTAURANTS_COLLECTION).insertMany([...closedFirst, openLast] as never[]);
      inserted.push(...closedFirst.map((d) => d._id), openLast._id);
      const q = { q: t, openAt: '2026-03-29T10:00:00Z', limit: 5 };
      const p1 = await search(q);
      expect(p1.items).toEqual([]); // the first thousand were all closed then
      expect(p1.nextCursor).toBeDefined();
      const p2 = await search({ ...q, cursor: p1.nextCursor! });
      expect(p2.items.map((i) => i.restaurantId)).toEqual([openLast.restaurantId]);
      expect(p2.nextCursor).toBeUndefined();
    });

    it('near: a point with more than MAX_SCANNED candidates in its first ring is 422 SEARCH_TOO_BROAD, a narrower filter answers', async () => {
      const t = `dense${randomUUID().slice(0, 6)}`;
      const dense = Array.from({ length: MAX_SCANNED + 1 }, (_, i) => doc(t, i, { location: { lat: -33.9, lon: 18.4 } }));
      const other = doc(`${t}x`, 1, { location: { lat: -33.9, lon: 18.4 } });
      await db.collection(RESTAURANTS_COLLECTION).insertMany([...dense, other] as never[]);
      inserted.push(...dense.map((d) => d._id), other._id);
      const res = await call({ method: 'GET', url: '/restaurants', query: { q: t, near: '-33.9,18.4', radiusKm: '1' } });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'SEARCH_TOO_BROAD' });
      expect((await search({ q: `${t}x`, near: '-33.9,18.4', radiusKm: 1 })).items).toHaveLength(1);
    });

    it('near: past an empty first ring, the nearest page comes back with a cursor; nothing near is an empty page', async () => {
      const t = `ring${randomUUID().slice(0, 6)}`;
      // 20 restaurants ~11 km north, nothing within 2 km (the first ring)
      const close = Array.from({ length: 20 }, (_, i) => doc(t, i, { location: { lat: -33.8, lon: 18.4 } }));
      await db.collection(RESTAURANTS_COLLECTION).insertMany(close as never[]);
      inserted.push(...close.map((d) => d._id));
      const page = await search({ q: t, near: '-33.9,18.4', radiusKm: 100, limit: 5 });
      expect(page.items.map((i) => i.restaurantId)).toEqual(close.slice(0, 5).map((d) => d.restaurantId));
      expect(page.nextCursor).toBeDefined();
      // nothing near the pole on the date line: one empty ring, one whole-radius box, an empty page
      expect((await search({ q: t, near: '90,180', radiusKm: 100 })).items).toEqual([]);
    });
  });

  it('open at an instant, in each restaurant’s own zone, across DST changes', async () => {
    const dinner = `dst${randomUUID().slice(0, 6)}`;
    const romeId = await create({ name: `Cena ${dinner}`, openingHours: everyDay('19:00', '23:00') });
    const openAt = async (at: string) => (await search({ q: dinner, openAt: at })).items.map((i) => i.restaurantId);
    // Rome springs forward on 2026-03-29: 17:30Z is 18:30 CET the day before, 19:30 CEST on the day
    expect(await openAt('2026-03-28T17:30:00Z')).toEqual([]);
    expect(await openAt('2026-03-29T17:30:00Z')).toEqual([romeId]);
    // and 21:30Z is 22:30 CET (open) the day before, 23:30 CEST (closed) on the day
    expect(await openAt('2026-03-28T21:30:00Z')).toEqual([romeId]);
    expect(await openAt('2026-03-29T21:30:00Z')).toEqual([]);
    // Rome falls back on 2026-10-25: 17:30Z is 19:30 CEST the day before, 18:30 CET on the day
    expect(await openAt('2026-10-24T17:30:00Z')).toEqual([romeId]);
    expect(await openAt('2026-10-25T17:30:00Z')).toEqual([]);
    // an offset instant works the same; `now` uses the service clock (2026-03-29T17:30Z)
    expect(await openAt('2026-03-29T19:30:00+02:00')).toEqual([romeId]);
    expect(await openAt('now')).toEqual([romeId]);

    // New York springs forward on 2026-03-08: 23:30Z is 18:30 EST the day before, 19:30 EDT on the day
    const nyOpen = async (at: string) => (await search({ q: tag, cuisine: 'pizza', openAt: at })).items.map((i) => i.restaurantId);
    expect(await nyOpen('2026-03-07T23:30:00Z')).toEqual([]);
    expect(await nyOpen('2026-03-08T23:30:00Z')).toEqual([ids.nyc]);
  });

  it('fills a page with open restaurants even when closed ones come first by name', async () => {
    const t = `fill${randomUUID().slice(0, 6)}`;
    for (let i = 0; i < 6; i++) await create({ name: `A${i} ${t}`, openingHours: {} });
    const open = await create({ name: `Z ${t}`, openingHours: everyDay('00:00', '23:59') });
    const res = await search({ q: t, openAt: '2026-03-29T10:00:00Z', limit: 1 });
    expect(res.items.map((i) => i.restaurantId)).toEqual([open]);
    expect(res.nextCursor).toBeUndefined();
  });

  it('close: GET 404, gone from search, further changes 409', async () => {
    const h = { 'x-test-user': 'alice' };
    const closing = await create({ name: `Chiuso ${tag}` });
    expect((await search({ q: `chiuso ${tag}` })).items).toHaveLength(1);
    const res = await call({ method: 'DELETE', url: `/restaurants/${closing}`, headers: h });
    expect(res.statusCode).toBe(204);
    expect(res.headers.etag).toBe('"2"');
    expect((await call({ method: 'GET', url: `/restaurants/${closing}` })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: `/restaurants/${closing}/menu` })).statusCode).toBe(404);
    expect((await search({ q: `chiuso ${tag}` })).items).toEqual([]);
    const patch = await call({ method: 'PATCH', url: `/restaurants/${closing}`, headers: h, payload: { name: 'Back' } });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toMatchObject({ code: 'RESTAURANT_CLOSED' });
    expect((await call({ method: 'DELETE', url: `/restaurants/${closing}`, headers: h })).statusCode).toBe(204);
    expect((await call({ method: 'DELETE', url: `/restaurants/${closing}`, headers: { 'x-test-user': 'mallory' } })).statusCode).toBe(403);
  });
});

describe('projection checkpointing', () => {
  it('skips a redelivered event, throws on a gap, and rebuilds a damaged read model to what the live consumer wrote', async () => {
    const id = await create({ name: 'Checkpoint' });
    await call({ method: 'PATCH', url: `/restaurants/${id}`, headers: { 'x-test-user': 'alice' }, payload: { cuisine: 'roman' } });
    const events = (await store.readStream(`restaurant-${id}`)) as StoredEvent[];
    const { handle } = consumer;
    const coll = db.collection(RESTAURANTS_COLLECTION);
    const before = await coll.findOne({ _id: id as never });
    expect(before).toMatchObject({ version: 2, cuisine: 'roman', cuisineKey: 'roman', ownerId: 'alice', closed: false });

    // redelivery of both events: nothing changes
    for (const e of events) await handle(e);
    expect(await coll.findOne({ _id: id as never })).toEqual(before);

    // an event two versions ahead is a gap: retried later, not applied
    const ahead = { ...events[1]!, version: 4, data: { restaurantId: id, name: 'Too early' } } as StoredEvent;
    await expect(handle(ahead)).rejects.toBeInstanceOf(GapError);
    expect(await coll.findOne({ _id: id as never })).toEqual(before);

    // the rebuild must put back what the live consumer wrote (checkpoints included) into a read model that
    // lost a document and holds a wrong one: a rebuild that did nothing, or only emptied it, would fail here
    const other = await create({ name: 'Checkpoint too' });
    await projecting;
    const live = await coll.find({}).sort({ _id: 1 }).toArray();
    await coll.deleteOne({ _id: id as never });
    await coll.updateOne({ _id: other as never }, { $set: { name: 'Damaged', version: 99 } });
    await consumer.rebuildFromStore({ grouped: false });
    expect(await coll.find({}).sort({ _id: 1 }).toArray()).toEqual(live);
  });
});
