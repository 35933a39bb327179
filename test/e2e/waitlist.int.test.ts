/**
 * The waitlist end to end on a running system (2 API processes, a reservation worker, the pipeline):
 * a full evening, 20 diners waiting, 5 cancellations at once. The cancellations go API → reservation
 * workflows → ledger releases → `tableFreed` signals → the day's waitlist workflow, which offers each freed
 * table to the first entry it fits and holds it; the owner's list and each diner's entry are read from the
 * `reservation-waitlists` read model, fed through the pipeline (DynamoDB Streams → SNS → SQS).
 */
import { Client, Connection } from '@temporalio/client';
import { waitlistWorkflowId } from '../../workflows/waitlist-messages';
import { sleep } from '../polling';
import { eventually, json, localDate, restaurantBody, signUp, startSystem, type System, type User } from '../system';

const TZ = 'Europe/Rome';
let sys: System;
let temporal: Client;
const api = (i = 0) => sys.apis[i % sys.apis.length]!.url;

beforeAll(async () => {
  sys = await startSystem({ apis: 2, workers: 1 });
  temporal = new Client({ connection: await Connection.connect({ address: sys.config.temporal.address }), namespace: sys.config.temporal.namespace });
}, 180_000);

afterAll(async () => {
  await temporal?.connection.close();
  await sys?.stop();
}, 120_000);

interface Entry {
  entryId: string;
  partySize: number;
  status: string;
  position?: number;
  offer?: { start: string; tableId: string; expiresAt: string };
  reservationId?: string;
}

