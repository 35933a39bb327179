/**
 * What an operator sees of a reservation in the Temporal Web UI, on a running system (its own prefix,
 * databases and task queue on the local stack): the API starts each run with a static summary and details,
 * and the workflow keeps its current details up to date, so the list and the detail page read without
 * decoding ids. The run is cancelled at the end so no timer is left behind.
 */
import { Client, Connection } from '@temporalio/client';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { localTimeLabel } from '../../domain/reservation/labels';
import { SA, reservationWorkflowId } from '../../workflows/messages';
import { createRestaurant, json, localDate, signUp, startSystem, waitBookable, type System, type User } from '../../test/system';

let sys: System;
let url: string;
let owner: User;
let diner: User;
let temporal: Client;
let restaurantId: string;
const NAME = `Osteria Metadata ${Date.now().toString(36)}`;
let reservationId: string | undefined;

beforeAll(async () => {
  sys = await startSystem({ apis: 1, workers: 1 });
  url = sys.apis[0]!.url;
  temporal = new Client({ connection: await Connection.connect({ address: sys.config.temporal.address }), namespace: sys.config.temporal.namespace });
  [owner, diner] = await Promise.all([signUp(url, 'owner'), signUp(url, 'diner')]);
  restaurantId = await createRestaurant(url, owner.token, { name: NAME, timezone: 'America/New_York', policy: { acceptance: 'manual' } });
  await waitBookable(url, restaurantId, 'America/New_York');
}, 180_000);

afterAll(async () => {
  if (reservationId) await json(`${url}/reservations/${reservationId}/cancel`, { body: {}, token: owner.token }).catch(() => undefined);
  await temporal?.connection.close();
  await sys?.stop();
}, 120_000);

test('a reservation run carries its static summary and details, and current details that follow accept', async () => {
  const localStart = `${localDate('America/New_York', 2)}T19:30`;
  const res = await json<{ reservationId: string; status: string; tableId: string; start: string }>(`${url}/reservations`, {
    body: { restaurantId, partySize: 3, start: localStart, name: 'Grace Hopper' },
    token: diner.token,
  });
  expect(res.status).toBe(201);
  reservationId = res.body.reservationId;
  const start = new Date(res.body.start);
  const handle = temporal.workflow.getHandle(reservationWorkflowId(reservationId));

  const d = await handle.describe();
  const weekdayDate = localTimeLabel(start, 'America/New_York');
  expect(weekdayDate.endsWith(' 19:30')).toBe(true);
  expect(await d.staticSummary()).toBe(`${NAME} · party of 3 · ${weekdayDate}`);
  expect((await d.staticDetails())?.split('\n')).toEqual([
    `**Restaurant:** ${NAME} (\`${restaurantId}\`)`,
    '**Party:** 3, booked under G. H.', // initials only: no guest's name kept in Temporal
    `**Start:** ${weekdayDate} (America/New_York), ${start.toISOString()}`,
    '**Acceptance:** manual (the owner decides)',
    `**Reservation:** \`${reservationId}\``,
  ]);
  // the search attributes the Web UI filters on (see the README's query)
  expect(d.typedSearchAttributes.get(SA.restaurantId)).toBe(restaurantId);
  expect(d.typedSearchAttributes.get(SA.status)).toBe('pending');

  const current = async () => (await handle.query(workflowMetadataQuery)).currentDetails?.split('\n');
  const pending = await current();
  expect(pending?.slice(0, 2)).toEqual(["**Status:** pending: waiting for the owner's decision", `**Table:** ${res.body.tableId}`]);
  expect(pending?.[2]).toMatch(/^\*\*Decide by:\*\* \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(America\/New_York\)$/);

  const accepted = await json<{ status: string }>(`${url}/reservations/${reservationId}/accept`, { body: {}, token: owner.token });
  expect(accepted.status).toBe(200);
  expect(await current()).toEqual([
    '**Status:** accepted',
    `**Table:** ${res.body.tableId}`,
    // reminderMinutesBefore 0 and a 60-minute turn (test/restaurants.ts)
    `**Reminder:** ${weekdayDate} (America/New_York)`,
    `**Turn ends:** ${localTimeLabel(start.getTime() + 3_600_000, 'America/New_York')} (America/New_York)`,
  ]);
}, 120_000);
