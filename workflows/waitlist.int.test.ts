/**
 * The waitlist workflow on a real Temporal dev server (the CLI the stack installed), with the real
 * reservation workflow beside it and both activity sets over one in-memory store: a cancellation frees the
 * table, the first fitting entry is offered it, accepts, and is booked on that table; an offer that lapses
 * or is withdrawn passes the table to the next entry. The activities run on the real clock (the workflow's
 * timers and the offers' expiry are one clock in production too).
 *
 * RECORD_HISTORIES=1 writes each path's history to workflows/histories/waitlist/ for the replay test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DateTime } from 'luxon';
import { localTestEnv } from '../test/temporal-env';
import { eventually } from '../test/polling';
import { InMemoryEventStore } from '../eventstore/memory';
import { createReservationActivities, type ReservationServiceEvent } from '../activities/reservation';
import { createWaitlistActivities } from '../activities/waitlist';
import { ledgerWriter } from '../activities/ledgers';
import type { EventStore } from '../eventstore/types';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { replicaFixture } from '../test/fixtures/restaurants';
import { ledgerStreamId, ledgerDecider, type LedgerEvent } from '../domain/reservation/ledger';
import { openingDateFor } from '../domain/reservation/placement';
import { positionOf, waitlistStreamId } from '../domain/reservation/waitlist';
import { formatInZone } from '../domain/time/zoned-time';
import { cancelUpdate, requestUpdate, type ReservationRequest } from './messages';
import { reservationWorkflow } from './reservation';
import { waitlistWorkflow } from './waitlist';
import { acceptOfferUpdate, joinUpdate, tableFreedSignal, waitlistQuery, waitlistWorkflowId, withdrawUpdate, type JoinInput, type WaitlistState } from './waitlist-messages';

const HISTORIES = path.join(__dirname, 'histories', 'waitlist');

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await localTestEnv();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./index'), logger: quiet() });
}, 120_000);
afterAll(async () => env?.teardown());

const ZONE = 'Europe/Rome';
const allDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ open: '00:00', close: '23:59' }]])) as RestaurantReplica['openingHours'];

/** One 4-seat table, so a single booking fills a start; open all day, a one-minute grid and turn, no advance notice. */
function restaurant(policy: Partial<RestaurantReplica['policy']> = {}): RestaurantReplica {
  const base = replicaFixture();
  return replicaFixture({
    restaurantId: randomUUID(),
    openingHours: allDay,
    policy: { ...base.policy, turnMinutes: 1, slotMinutes: 1, minAdvanceMinutes: 0, cancellationCutoffMinutes: 0, reminderMinutesBefore: 0, ...policy },
  });
}

/** A start on the minute grid a few minutes ahead (the offers are held until it at the latest). */
const startIn = (minutes: number): Date => DateTime.now().setZone(ZONE).plus({ minutes }).startOf('minute').toJSDate();

async function harness(r: RestaurantReplica) {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  const restaurants = { get: async (id: string) => (id === r.restaurantId ? r : null) };
  const taskQueue = `waitlist-test-${randomUUID()}`;
  // as the worker wires them: one set of ledger lanes for both (workers/reservation-worker.ts)
  const ledgers = ledgerWriter(store as unknown as EventStore<LedgerEvent>, { maxAttempts: 10 });
  const activities = {
    ...createReservationActivities({ store, restaurants, ledgers }),
    ...createWaitlistActivities({ store, restaurants, temporal: async () => env.client, taskQueue, ledgers }),
  };
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return { store, worker, taskQueue };
}

type Harness = Awaited<ReturnType<typeof harness>>;

async function book(h: Harness, r: RestaurantReplica, start: Date, customerId = 'customer-0') {
  const reservationId = randomUUID();
  const input: ReservationRequest = { reservationId, restaurantId: r.restaurantId, customerId, partySize: 2, start: start.toISOString(), requestHash: 'h' };
  const op = new WithStartWorkflowOperation(reservationWorkflow, { workflowId: `reservation-${reservationId}`, taskQueue: h.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
  const placed = await env.client.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash: 'h' }], startWorkflowOperation: op });
  return { placed, handle: (await op.workflowHandle()) as WorkflowHandle<typeof reservationWorkflow> };
}

