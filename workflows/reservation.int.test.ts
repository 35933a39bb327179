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
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { localTestEnv } from '../test/temporal-env';
import { InMemoryEventStore } from '../eventstore/memory';
import { createReservationActivities, type ReservationServiceEvent } from '../activities/reservation';
import type { RestaurantReplica } from '../domain/reservation/restaurant';
import { reservationStreamId } from '../domain/reservation/reservation';
import { localTimeLabel, reservationStartMetadata } from '../domain/reservation/labels';
import { placedAtOf } from '../domain/reservation/outcomes';
import { reservationWorkflow } from './reservation';
import {
  SA,
  acceptUpdate,
  cancelUpdate,
  completeEarlyUpdate,
  noShowUpdate,
  rejectUpdate,
  requestUpdate,
  seatUpdate,
  stateQuery,
  type ReservationActivities,
  type ReservationRequest,
} from './messages';
import { waitlistWorkflowId } from './waitlist-messages';
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
      waitlistOfferMinutes: 10,
      seatEarlyMinutes: 30,
      noShowGraceMinutes: 15,
      ...overrides,
    },
  };
}

/** A start on the minute grid, tomorrow at noon Rome time (away from midnight and any DST change). */
function nextStart(minuteOffset = 0): Date {
  return DateTime.now().setZone('Europe/Rome').plus({ days: 1 }).set({ hour: 12, minute: minuteOffset, second: 0, millisecond: 0 }).toJSDate();
}

