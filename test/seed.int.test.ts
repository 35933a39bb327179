/**
 * The demo seed (scripts/seed.ts) on a system of its own: the world it makes as the API shows it (every
 * count and status read back through the API), a second run that adds nothing, a run on a later day that
 * tops it up, and the wait for a worker `npm run seed` does first.
 */
import { DEMO_DINERS, DEMO_OWNERS, DEMO_PASSWORD, DEMO_RESTAURANTS, MANUAL_RESTAURANT, describeDemo, seedDemo, type DemoReport } from '../scripts/seed';
import { RESTAURANTS } from '../scripts/seed/world';
import { waitForWorker } from '../scripts/seed/worker';
import { json, login, startSystem, type System } from './system';

let sys: System;
let url: string;

beforeAll(async () => {
  // each run signs in all 8 demo accounts and the checks sign in again, all from 127.0.0.1: not the login limit's test
  sys = await startSystem({ env: { AUTH_LOGIN_ATTEMPTS_PER_IP: '1000' } });
  url = sys.apis[0]!.url;
}, 180_000);

afterAll(async () => {
  await sys?.stop();
}, 60_000);

type Listed = { items: Array<{ reservationId: string; status: string; decideBy?: string; restaurantName?: string }> };

/** Every restaurant's reservations as its owner lists them, by restaurant name. */
async function ownerLists(report: DemoReport): Promise<Map<string, Listed['items']>> {
  const tokens = new Map<string, string>();
  for (const email of DEMO_OWNERS) tokens.set(email, await login(url, email, DEMO_PASSWORD));
  const lists = new Map<string, Listed['items']>();
  for (const r of report.restaurants) {
    const res = await json<Listed>(`${url}/restaurants/${r.restaurantId}/reservations`, { token: tokens.get(r.owner)! });
    expect(res.status).toBe(200);
    lists.set(r.name, res.body.items);
  }
  return lists;
}

test('seeds 3 owners, 8 restaurants in 3 time zones, 5 diners and reservations in every status; a second run adds nothing', async () => {
  const first = await seedDemo(url);
  const planned = RESTAURANTS.reduce((n, r) => n + r.reservations.length, 0);
  expect(first.created).toEqual({ accounts: DEMO_OWNERS.length + DEMO_DINERS.length, restaurants: DEMO_RESTAURANTS.length, reservations: planned });
  expect(first.appUrl).toBe(`${url}/`);
  expect(describeDemo(first)).toContain(DEMO_PASSWORD);
  expect(first.restaurants.map((r) => r.name).sort()).toEqual([...DEMO_RESTAURANTS].sort());
  expect(new Set(first.restaurants.map((r) => r.timezone))).toEqual(new Set(['Europe/Rome', 'America/New_York', 'Asia/Tokyo']));
  expect(new Set(first.restaurants.map((r) => r.acceptance))).toEqual(new Set(['manual', 'auto']));

  // the read models show it all as soon as seedDemo returns (no waiting here)
  const lists = await ownerLists(first);
  const all = [...lists.values()].flat();
  expect(all).toHaveLength(planned);
  const statuses = new Set(all.map((r) => r.status));
  for (const s of ['pending', 'accepted', 'rejected', 'cancelled']) expect(statuses).toContain(s);

  // the manual restaurant's owner (the first demo owner) has a request to decide, with time left
  const manual = first.restaurants.find((r) => r.name === MANUAL_RESTAURANT)!;
  expect(manual).toMatchObject({ owner: DEMO_OWNERS[0], acceptance: 'manual' });
  const pending = lists.get(MANUAL_RESTAURANT)!.filter((r) => r.status === 'pending');
  expect(pending.length).toBeGreaterThan(0);
  expect(Date.parse(pending[0]!.decideBy!)).toBeGreaterThan(Date.now());

  // each restaurant has a menu, and each diner sees their own reservations
  for (const r of first.restaurants) {
    const menu = await json<{ sections: Array<{ dishes: unknown[] }> }>(`${url}/restaurants/${r.restaurantId}/menu`);
    expect(menu.body.sections.length).toBeGreaterThan(1);
    expect(menu.body.sections.every((s) => s.dishes.length > 0)).toBe(true);
  }
  for (const email of DEMO_DINERS) {
    const mine = await json<Listed>(`${url}/reservations`, { token: await login(url, email, DEMO_PASSWORD) });
    expect(mine.body.items.length).toBe(first.reservations.filter((r) => r.diner === email).length);
    expect(mine.body.items.length).toBeGreaterThan(0);
  }

  const second = await seedDemo(url);
  expect(second.created).toEqual({ accounts: 0, restaurants: 0, reservations: 0 });
  expect(second.restaurants.map((r) => r.restaurantId)).toEqual(first.restaurants.map((r) => r.restaurantId));
  const after = await ownerLists(second);
  expect([...after.values()].flat()).toHaveLength(planned);
  const search = await json<{ items: unknown[] }>(`${url}/restaurants?limit=50`);
  expect(search.body.items).toHaveLength(DEMO_RESTAURANTS.length);

  // the request left undecided at the restaurant created with a 1-minute decision window expires on its own within
  // a minute (waiting for it would double this test's time), and the restaurant has its usual window again
  const expiring = first.restaurants.find((r) => r.name === RESTAURANTS.find((p) => p.expiresFirst)!.body.name)!;
  const undecided = after.get(expiring.name)!.filter((r) => r.status === 'pending' || r.status === 'expired');
  expect(undecided).toHaveLength(1);
  expect(Date.parse(undecided[0]!.decideBy!)).toBeLessThanOrEqual(Date.now() + 60_000);
  const restaurant = await json<{ policy: { decisionTimeoutMinutes: number } }>(`${url}/restaurants/${expiring.restaurantId}`);
  expect(restaurant.body.policy.decisionTimeoutMinutes).toBe(RESTAURANTS.find((p) => p.expiresFirst)!.body.policy.decisionTimeoutMinutes);
}, 180_000);