/** Joins through Update-with-Start, as the API does. */
async function join(h: Harness, r: RestaurantReplica, start: Date, customerId: string, partySize = 2) {
  const openingDate = openingDateFor(r, start);
  const entry: JoinInput = { entryId: randomUUID(), customerId, partySize, start: start.toISOString(), flexMinutes: 0 };
  const op = new WithStartWorkflowOperation(waitlistWorkflow, {
    workflowId: waitlistWorkflowId(r.restaurantId, openingDate),
    taskQueue: h.taskQueue,
    args: [{ restaurantId: r.restaurantId, openingDate }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const joined = await env.client.workflow.executeUpdateWithStart(joinUpdate, { args: [entry], startWorkflowOperation: op });
  return { ...joined, handle: (await op.workflowHandle()) as WorkflowHandle<typeof waitlistWorkflow> };
}

const entryOf = (s: WaitlistState, id: string) => s.entries[id]!;

async function offeredTo(handle: WorkflowHandle<typeof waitlistWorkflow>, entryId: string, timeoutMs = 15_000): Promise<WaitlistState> {
  let seen: WaitlistState | undefined;
  await eventually(async () => {
    seen = await handle.query(waitlistQuery);
    return entryOf(seen, entryId).status === 'offered';
  }, timeoutMs);
  return seen!;
}

async function record(name: string, handle: WorkflowHandle) {
  const file = path.join(HISTORIES, `${name}.json`);
  if (!process.env.RECORD_HISTORIES || fs.existsSync(file)) return;
  fs.mkdirSync(HISTORIES, { recursive: true });
  fs.writeFileSync(file, historyToJSON(await handle.fetchHistory()));
}

test('cancel → the first fitting entry is offered the table → accepts → booked on it', async () => {
  const r = restaurant();
  const start = startIn(5);
  const h = await harness(r);
  await h.worker.runUntil(async () => {
    const taken = await book(h, r, start);
    expect(taken.placed).toMatchObject({ status: 'accepted', tableId: 't1' });
    const a = await join(h, r, start, 'diner-a');
    const b = await join(h, r, start, 'diner-b');
    expect([a.position, b.position]).toEqual([1, 2]);

    // the diner cancels: the reservation workflow tells the day's waitlist, which offers the table to the first in line
    await taken.handle.executeUpdate(cancelUpdate, { args: [{ actor: { userId: 'customer-0', role: 'customer' } }] });
    const offered = await offeredTo(a.handle, a.entryId);
    expect(entryOf(offered, a.entryId).offer).toMatchObject({ tableId: 't1', start: formatInZone(start, ZONE) });
    expect(entryOf(offered, b.entryId).status).toBe('waiting');
    expect(positionOf(offered, b.entryId)).toBe(1);

    // only its diner accepts; then the reservation is placed on the held table
    await expect(a.handle.executeUpdate(acceptOfferUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-b' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    const accepted = await a.handle.executeUpdate(acceptOfferUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-a' }] });
    expect(accepted).toMatchObject({ entryId: a.entryId, status: 'accepted' });
    const reservation = env.client.workflow.getHandle(`reservation-${accepted.reservationId}`);
    expect((await reservation.query('state')) as { placement: { tableId: string } }).toMatchObject({ status: 'accepted', placement: { tableId: 't1' } });
    const after = await a.handle.query(waitlistQuery);
    expect(entryOf(after, a.entryId)).toMatchObject({ status: 'booked', reservationId: accepted.reservationId });
    // the ledger holds the table once, under the new reservation
    const ledgerEvents = (await h.store.readStream(ledgerStreamId(r.restaurantId, openingDateFor(r, start)))) as unknown as LedgerEvent[];
    const ledger = ledgerEvents.reduce(ledgerDecider.evolve, ledgerDecider.initialState());
    expect(Object.values(ledger.bookings).map((x) => [x.reservationId, x.tableId])).toEqual([[accepted.reservationId, 't1']]);
    // a second accept is answered the same (a retry), never a second booking
    expect(await a.handle.executeUpdate(acceptOfferUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-a' }] })).toMatchObject({ reservationId: accepted.reservationId });

    const types = (await h.store.readStream(waitlistStreamId(r.restaurantId, openingDateFor(r, start)))).map((e) => e.type);
    expect(types).toEqual(['WaitlistJoined', 'WaitlistJoined', 'WaitlistOffered', 'WaitlistOfferAccepted']);
    await reservation.terminate('test cleanup');
    await record('cancel-offer-accept', a.handle);
    await a.handle.terminate('test cleanup');
  });
}, 90_000);

test('a join while a table is free is refused with SLOT_AVAILABLE and the free start', async () => {
  const r = restaurant();
  const start = startIn(5);
  const h = await harness(r);
  await h.worker.runUntil(async () => {
    const err = await join(h, r, start, 'diner-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'SLOT_AVAILABLE', details: [{ start: formatInZone(start, ZONE) }] });
    await env.client.workflow.getHandle(waitlistWorkflowId(r.restaurantId, openingDateFor(r, start))).terminate('test cleanup');
  });
}, 60_000);

test('withdraw while offered → the next entry is offered the table; an offer that lapses passes it on too', async () => {
  // one restaurant per path, both on the real clock at once (the lapse takes the policy's one minute)
  const withdrawn = restaurant();
  const lapsing = restaurant({ waitlistOfferMinutes: 1 });
  const start = startIn(5);
  const h1 = await harness(withdrawn);
  const h2 = await harness(lapsing);
  const free = async (h: Harness, r: RestaurantReplica) => {
    const taken = await book(h, r, start);
    const a = await join(h, r, start, 'diner-a');
    const b = await join(h, r, start, 'diner-b');
    const c = await join(h, r, start, 'diner-c');
    // the table freed, told as the reservation workflow tells it
    await taken.handle.terminate('test: freed by hand');
    const { start: s, end, tableId } = taken.placed;
    await h.store.append(ledgerStreamId(r.restaurantId, openingDateFor(r, start)), [{ type: 'TableReleased', data: { reservationId: taken.placed.reservationId, tableId, reason: 'cancel' } }], { expectedVersion: 'any' });
    await a.handle.signal(tableFreedSignal, { reservationId: taken.placed.reservationId, tableId, start: s, end, reason: 'cancel' });
    await offeredTo(a.handle, a.entryId);
    return { a, b, c };
  };
  await Promise.all([
    h1.worker.runUntil(async () => {
      const { a, b, c } = await free(h1, withdrawn);
      expect(await a.handle.executeUpdate(withdrawUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-a' }] })).toEqual({ entryId: a.entryId, status: 'withdrawn' });
      const s = await offeredTo(a.handle, b.entryId);
      expect(entryOf(s, b.entryId).offer).toMatchObject({ tableId: 't1', passedOver: [a.entryId] });
      expect(entryOf(s, c.entryId).status).toBe('waiting');
      expect(Object.keys(s.offeredTables)).toEqual(['t1']); // one live offer for the one table
      await record('withdraw-while-offered', a.handle);
      await a.handle.terminate('test cleanup');
    }),
    h2.worker.runUntil(async () => {
      const { a, b, c } = await free(h2, lapsing);
      const offered = await a.handle.query(waitlistQuery);
      const expiresAt = Date.parse(entryOf(offered, a.entryId).offer!.expiresAt);
      // nobody accepts: at expiresAt the workflow's timer passes the table to the next in line
      const s = await offeredTo(a.handle, b.entryId, 75_000);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect(entryOf(s, a.entryId).status).toBe('waiting'); // back in its place, passed over for this table
      expect(positionOf(s, a.entryId)).toBe(1);
      expect(entryOf(s, c.entryId).status).toBe('waiting');
      // accepting the lapsed offer is refused
      const late = await a.handle.executeUpdate(acceptOfferUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-a' }] }).catch((e: unknown) => e);
      expect((late as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'NOT_OFFERED' });
      await record('offer-lapsed', a.handle);
      await a.handle.terminate('test cleanup');
    }),
  ]);
}, 150_000);

test('a table freed again while its last freeing is still offered waits its turn: never two offers for one table', async () => {
  const r = restaurant();
  const early = startIn(5);
  const late = startIn(7);
  const h = await harness(r);
  await h.worker.runUntil(async () => {
    const first = await book(h, r, early);
    const second = await book(h, r, late);
    const a = await join(h, r, early, 'diner-a');
    const b = await join(h, r, late, 'diner-b');
    const cancel = (x: Awaited<ReturnType<typeof book>>) => x.handle.executeUpdate(cancelUpdate, { args: [{ actor: { userId: 'customer-0', role: 'customer' } }] });
    await cancel(first);
    await offeredTo(a.handle, a.entryId);
    // the same table is freed again, later that evening, while its first freeing is offered to A
    await cancel(second);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const held = await a.handle.query(waitlistQuery);
    expect(entryOf(held, b.entryId).status).toBe('waiting');
    expect(held.offeredTables).toEqual({ t1: a.entryId });
    // A leaves: the first freeing fits nobody else, then the second one is offered to B
    await a.handle.executeUpdate(withdrawUpdate, { args: [{ entryId: a.entryId, customerId: 'diner-a' }] });
    const s = await offeredTo(a.handle, b.entryId);
    expect(entryOf(s, b.entryId).offer).toMatchObject({ tableId: 't1', start: formatInZone(late, ZONE) });
    await record('freed-again-while-offered', a.handle);
    await a.handle.terminate('test cleanup');
  });
}, 90_000);

function quiet() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never;
}
