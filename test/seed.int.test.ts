/**
 * The demo seed (scripts/seed.ts) on a system of its own: the world it makes as the API shows it (every
 * count and status read back through the API), and a second run that adds nothing.
 */
import { DEMO_DINERS, DEMO_OWNERS, DEMO_PASSWORD, DEMO_RESTAURANTS, MANUAL_RESTAURANT, describeDemo, seedDemo, type DemoReport } from '../scripts/seed';
import { RESTAURANTS } from '../scripts/seed/world';
import { json, login, startSystem, type System } from './system';

let sys: System;
let url: string;

beforeAll(async () => {
  sys = await startSystem();
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
