/**
 * The waitlist routes on a real Fastify server (injected requests, no network) with stand-ins for what they
 * call: a Temporal client that records the calls and answers as told, an in-memory waitlist read model and
 * one restaurant. What is checked: what each route sends the workflow, how each answer and each refusal
 * becomes a response, who may do what, and that a Temporal call with no answer is a 503 in time. The real
 * workflow behind them runs in waitlist.int.test.ts.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildServer, type RoutePlugin } from '../server';
import type { Caller } from '../context';
import { replicaFixture } from '../../test/fixtures/restaurants';
import { waitlistDecider, type FreedTable, type WaitlistEvent } from '../../domain/reservation/waitlist';
import type { WaitlistDay, WaitlistQueries } from '../../projections/waitlist';
import type { ReservationQueries } from '../../projections/reservations';
import { InMemoryEventStore } from '../../eventstore/memory';
import { routeContext } from './context';
import { waitlistRoutes } from './waitlist';

const NOW = new Date('2026-12-20T08:00:00Z');
const DATE = '2026-12-24';
const restaurant = replicaFixture({ restaurantId: 'r1', ownerId: 'owner' });
const at = (hhmm: string) => `${DATE}T${hhmm}:00+01:00`;
const freed: FreedTable = { tableId: 't1', seats: 4, from: at('13:00'), until: at('15:00'), turnMinutes: 60, offerMinutes: 10 };

/** The read model: days by `restaurant|date`, each the fold of its events. */
class Days implements WaitlistQueries {
  days = new Map<string, WaitlistDay>();
  record(restaurantId: string, openingDate: string, events: WaitlistEvent[]) {
    this.days.set(`${restaurantId}|${openingDate}`, { restaurantId, openingDate, state: events.reduce(waitlistDecider.evolve, waitlistDecider.initialState()) });
  }
  async dayOfEntry(entryId: string) {
    return [...this.days.values()].find((d) => d.state.entries[entryId]) ?? null;
  }
  async day(restaurantId: string, openingDate: string) {
    return this.days.get(`${restaurantId}|${openingDate}`) ?? { restaurantId, openingDate, state: waitlistDecider.initialState() };
  }
}

type Call = { kind: 'updateWithStart' | 'update'; workflowId: string; update: string; args: unknown[]; updateId?: string; start?: Record<string, unknown> };

/** A Temporal client that records each call and answers with what `answer` says (a value, or throws). */
function fakeTemporal(answer: (call: Call) => Promise<unknown>): { client: Client; calls: Call[] } {
  const calls: Call[] = [];
  const run = (call: Call) => {
    calls.push(call);
    return answer(call);
  };
  const client = {
    withAbortSignal: (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
    workflow: {
      executeUpdateWithStart: (update: { name: string }, opts: { args: unknown[]; startWorkflowOperation: { options: Record<string, unknown>; workflowTypeOrFunc: unknown } }) =>
        run({
          kind: 'updateWithStart',
          workflowId: String(opts.startWorkflowOperation.options.workflowId),
          update: update.name,
          args: opts.args,
          start: { ...opts.startWorkflowOperation.options, type: opts.startWorkflowOperation.workflowTypeOrFunc },
        }),
      getHandle: (workflowId: string) => ({
        executeUpdate: (update: { name: string }, opts: { args: unknown[]; updateId?: string }) =>
          run({ kind: 'update', workflowId, update: update.name, args: opts.args, ...(opts.updateId ? { updateId: opts.updateId } : {}) }),
      }),
    },
  };
  return { client: client as unknown as Client, calls };
}

const users: Record<string, Caller> = {
  owner: { userId: 'owner', email: 'o@example.com', roles: ['customer', 'owner'] },
  ada: { userId: 'ada', email: 'ada@example.com', roles: ['customer'] },
  bob: { userId: 'bob', email: 'bob@example.com', roles: ['customer'] },
};

/** The signed-in caller from a test header (the auth plugin's job in the app). */
const callerFromHeader: RoutePlugin = Object.assign(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      const who = request.headers['x-test-user'];
      if (typeof who === 'string' && users[who]) request.caller = users[who];
    });
  },
  { [Symbol.for('skip-override')]: true },
);