async function harness(
  r: RestaurantReplica,
  start: Date,
  override: (a: ReservationActivities) => Partial<ReservationActivities> = () => ({}),
  leadMs = LEAD_MS,
) {
  const store = new InMemoryEventStore<ReservationServiceEvent>('reservation');
  // the activities' clock runs from `leadMs` before the start, at real speed
  const offset = start.getTime() - leadMs - Date.now();
  const activities = createReservationActivities({
    store,
    restaurants: { get: async (id) => (id === r.restaurantId ? r : null) },
    now: () => new Date(Date.now() + offset),
  });
  taskQueue = `reservations-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: { ...activities, ...override(activities) } });
  return { store, worker };
}

async function book(r: RestaurantReplica, start: Date, partySize = 2, reservationId = randomUUID(), extra: Partial<ReservationRequest> = {}) {
  const input: ReservationRequest = {
    reservationId,
    restaurantId: r.restaurantId,
    customerId: 'customer-1',
    partySize,
    start: start.toISOString(),
    requestHash: 'h',
    ...extra,
  };
  const op = new WithStartWorkflowOperation(reservationWorkflow, {
    workflowId: `reservation-${reservationId}`,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // as the API starts it (api/reservation/request.ts)
    ...reservationStartMetadata({ reservationId, restaurantId: r.restaurantId, restaurantName: r.name, timezone: r.timezone, partySize, start, acceptance: r.policy.acceptance }),
  });
  const placed = await env.client.workflow.executeUpdateWithStart(requestUpdate, { args: [{ requestHash: 'h' }], startWorkflowOperation: op });
  return { placed, handle: (await op.workflowHandle()) as WorkflowHandle<typeof reservationWorkflow> };
}

/**
 * What the histories this code records are named after (`<path>.<RECORDING>.json`; the first ones have no
 * suffix): a change to the workflow's commands behind a new `patched()` gets a new name here, so its paths
 * are recorded beside the older ones and replay checks both.
 */
const RECORDING = 'waitlist-feed';

/** Records a path's history once: histories recorded by older code stay as they are, so replay checks them. */
async function record(name: string, handle: WorkflowHandle) {
  const file = path.join(HISTORIES, `${name}.${RECORDING}.json`);
  if (!process.env.RECORD_HISTORIES || fs.existsSync(file)) return;
  fs.mkdirSync(HISTORIES, { recursive: true });
  const history = await handle.fetchHistory();
  fs.writeFileSync(file, historyToJSON(history));
}

const types = async (store: InMemoryEventStore<ReservationServiceEvent>, id: string) =>
  (await store.readStream(reservationStreamId(id))).map((e) => e.type);

/** When each of a reservation's events was stored (epoch ms, the real clock), by type. */
const storedAt = async (store: InMemoryEventStore<ReservationServiceEvent>, id: string) =>
  Object.fromEntries((await store.readStream(reservationStreamId(id))).map((e) => [e.type, Date.parse(e.metadata.occurredAt)]));

/** Polls until `check` holds (timers fire on the real clock). */
async function eventually(check: () => Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

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
    const placedAt = Date.now();
    // the deadline is never past the start: LEAD_MS away (less the time the worker took to start)
    expect(placed.decisionTimeoutMs).toBe(placed.startInMs);
    expect(placed.decisionTimeoutMs).toBeLessThanOrEqual(LEAD_MS);
    const final = await handle.result();
    expect(final.status).toBe('expired');
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationExpired']);
    // it expired when its deadline came, not before and not much after
    const expiredAt = (await storedAt(store, placed.reservationId)).ReservationExpired!;
    expect(expiredAt).toBeGreaterThanOrEqual(placedAt + placed.decisionTimeoutMs - 1_000);
    expect(expiredAt).toBeLessThan(placedAt + placed.decisionTimeoutMs + 3_000);
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
    const refusedId = randomUUID();
    const err = await book(r, start, 2, refusedId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('NO_TABLE');
    expect((cause.details?.[0] as { alternatives: string[] }).alternatives.length).toBeGreaterThan(0);
    expect(await types(store, refusedId)).toEqual([]);
    const ledger = await store.readStream(`ledger-${r.restaurantId}-${DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()}`);
    expect(ledger.map((e) => [e.type, (e.data as { reservationId: string }).reservationId])).toEqual([['TableBooked', first.placed.reservationId]]);
    await first.handle.terminate('test cleanup');
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
    await record('auto-requested-twice', a.handle);
    await a.handle.terminate('test cleanup');
  });
}, 60_000);

test('a reminder that fails for good alerts and leaves the reservation accepted with its table, then completes', async () => {
  const r = restaurant();
  const start = nextStart(30);
  const { store, worker } = await harness(r, start, (a) => ({
    recordOutcome: async (input) => {
      if (input.outcome === 'reminder') throw ApplicationFailure.create({ type: 'SMS_DOWN', message: 'the reminder could not be sent', nonRetryable: true });
      return a.recordOutcome(input);
    },
  }));
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    await handle.executeUpdate(acceptUpdate, { args: [owner] });
    // the reminder is due at once (reminderMinutesBefore 0 → at the start, LEAD_MS away); then the turn ends
    const final = await handle.result();
    expect(final.status).toBe('completed');
    expect(final.alerts).toEqual([expect.stringContaining('reminder could not be recorded')]);
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationCompleted']);
    const ledger = (await store.readStream(`ledger-${r.restaurantId}-${DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()}`)).map((e) => e.type);
    // the table was never given away while the booking stood
    expect(ledger).toEqual(['TableHeld', 'TableConfirmed']);
    await record('manual-reminder-failed', handle);
  });
}, 120_000);

test('a refused request ends with ReservationStatus not-placed in visibility and keeps its refusal', async () => {
  const r = restaurant({ acceptance: 'auto' }, [{ id: 't1', seats: 2 }]);
  const start = nextStart(35);
  const { worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const first = await book(r, start);
    const id = randomUUID();
    await expect(book(r, start, 2, id)).rejects.toThrow(WorkflowUpdateFailedError);
    const handle = env.client.workflow.getHandle<typeof reservationWorkflow>(`reservation-${id}`);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'not-placed', requestHash: 'h', refusal: { code: 'NO_TABLE' } });
    expect((await handle.describe()).typedSearchAttributes.get(SA.status)).toBe('not-placed');
    await record('auto-no-table', handle);
    await first.handle.terminate('test cleanup');
  });
}, 60_000);

test('a run that starts after the API stopped waiting (answerBy) withdraws: nothing written, and the run fails so the key may be used again', async () => {
  const r = restaurant({ acceptance: 'auto' });
  const start = nextStart(40);
  const { store, worker } = await harness(r, start);
  await worker.runUntil(async () => {
    const id = randomUUID();
    const err = await book(r, start, 2, id, { answerBy: new Date(Date.now() - 1000).toISOString() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('REQUEST_WITHDRAWN');
    const handle = env.client.workflow.getHandle(`reservation-${id}`);
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect(await types(store, id)).toEqual([]);
    expect(await store.readStream(`ledger-${r.restaurantId}-${DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()}`)).toEqual([]);
    await record('withdrawn', handle);
  });
}, 60_000);

/** 80 s ahead: a cutoff and a reminder lead of one minute fall 20 s after the worker starts. */
const MINUTE_AHEAD = 80_000;

test('cutoff 1 minute: a customer cancels before it (the workflow and the decider agree)', async () => {
  const r = restaurant({ acceptance: 'auto', cancellationCutoffMinutes: 1, reminderMinutesBefore: 1 });
  const start = nextStart(45);
  const { store, worker } = await harness(r, start, undefined, MINUTE_AHEAD);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    expect(placed.startInMs - placed.customerCutoffInMs).toBe(60_000);
    expect(await handle.executeUpdate(cancelUpdate, { args: [customer] })).toMatchObject({ status: 'cancelled' });
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationCancelled']);
  });
}, 60_000);

test('reminder lead 1 minute: the reminder falls due at its instant; then past the cutoff the customer is refused PAST_CUTOFF, the owner cancels', async () => {
  const r = restaurant({ acceptance: 'auto', cancellationCutoffMinutes: 1, reminderMinutesBefore: 1 });
  const start = nextStart(50);
  const { store, worker } = await harness(r, start, undefined, MINUTE_AHEAD);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start);
    const placedAt = Date.now();
    // one minute before the start, as is the cutoff
    expect(placed.startInMs - placed.reminderInMs).toBe(60_000);
    expect(placed.startInMs - placed.customerCutoffInMs).toBe(60_000);
    expect(placed.reminderInMs).toBeLessThanOrEqual(MINUTE_AHEAD - 60_000);
    await eventually(async () => (await types(store, placed.reservationId)).includes('ReminderDue'), 30_000);
    const remindedAt = (await storedAt(store, placed.reservationId)).ReminderDue!;
    expect(remindedAt).toBeGreaterThanOrEqual(placedAt + placed.reminderInMs - 1_000);
    expect(remindedAt).toBeLessThan(placedAt + placed.reminderInMs + 3_000);
    // the cutoff (also a minute before the start) has passed
    const err = await handle.executeUpdate(cancelUpdate, { args: [customer] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('PAST_CUTOFF');
    expect(await handle.executeUpdate(cancelUpdate, { args: [{ ...owner, reason: 'kitchen closed' }] })).toMatchObject({ status: 'cancelled' });
    expect((await handle.result()).status).toBe('cancelled');
    expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReminderDue', 'ReservationCancelled']);
    await record('auto-reminded-owner-cancelled-past-cutoff', handle);
  });
}, 90_000);

test('the Web UI reads the run: static summary and details, current details as it moves on, activity and timer summaries', async () => {
  const r = restaurant();
  const start = nextStart(55);
  const { worker } = await harness(r, start, undefined, MINUTE_AHEAD);
  await worker.runUntil(async () => {
    const { placed, handle } = await book(r, start, 3);
    const local = (ms: number) => `${localTimeLabel(ms, 'Europe/Rome')} (Europe/Rome)`;
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`Trattoria Test · party of 3 · ${localTimeLabel(start, 'Europe/Rome')}`);
    expect((await described.staticDetails())?.split('\n')).toEqual([
      `**Restaurant:** Trattoria Test (\`${r.restaurantId}\`)`,
      '**Party:** 3',
      `**Start:** ${local(start.getTime())}, ${start.toISOString()}`,
      '**Acceptance:** manual (the owner decides)',
      `**Reservation:** \`${placed.reservationId}\``,
    ]);
    // current details: what the UI's metadata query answers, kept by the workflow
    const current = async () => (await handle.query(workflowMetadataQuery)).currentDetails?.split('\n');
    expect(await current()).toEqual([
      "**Status:** pending: waiting for the owner's decision",
      `**Table:** ${placed.tableId}`,
      `**Decide by:** ${local(placedAtOf(placed) + placed.decisionTimeoutMs)}`,
    ]);
    await handle.executeUpdate(acceptUpdate, { args: [owner] });
    expect(await current()).toEqual([
      '**Status:** accepted',
      `**Table:** ${placed.tableId}`,
      `**Reminder:** ${local(placedAtOf(placed) + placed.reminderInMs)}`,
      `**Turn ends:** ${local(placedAtOf(placed) + placed.endInMs)}`,
    ]);
    await handle.executeUpdate(cancelUpdate, { args: [{ ...owner, reason: 'kitchen closed' }] });
    expect((await handle.result()).status).toBe('cancelled');
    expect(await current()).toEqual(['**Status:** cancelled', `**Table:** ${placed.tableId}`]);

    // the summaries the commands carried, as the history (and the UI's event list) has them
    const summary = (m: { summary?: unknown } | null | undefined) => (m?.summary ? defaultPayloadConverter.fromPayload(m.summary as never) : undefined);
    const events = (await handle.fetchHistory()).events ?? [];
    const activities = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [e.activityTaskScheduledEventAttributes!.activityType?.name, summary(e.userMetadata)]);
    expect(activities).toEqual([
      ['recordOutcome', "record the owner's acceptance"],
      ['recordOutcome', 'record the cancellation by the owner'],
    ]);
    const timers = events.filter((e) => e.timerStartedEventAttributes).map((e) => summary(e.userMetadata));
    expect(timers).toEqual([
      `decision deadline at ${localTimeLabel(placedAtOf(placed) + placed.decisionTimeoutMs, 'Europe/Rome')}`,
      `reminder due at ${localTimeLabel(placedAtOf(placed) + placed.reminderInMs, 'Europe/Rome')}`,
    ]);
    // the local placement is a marker; its summary rides on the marker event
    const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((e) => summary(e.userMetadata));
    expect(markers).toEqual(['place the request: hold a table for 3']);
    await record('manual-accepted-owner-cancelled', handle);
  });
}, 90_000);