test('a run on a later day tops the world up with that day’s plan; a second run that day adds nothing', async () => {
  // the API keeps the real clock: only the days the seed books move 2 days on, as on a `npm start` 2 days later
  const later = new Date(Date.now() + 2 * 86_400_000);
  const localDay = (instant: string | Date, timeZone: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
  const before = await seedDemo(url);
  expect(before.created.reservations).toBe(0);
  const known = new Set([...(await ownerLists(before)).values()].flat().map((r) => r.reservationId));

  const third = await seedDemo(url, { now: later });
  expect(third.created).toMatchObject({ accounts: 0, restaurants: 0 });
  expect(third.created.reservations).toBeGreaterThan(0);
  const zone = new Map(third.restaurants.map((r) => [r.name, r.timezone]));
  for (const r of third.reservations) {
    expect(known.has(r.reservationId)).toBe(false);
    // on the later day or after it, in the restaurant's zone
    expect(localDay(r.start, zone.get(r.restaurant)!) >= localDay(later, zone.get(r.restaurant)!)).toBe(true);
  }
  // not one restaurant's top-up only: the plans whose days are now past are booked again at several
  expect(new Set(third.reservations.map((r) => r.restaurant)).size).toBeGreaterThan(1);
  const lists = await ownerLists(third);
  expect([...lists.values()].flat()).toHaveLength(known.size + third.created.reservations);

  const fourth = await seedDemo(url, { now: later });
  expect(fourth.created).toEqual({ accounts: 0, restaurants: 0, reservations: 0 });
  expect([...(await ownerLists(fourth)).values()].flat()).toHaveLength(known.size + third.created.reservations);
}, 180_000);

test('waits for the system’s reservation worker to poll its task queue, and says which one when none does', async () => {
  await waitForWorker(sys.config, 30_000);
  const elsewhere = { temporal: { ...sys.config.temporal, taskQueue: `${sys.config.temporal.taskQueue}-nobody` } };
  await expect(waitForWorker(elsewhere, 1500)).rejects.toThrow(/no reservation worker polls task queue ".*-nobody"/);
}, 60_000);