let answer: (call: Call) => Promise<unknown>;
let temporal: ReturnType<typeof fakeTemporal>;
let days: Days;
let app: FastifyInstance;

beforeEach(async () => {
  answer = async () => {
    throw new Error('unexpected Temporal call');
  };
  temporal = fakeTemporal((c) => answer(c));
  days = new Days();
  const ctx = routeContext({
    temporal: temporal.client,
    taskQueue: 'reservations-q',
    restaurants: { get: async (id) => (id === 'r1' ? restaurant : null) },
    queries: {} as ReservationQueries,
    store: new InMemoryEventStore('reservation'),
    placementDeadlineMs: 300,
    now: () => NOW,
    // (for when the deps carry the read model too)
    waitlists: days,
  } as Parameters<typeof routeContext>[0]);
  const routes = waitlistRoutes(ctx, days);
  app = await buildServer({ plugins: [callerFromHeader, async (a) => routes(a)], docsUi: false });
  await app.ready();
});
afterEach(() => app.close());

const post = (url: string, who: string | undefined, payload: object = {}, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload, headers: { ...(who ? { 'x-test-user': who } : {}), ...headers } });
const get = (url: string, who?: string) => app.inject({ method: 'GET', url, headers: who ? { 'x-test-user': who } : {} });

const join = (entryId: string, customerId: string, over: object = {}): WaitlistEvent => ({
  type: 'WaitlistJoined',
  data: { entryId, customerId, partySize: 2, start: at('13:00'), flexMinutes: 0, ...over },
});
const offered = (entryId: string): WaitlistEvent => ({
  type: 'WaitlistOffered',
  data: { entryId, tableId: 't1', start: at('13:00'), expiresAt: '2026-12-20T08:10:00.000Z', freed, passedOver: [] },
});