/** The refusal an update failed with (its domain code). */
async function refusedWith(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
}

const ledgerOf = async (store: InMemoryEventStore<ReservationServiceEvent>, r: RestaurantReplica, start: Date) =>
  (await store.readStream(`ledger-${r.restaurantId}-${DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()}`)).map((e) => [
    e.type,
    (e.data as { reason?: string }).reason,
  ]);

describe('the floor', () => {
  test('the owner seats the party before its start; seated, it keeps its table and completes at the end of its turn', async () => {
    const r = restaurant({ acceptance: 'auto' });
    const start = nextStart(57);
    const { store, worker } = await harness(r, start);
    await worker.runUntil(async () => {
      const { placed, handle } = await book(r, start);
      const placedAt = Date.now();
      expect(placed).toMatchObject({ status: 'accepted', seatEarlyMinutes: 30, noShowGraceMinutes: 15 });
      expect(await refusedWith(handle.executeUpdate(seatUpdate, { args: [customer] }))).toBe('FORBIDDEN');
      expect(await refusedWith(handle.executeUpdate(completeEarlyUpdate, { args: [owner] }))).toBe('NOT_SEATED');
      // before the start, within the 30 minutes' allowance
      expect(await handle.executeUpdate(seatUpdate, { args: [owner] })).toMatchObject({ status: 'seated' });
      expect(await refusedWith(handle.executeUpdate(seatUpdate, { args: [owner] }))).toBe('NOT_ACCEPTED');
      expect(await refusedWith(handle.executeUpdate(noShowUpdate, { args: [owner] }))).toBe('NOT_ACCEPTED');
      expect(await refusedWith(handle.executeUpdate(cancelUpdate, { args: [owner] }))).toBe('ALREADY_STARTED');
      expect((await handle.query(stateQuery)).status).toBe('seated');
      const final = await handle.result();
      expect(final.status).toBe('completed');
      // seated before the reminder fell due: no reminder; completed at the end of the turn
      expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationSeated', 'ReservationCompleted']);
      expect((await storedAt(store, placed.reservationId)).ReservationCompleted).toBeGreaterThanOrEqual(placedAt + placed.endInMs - 1_000);
      // a turn that ran to its end keeps its booking: nothing was given back
      expect(await ledgerOf(store, r, start)).toEqual([['TableBooked', undefined]]);
      await record('auto-seated-completed', handle);
    });
  }, 150_000);

  test('a no-show after the grace frees the table (the ledger releases it) and tells the waitlist of that day, if one runs', async () => {
    const r = restaurant({ acceptance: 'auto', noShowGraceMinutes: 0 });
    const start = nextStart(58);
    const { store, worker } = await harness(r, start, undefined, 4_000);
    await worker.runUntil(async () => {
      const { placed, handle } = await book(r, start);
      const placedAt = Date.now();
      expect(placed.noShowGraceMinutes).toBe(0);
      // the grace (here none) has not passed before the start
      expect(await refusedWith(handle.executeUpdate(noShowUpdate, { args: [owner] }))).toBe('NOT_YET');
      expect(await refusedWith(handle.executeUpdate(noShowUpdate, { args: [customer] }))).toBe('FORBIDDEN');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, placedAt + placed.startInMs + 1_000 - Date.now())));
      expect(await handle.executeUpdate(noShowUpdate, { args: [owner] })).toMatchObject({ status: 'no-show' });
      expect((await handle.result()).status).toBe('no-show');
      // (the reminder fell due at the start, before the no-show)
      expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReminderDue', 'ReservationNoShow']);
      expect(await ledgerOf(store, r, start)).toEqual([['TableBooked', undefined], ['TableReleased', 'no-show']]);
      // the feed: a signal to the restaurant's waitlist of that opening day; none runs, and the run ends all the same
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.find((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)?.signalExternalWorkflowExecutionInitiatedEventAttributes;
      expect(signalled?.workflowExecution?.workflowId).toBe(waitlistWorkflowId(r.restaurantId, DateTime.fromJSDate(start).setZone('Europe/Rome').toISODate()!));
      expect(signalled?.signalName).toBe('tableFreed');
      const freed = defaultPayloadConverter.fromPayload(signalled!.input!.payloads![0]! as never);
      expect(freed).toMatchObject({ reservationId: placed.reservationId, tableId: placed.tableId, end: placed.end, reason: 'no-show' });
      expect(events.some((e) => e.signalExternalWorkflowExecutionFailedEventAttributes)).toBe(true);
      await record('auto-no-show', handle);
    });
  }, 60_000);

  test('the owner ends a seated party’s turn early: completed, and the table given back', async () => {
    const r = restaurant({ acceptance: 'auto' });
    const start = nextStart(59);
    const { store, worker } = await harness(r, start);
    await worker.runUntil(async () => {
      const { placed, handle } = await book(r, start);
      await handle.executeUpdate(seatUpdate, { args: [owner] });
      expect(await handle.executeUpdate(completeEarlyUpdate, { args: [owner] })).toMatchObject({ status: 'completed' });
      expect((await handle.result()).status).toBe('completed');
      expect(await types(store, placed.reservationId)).toEqual(['ReservationRequested', 'ReservationAccepted', 'ReservationSeated', 'ReservationCompleted']);
      expect(await ledgerOf(store, r, start)).toEqual([['TableBooked', undefined], ['TableReleased', 'completed-early']]);
      await record('auto-seated-completed-early', handle);
    });
  }, 60_000);
});

function quiet() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never;
}
