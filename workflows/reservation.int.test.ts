/**
 * The reservation workflow on a real Temporal dev server (the installed CLI, `existing-path`: no download),
 * with the real activities over an in-memory event store. The activities' clock is placed a few seconds
 * before the start, and the test restaurant has 1-minute turns, so every deadline falls within seconds.
 *
 * RECORD_HISTORIES=1 writes each path's history to workflows/histories/ for the replay test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { localTestEnv } from '../test/temporal-env';
import { InMemoryEventStore } from '../eventstore/memory';
import { createReservationActivities, type ReservationServiceEvent } from '../activities/reservation';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { reservationStreamId } from '../domain/reservation/reservation';
import { reservationWorkflow } from './reservation';
import { acceptUpdate, cancelUpdate, rejectUpdate, requestUpdate, stateQuery, type ReservationRequest } from './messages';
import { DateTime } from 'luxon';

const HISTORIES = path.join(__dirname, 'histories');
let taskQueue = 'reservations-test';
const every = (open: string, close: string) => Object.fromEntries(
  ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ open, close }]]),
) as RestaurantReplica['openingHours'];

/** Starts 10 s after "now" on the activities' clock, so the first deadlines are seconds away. */
const LEAD_MS = 10_000;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await localTestEnv();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./index'), logger: quiet() });
}, 120_000);
afterAll(async () => env?.teardown());

function restaurant(overrides: Partial<RestaurantReplica['policy']> = {}, tables = [{ id: 't1', seats: 2 }, { id: 't2', seats: 4 }]): RestaurantReplica {
  return {
    restaurantId: randomUUID(),
    ownerId: 'owner-1',
    name: 'Trattoria Test',
    timezone: 'Europe/Rome',
    openingHours: every('00:00', '23:59'),
    tables,
    closed: false,
    version: 1,
    policy: {
      acceptance: 'manual',
      maxPartySize: 8,
      turnMinutes: 1,
      slotMinutes: 1,
      decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 0,
      maxAdvanceDays: 30,
      cancellationCutoffMinutes: 0,
      reminderMinutesBefore: 0,
      maxBookingsPerCustomerPerDay: 20,
      ...overrides,
    },
  };
}

/** A start on the minute grid, tomorrow at noon Rome time (away from midnight and any DST change). */
function nextStart(minuteOffset = 0): Date {
  return DateTime.now().setZone('Europe/Rome').plus({ days: 1 }).set({ hour: 12, minute: minuteOffset, second: 0, millisecond: 0 }).toJSDate();
}