describe('POST /restaurants/:id/waitlist', () => {
  test('joins by Update-with-Start of the day\'s workflow: 201, Location, position', async () => {
    answer = async () => ({ entryId: 'x', status: 'waiting', position: 3, created: true });
    const res = await post('/restaurants/r1/waitlist', 'ada', { partySize: 2, start: `${DATE}T13:00`, flexMinutes: 30 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({ entryId: expect.any(String), status: 'waiting', position: 3 });
    expect(res.headers.location).toBe(`/waitlist/${body.entryId}`);
    const [call] = temporal.calls;
    expect(call).toMatchObject({
      kind: 'updateWithStart',
      workflowId: `waitlist-r1-${DATE}`,
      update: 'join',
      // in the restaurant's own offset, as reservations keep their start
      args: [{ entryId: body.entryId, customerId: 'ada', partySize: 2, start: at('13:00'), flexMinutes: 30 }],
      start: { type: 'waitlistWorkflow', taskQueue: 'reservations-q', args: [{ restaurantId: 'r1', openingDate: DATE }], workflowIdConflictPolicy: 'USE_EXISTING' },
    });
  });

  test('flexMinutes defaults to 0; the same Idempotency-Key names the same entry, and a join already made is 200', async () => {
    let created = true;
    answer = async () => ({ entryId: 'x', status: 'waiting', position: 1, created });
    const first = await post('/restaurants/r1/waitlist', 'ada', { partySize: 2, start: at('13:00') }, { 'idempotency-key': 'k1' });
    created = false;
    const again = await post('/restaurants/r1/waitlist', 'ada', { partySize: 2, start: at('13:00') }, { 'idempotency-key': 'k1' });
    const other = await post('/restaurants/r1/waitlist', 'bob', { partySize: 2, start: at('13:00') }, { 'idempotency-key': 'k1' });
    expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
    expect(again.json().entryId).toBe(first.json().entryId);
    expect(other.json().entryId).not.toBe(first.json().entryId); // a key is the caller's own
    expect((temporal.calls[0]!.args[0] as { flexMinutes: number }).flexMinutes).toBe(0);
  });

  test('a free table is a 409 SLOT_AVAILABLE carrying the slot', async () => {
    answer = async () => {
      throw ApplicationFailure.create({ type: 'SLOT_AVAILABLE', message: 'A table is free', details: [{ start: at('13:00'), alternatives: [at('13:00')] }], nonRetryable: true });
    };
    const res = await post('/restaurants/r1/waitlist', 'ada', { partySize: 2, start: at('13:00') });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SLOT_AVAILABLE', start: at('13:00'), alternatives: [at('13:00')] });
  });

  test.each([
    ['a start in the past', { partySize: 2, start: '2026-12-19T13:00' }, 422, 'IN_THE_PAST'],
    ['a start between services', { partySize: 2, start: `${DATE}T18:00` }, 422, 'BETWEEN_SERVICES'],
    ['a party too large', { partySize: 9, start: at('13:00') }, 422, 'PARTY_TOO_LARGE'],
    ['flexMinutes over 120', { partySize: 2, start: at('13:00'), flexMinutes: 121 }, 400, undefined],
  ])('%s is refused before any Temporal call', async (_, payload, status, code) => {
    const res = await post('/restaurants/r1/waitlist', 'ada', payload);
    expect(res.statusCode).toBe(status);
    if (code) expect(res.json().code).toBe(code);
    expect(temporal.calls).toEqual([]);
  });

  test('an unknown restaurant is 404, no caller 401', async () => {
    expect((await post('/restaurants/nope/waitlist', 'ada', { partySize: 2, start: at('13:00') })).statusCode).toBe(404);
    expect((await post('/restaurants/r1/waitlist', undefined, { partySize: 2, start: at('13:00') })).statusCode).toBe(401);
  });

  test('no answer within the deadline is a 503 with Retry-After, in time', async () => {
    answer = () => new Promise(() => undefined);
    const t0 = Date.now();
    const res = await post('/restaurants/r1/waitlist', 'ada', { partySize: 2, start: at('13:00') });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('GET /waitlist/:entryId', () => {
  beforeEach(() => days.record('r1', DATE, [join('e1', 'ada'), join('e2', 'bob'), offered('e1')]));

  test('its diner and the owner see it; anyone else 403; an unknown entry 404', async () => {
    const mine = await get('/waitlist/e1', 'ada');
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({
      entryId: 'e1',
      restaurantId: 'r1',
      customerId: 'ada',
      partySize: 2,
      start: at('13:00'),
      flexMinutes: 0,
      status: 'offered',
      offer: { start: at('13:00'), tableId: 't1', expiresAt: '2026-12-20T08:10:00.000Z' },
    });
    expect((await get('/waitlist/e2', 'owner')).json()).toMatchObject({ entryId: 'e2', status: 'waiting', position: 1 });
    expect((await get('/waitlist/e1', 'bob')).statusCode).toBe(403);
    expect((await get('/waitlist/nope', 'ada')).statusCode).toBe(404);
  });
});

describe('POST /waitlist/:entryId/accept and /withdraw', () => {
  beforeEach(() => days.record('r1', DATE, [join('e1', 'ada'), join('e2', 'bob'), offered('e1')]));

  test('accept: an update of the day\'s workflow; 201 with the reservation, Location and a Consistency-Token', async () => {
    answer = async () => ({ entryId: 'e1', reservationId: 'res-1', status: 'accepted' });
    const res = await post('/waitlist/e1/accept', 'ada', {}, { 'idempotency-key': 'a1' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ reservationId: 'res-1', status: 'accepted' });
    expect(res.headers.location).toBe('/reservations/res-1');
    expect(res.headers['consistency-token']).toBeDefined();
    expect(temporal.calls).toEqual([{ kind: 'update', workflowId: `waitlist-r1-${DATE}`, update: 'acceptOffer', args: [{ entryId: 'e1', customerId: 'ada' }], updateId: expect.any(String) }]);
    // the same key, the same update: a retry joins the first accept
    await post('/waitlist/e1/accept', 'ada', {}, { 'idempotency-key': 'a1' });
    expect(temporal.calls[1]!.updateId).toBe(temporal.calls[0]!.updateId);
  });

  test.each(['NOT_OFFERED', 'OFFER_EXPIRED'])('accept refused by the workflow with %s is 409', async (code) => {
    answer = async () => {
      throw ApplicationFailure.create({ type: code, message: 'no', nonRetryable: true });
    };
    const res = await post('/waitlist/e1/accept', 'ada');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe(code);
  });

  test('accept after the day\'s run has ended is 409 NOT_OFFERED', async () => {
    answer = async () => {
      throw new WorkflowNotFoundError('gone', `waitlist-r1-${DATE}`, undefined);
    };
    const res = await post('/waitlist/e1/accept', 'ada');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'NOT_OFFERED', waitlistStatus: 'offered' });
  });

  test('only its diner may accept or withdraw (the owner neither): 403 without a Temporal call; 404 for no entry', async () => {
    for (const [url, who] of [
      ['/waitlist/e1/accept', 'owner'],
      ['/waitlist/e1/accept', 'bob'],
      ['/waitlist/e1/withdraw', 'owner'],
    ] as const) {
      expect((await post(url, who)).statusCode).toBe(403);
    }
    expect((await post('/waitlist/nope/withdraw', 'ada')).statusCode).toBe(404);
    expect(temporal.calls).toEqual([]);
  });

  test('withdraw: 200 withdrawn; after the run has ended, a withdrawal made stands and anything else is final', async () => {
    answer = async () => ({ entryId: 'e2', status: 'withdrawn' });
    const res = await post('/waitlist/e2/withdraw', 'bob');
    expect([res.statusCode, res.json()]).toEqual([200, { entryId: 'e2', status: 'withdrawn' }]);
    // no body at all (what the web app sends) is the same as {}
    const bare = await app.inject({ method: 'POST', url: '/waitlist/e2/withdraw', headers: { 'x-test-user': 'bob' } });
    expect([bare.statusCode, bare.json()]).toEqual([200, { entryId: 'e2', status: 'withdrawn' }]);
    expect(temporal.calls[0]).toMatchObject({ update: 'withdraw', args: [{ entryId: 'e2', customerId: 'bob' }] });

    answer = async () => {
      throw new WorkflowNotFoundError('gone', `waitlist-r1-${DATE}`, undefined);
    };
    expect((await post('/waitlist/e2/withdraw', 'bob')).json()).toMatchObject({ code: 'ALREADY_FINAL', waitlistStatus: 'waiting' });
    days.record('r1', DATE, [join('e1', 'ada'), join('e2', 'bob'), { type: 'WaitlistWithdrawn', data: { entryId: 'e2' } }]);
    const again = await post('/waitlist/e2/withdraw', 'bob');
    expect([again.statusCode, again.json()]).toEqual([200, { entryId: 'e2', status: 'withdrawn' }]);
  });
});

describe('GET /restaurants/:id/waitlist', () => {
  test('the owner gets the day in queue order; others 403; a bad date 400; an unknown restaurant 404', async () => {
    days.record('r1', DATE, [join('e1', 'ada'), join('e2', 'bob'), join('e3', 'ada', { partySize: 4 }), offered('e1')]);
    const res = await get(`/restaurants/r1/waitlist?date=${DATE}`, 'owner');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { entryId: string; status: string; position?: number }) => [i.entryId, i.status, i.position])).toEqual([
      ['e1', 'offered', undefined],
      ['e2', 'waiting', 1],
      ['e3', 'waiting', 2],
    ]);
    expect((await get(`/restaurants/r1/waitlist?date=2026-12-25`, 'owner')).json()).toEqual({ items: [] });
    expect((await get(`/restaurants/r1/waitlist?date=${DATE}`, 'ada')).statusCode).toBe(403);
    expect((await get('/restaurants/r1/waitlist?date=2026-02-30', 'owner')).statusCode).toBe(400);
    expect((await get('/restaurants/r1/waitlist', 'owner')).statusCode).toBe(400);
    expect((await get(`/restaurants/nope/waitlist?date=${DATE}`, 'owner')).statusCode).toBe(404);
  });
});