test('20 diners wait for a full evening; 5 cancellations at once → exactly 5 offers, to the first 5 entries that fit, no table offered twice', async () => {
  const owner = await signUp(api(0), 'owner');
  // one evening: open 19:00–21:00 with a two-hour turn, so 19:00 is the only start; five tables for two, five for four
  const tables = [1, 2, 3, 4, 5].map((i) => ({ id: `two-${i}`, seats: 2 })).concat([1, 2, 3, 4, 5].map((i) => ({ id: `four-${i}`, seats: 4 })));
  const evening = { open: '19:00', close: '21:00' };
  const body = restaurantBody({
    tables,
    openingHours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [evening]])),
    policy: { turnMinutes: 120, maxPartySize: 4, waitlistOfferMinutes: 10 },
  });
  const created = await json<{ restaurantId: string }>(`${api()}/restaurants`, { body, token: owner.token });
  expect(created.status).toBe(201);
  const restaurantId = created.body.restaurantId;
  const date = localDate(TZ, 2);
  const start = `${date}T19:00`;
  const openingDate = date;

  // the evening fills up: five parties of two, five of four (the reservation replica is fed through the pipeline)
  const booked = await eventually(async () => {
    const r = await json<{ reservationId: string; tableId: string }>(`${api()}/reservations`, { body: { restaurantId, partySize: 2, start }, token: owner.token });
    expect(r.status).toBe(201);
    return r.body;
  }, 30_000);
  const twos = [booked];
  for (let i = 1; i < 5; i++) twos.push((await json(`${api()}/reservations`, { body: { restaurantId, partySize: 2, start }, token: owner.token })).body);
  for (let i = 0; i < 5; i++) expect((await json(`${api()}/reservations`, { body: { restaurantId, partySize: 4, start }, token: owner.token })).status).toBe(201);
  expect(twos.map((t) => t.tableId).sort()).toEqual(['two-1', 'two-2', 'two-3', 'two-4', 'two-5']);
  expect((await json(`${api()}/reservations`, { body: { restaurantId, partySize: 2, start }, token: owner.token })).body).toMatchObject({ code: 'NO_TABLE' });

  // 20 diners join in turn: parties of four and two mixed, so a freed table for two fits only some of them
  const diners: User[] = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp(api(i + 1), `diner${i}`)));
  const sizes = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? 4 : 2));
  const entries: Array<{ entryId: string; diner: User; partySize: number }> = [];
  for (const [i, diner] of diners.entries()) {
    const joined = await json<{ entryId: string; status: string; position: number }>(`${api(i)}/restaurants/${restaurantId}/waitlist`, {
      body: { partySize: sizes[i], start },
      token: diner.token,
    });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ status: 'waiting', position: i + 1 });
    entries.push({ entryId: joined.body.entryId, diner, partySize: sizes[i]! });
  }

  // five tables for two are cancelled at once
  const cancelled = await Promise.all(twos.map((t, i) => json(`${api(i)}/reservations/${t.reservationId}/cancel`, { method: 'POST', token: owner.token })));
  expect(cancelled.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);

  // the owner's list (the read model) shows five offers...
  const list = async () => (await json<{ items: Entry[] }>(`${api()}/restaurants/${restaurantId}/waitlist?date=${date}`, { token: owner.token })).body.items;
  await eventually(async () => (await list()).filter((e) => e.status === 'offered').length === 5, 60_000);
  // ...and still exactly five a while later: nothing offered twice or to a sixth entry
  await sleep(3000);
  const items = await list();
  expect(items.map((e) => e.entryId)).toEqual(entries.map((e) => e.entryId)); // queue order
  const offered = items.filter((e) => e.status === 'offered');
  const firstFitting = entries.filter((e) => e.partySize <= 2).slice(0, 5).map((e) => e.entryId);
  expect(offered.map((e) => e.entryId)).toEqual(firstFitting);
  const offeredTables = offered.map((e) => e.offer!.tableId);
  expect(new Set(offeredTables).size).toBe(5);
  expect([...offeredTables].sort()).toEqual(['two-1', 'two-2', 'two-3', 'two-4', 'two-5']);
  expect(items.filter((e) => e.status !== 'offered').every((e) => e.status === 'waiting')).toBe(true);

  // each diner sees their own offer; the first accepts and is booked on the table offered
  const first = entries.find((e) => e.entryId === firstFitting[0])!;
  const mine = await json<Entry>(`${api()}/waitlist/${first.entryId}`, { token: first.diner.token });
  expect(mine.status).toBe(200);
  expect(mine.body).toMatchObject({ status: 'offered', offer: { tableId: offered[0]!.offer!.tableId } });
  expect(Date.parse(mine.body.offer!.expiresAt)).toBeGreaterThan(Date.now());
  const accepted = await json<{ reservationId: string; status: string }>(`${api(1)}/waitlist/${first.entryId}/accept`, { method: 'POST', token: first.diner.token });
  expect(accepted.status).toBe(201);
  expect(accepted.body.status).toBe('accepted');
  const reservation = await json<{ tableId: string; status: string }>(`${api()}/reservations/${accepted.body.reservationId}`, { token: first.diner.token });
  expect(reservation.body).toMatchObject({ status: 'accepted', tableId: offered[0]!.offer!.tableId });
  // a diner without an offer has nothing to accept
  const waiting = entries.find((e) => e.partySize === 4)!;
  expect((await json(`${api()}/waitlist/${waiting.entryId}/accept`, { method: 'POST', token: waiting.diner.token })).body).toMatchObject({ code: 'NOT_OFFERED' });

  // the day's waitlist is one workflow, found in the Web UI by its search attributes
  await eventually(async () => {
    const runs: string[] = [];
    for await (const w of temporal.workflow.list({ query: `WorkflowType = 'waitlistWorkflow' AND RestaurantId = '${restaurantId}' AND WaitlistDate = '${openingDate}'` })) runs.push(w.workflowId);
    expect(runs).toEqual([waitlistWorkflowId(restaurantId, openingDate)]);
  }, 30_000);

  // leave nothing running on the shared server: the waitlist and every reservation of this restaurant
  for await (const w of temporal.workflow.list({ query: `RestaurantId = '${restaurantId}' AND ExecutionStatus = 'Running'` })) {
    await temporal.workflow.getHandle(w.workflowId).terminate('test cleanup').catch(() => undefined);
  }
}, 300_000);