async function harness(r: RestaurantReplica, start: Date) {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  // the activities' clock runs from LEAD_MS before the start, at real speed
  const offset = start.getTime() - LEAD_MS - Date.now();
  const activities = createReservationActivities({
    store,
    restaurants: { get: async (id) => (id === r.restaurantId ? r : null) },
    now: () => new Date(Date.now() + offset),
  });
  taskQueue = `reservations-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return { store, worker };
}

async function book(r: RestaurantReplica, start: Date, partySize = 2, reservationId = randomUUID()) {
  const input: ReservationRequest = {
    reservationId,
    restaurantId: r.restaurantId,
    customerId: 'customer-1',
    partySize,
    start: start.toISOString(),
    requestHash: 'h',
  };
  const op = new WithStartWorkflowOperation(reservationWorkflow, {
    workflowId: `reservation-${reservationId}`,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const placed = await env.client.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash: 'h' }], startWorkflowOperation: op });
  return { placed, handle: (await op.workflowHandle()) as WorkflowHandle<typeof reservationWorkflow> };
}

async function record(name: string, handle: WorkflowHandle) {
  if (!process.env.RECORD_HISTORIES) return;
  fs.mkdirSync(HISTORIES, { recursive: true });
  const history = await handle.fetchHistory();
  fs.writeFileSync(path.join(HISTORIES, `${name}.json`), historyToJSON(history));
}

const types = async (store: InMemoryEventStore<ReservationServiceEvent>, id: string) =>
  (await store.readStream(reservationStreamId(id))).map((e) => e.type);

const owner = { actor: { userId: 'owner-1', role: 'owner' as const } };
const customer = { actor: { userId: 'customer-1', role: 'customer' as const } };

test('manual: owner accepts → reminder → completed at the end of the turn', async () => {
  const r = restaurant();
  const start = nextStart();
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    expect(placed).toMatchObject({ status: 'pending', tableId: 't1', created: true });
    expect(await handle.executeUpdate(acceptUpdate, { args: [owner] })).toMatchObject({ status: 'accepted' });
    const final = await handle.result();
    expect(final.status).toBe('completed');
    expect(await types(store, placed.reservationId)).toEqual([
      'ReservationRequested',
      'ReservationAccepted',
      'ReminderDue',
      'ReservationCompleted',
    ]);
    await record('manual-accepted-completed', handle);
  });
}, 120_000);

test('manual: owner rejects with a reason → rejected, table released', async () => {
  const r = restaurant({}, [{ id: 't1', seats: 2 }]);
  const start = nextStart(5);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const first = await book(r, start);
    await expect(first.handle.executeUpdate(rejectUpdate, { args: [customer] })).rejects.toThrow(WorkflowUpdateFailedError);
    expect(await first.handle.executeUpdate(rejectUpdate, { args: [{ ...owner, reason: 'private event' }] })).toMatchObject({ status: 'rejected' });
    expect((await first.handle.result()).status).toBe('rejected');
    expect(await types(store, first.placed.reservationId)).toEqual(['ReservationRequested', 'ReservationRejected']);
    // the only table is free again
    const second = await book(r, start);
    expect(second.placed.tableId).toBe('t1');
    await second.handle.terminate('test cleanup');
    await record('manual-rejected', first.handle);
  });
}, 60_000);

test('manual: no decision before the deadline → expired, table released', async () => {
  const r = restaurant({ decisionTimeoutMinutes: 60 });
  const start = nextStart(10);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    // the deadline is never past the start: LEAD_MS away
    const final = await handle.result();
    expect(final.status).toBe('expired');
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationExpired']);
    const ledger = (await store.readStream(`ledger-${r.restaurantId}-${DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()}`)).map((e) => e.type);
    expect(ledger).toEqual(['TableHeld', 'TableReleased']);
    await expect(handle.executeUpdate(acceptUpdate, { args: [owner] })).rejects.toThrow();
    await record('manual-expired', handle);
  });
}, 60_000);

test('auto: accepted at once; the customer cancels → cancelled, table released', async () => {
  const r = restaurant({ acceptance: 'auto' });
  const start = nextStart(15);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    expect(placed.status).toBe('accepted');
    expect(await handle.executeUpdate(cancelUpdate, { args: [{ ...customer, reason: 'ill' }] })).toMatchObject({ status: 'cancelled' });
    // the workflow has ended: a second cancel is refused (the API answers 409 ALREADY_FINAL)
    await expect(handle.executeUpdate(cancelUpdate, { args: [customer] })).rejects.toThrow();
    expect((await handle.result()).status).toBe('cancelled');
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationCancelled']);
    const q = await handle.query(stateQuery);
    expect(q.history.map((h) => h.type)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationCancelled']);
    await record('auto-cancelled', handle);
  });
}, 60_000);

test('no free table → the request update fails with NO_TABLE and alternatives; nothing is written', async () => {
  const r = restaurant({ acceptance: 'auto' }, [{ id: 't1', seats: 2 }]);
  const start = nextStart(20);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const first = await book(r, start);
    const err = await book(r, start).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('NO_TABLE');
    expect((cause.details?.[0] as { alternatives: string[] }).alternatives.length).toBeGreaterThan(0);
    await first.handle.terminate('test cleanup');
    void store;
  });
}, 60_000);

test('the same request again (Update-with-Start, use-existing) returns the same reservation, created=false', async () => {
  const r = restaurant({ acceptance: 'auto' });
  const start = nextStart(25);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const id = randomUUID();
    const a = await book(r, start, 2, id);
    const b = await book(r, start, 2, id);
    expect(a.placed.created).toBe(true);
    expect(b.placed).toMatchObject({ reservationId: id, created: false, tableId: a.placed.tableId });
    expect(await types(store, id)).toEqual(['ReservationRequested', 'ReservationAccepted']);
    await a.handle.terminate('test cleanup');
  });
}, 60_000);

function quiet() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never;
}
