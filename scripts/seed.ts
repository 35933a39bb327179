/**
 * Demo data through the public HTTP API only: 3 owners, 8 restaurants in 3 time zones, 5 diners and their
 * reservations in every status the API reaches on its own (`npm run seed`; `npm start` runs it unless
 * SEED=off). The world is data in ./seed/world.ts.
 *
 * Idempotent: accounts are signed in when they exist (registered only when they do not), a restaurant is
 * found by name among its owner's before one is created, and a restaurant's reservations are made only
 * when its list from today on (its zone's date) does not show its whole plan, each under an Idempotency-Key
 * of its own that names today's date: a run after one cut short completes the world without booking anything
 * twice, and a run on a later day (the data persists) tops the world up with that day's plan, so the
 * dashboards never show only the past. Before it returns, the seed waits until the read models show what
 * it wrote: the lists, search and the owners' restaurants.
 *
 * Statuses: pending, accepted, rejected and cancelled at once; one request expires about a minute after
 * the seed (its restaurant is created with the shortest decision window the policy allows, 1 minute, and
 * given its usual one right after that request); `completed` needs a turn to end, and a booking cannot
 * start in the past, so the seed books the first free start of today at two auto-accepting restaurants,
 * which complete on their own once their turn is over (when the restaurant has a start left today).
 */
import { CANCEL_REASON, DEMO_PASSWORD, DINERS, OWNERS, REJECT_REASON, RESTAURANTS, type DemoRestaurant, type Outcome, type PlannedReservation } from './seed/world';
import { ApiError, client, sleep, until, type Call } from './seed/http';
import { waitForWorker } from './seed/worker';
import { loadConfig } from '../platform/config';

export { DEMO_PASSWORD, MANUAL_RESTAURANT } from './seed/world';
export const DEMO_OWNERS: readonly string[] = OWNERS.map((o) => o.email);
export const DEMO_DINERS: readonly string[] = DINERS.map((d) => d.email);
export const DEMO_RESTAURANTS: readonly string[] = RESTAURANTS.map((r) => r.body.name);

export interface DemoReport {
  /** The web app: `<baseUrl>/`. */
  appUrl: string;
  password: string;
  owners: Array<{ email: string; name: string; restaurants: string[] }>;
  diners: Array<{ email: string; name: string }>;
  restaurants: Array<{ restaurantId: string; name: string; owner: string; timezone: string; acceptance: string; created: boolean }>;
  /** The reservations this run made (none on a run that found the world complete). */
  reservations: Array<{ reservationId: string; restaurant: string; diner: string; start: string; partySize: number; status: string }>;
  created: { accounts: number; restaurants: number; reservations: number };
  ms: number;
}

export interface SeedOptions {
  log?: (line: string) => void;
  /**
   * What "today" is for the plan's dates (default: the clock). The API keeps its own clock, so only the
   * days booked move: a test stands in for a run on a later day with it.
   */
  now?: Date;
  /** How long to wait for the read models to show the seeded data (default 60 s). */
  readModelTimeoutMs?: number;
}

interface Account {
  email: string;
  name: string;
  userId: string;
  token: string;
  created: boolean;
}

interface Slot {
  start: string;
}

/** Local calendar date `days` after `now`'s date in `timezone` (YYYY-MM-DD). */
function localDate(timezone: string, days: number, now: Date): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  // calendar arithmetic on the date itself, so a DST change between today and then cannot shift it
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Minutes since local midnight of a slot start (`2026-12-03T19:30:00+01:00`, already local) or `HH:MM`. */
function minutesOf(localTime: string): number {
  const hhmm = localTime.length > 5 ? localTime.slice(11, 16) : localTime;
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

const problemCode = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;

/** The statuses a planned reservation may show once seeded (a request expires, a booking completes, on their own). */
const SHOWN: Record<Outcome, string[]> = {
  pending: ['pending', 'expired'],
  expired: ['pending', 'expired'],
  accepted: ['accepted', 'completed'],
  soon: ['accepted', 'completed'],
  rejected: ['rejected'],
  cancelled: ['cancelled'],
};

/** Whether a restaurant's listed statuses account for every planned reservation, each by one of its own. */
function complete(listed: string[], plans: PlannedReservation[]): boolean {
  const left = [...listed];
  return plans.every((p) => {
    const i = left.findIndex((s) => SHOWN[p.outcome].includes(s));
    if (i < 0) return false;
    left.splice(i, 1);
    return true;
  });
}

/** How long a booking answered 202 may take to be placed (the worker may still be starting). */
const BOOKING_SETTLE_MS = 120_000;

export async function seedDemo(baseUrl: string, opts: SeedOptions = {}): Promise<DemoReport> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const { root, call } = client(baseUrl);
  const readModelTimeoutMs = opts.readModelTimeoutMs ?? 60_000;
  const now = opts.now ?? new Date();

  /** A call that retries when the API says to wait (429/503 with Retry-After), a few times. */
  const patient: Call = async (path, o) => {
    for (let attempt = 1; ; attempt++) {
      const res = await call(path, o);
      if ((res.status !== 429 && res.status !== 503) || attempt >= 4) return res as never;
      const wait = Math.min(30, Number(res.headers.get('retry-after') ?? '2') || 2);
      log(`${path}: HTTP ${res.status}, retrying in ${wait} s`);
      await sleep(wait * 1000);
    }
  };

  async function signIn(email: string): Promise<string | undefined> {
    const res = await patient<{ accessToken: string }>('/auth/login', { body: { email, password: DEMO_PASSWORD } });
    if (res.status === 200) return res.body.accessToken;
    if (res.status === 401) return undefined;
    throw new ApiError(`sign in ${email}`, res);
  }

  /** Signs in, registering first when the account does not exist yet. */
  async function account(person: { email: string; name: string }): Promise<Account> {
    let token = await signIn(person.email);
    let created = false;
    if (!token) {
      const reg = await patient('/auth/register', { body: { email: person.email, password: DEMO_PASSWORD, name: person.name } });
      if (reg.status === 409) throw new Error(`${person.email} is registered with another password; the demo world cannot use it (reset the stack or change the email in scripts/seed/world.ts)`);
      if (reg.status !== 201) throw new ApiError(`register ${person.email}`, reg);
      created = true;
      token = await signIn(person.email);
      if (!token) throw new Error(`${person.email} was registered but cannot sign in`);
    }
    const me = await call<{ userId: string }>('/auth/me', { token });
    if (me.status !== 200) throw new ApiError(`GET /auth/me as ${person.email}`, me);
    return { ...person, userId: me.body.userId, token, created };
  }

  // at once: each sign-up and sign-in is a password hash on the server, which has threads for them
  const [owners, diners] = await Promise.all([Promise.all(OWNERS.map(account)), Promise.all(DINERS.map(account))]);
  const accountsCreated = [...owners, ...diners].filter((a) => a.created).length;
  log(`accounts: ${owners.length + diners.length} (${accountsCreated} new)`);

  /** The owner's restaurant of that name, from their own list and from search (either may lag a second). */
  async function findOwned(owner: Account, name: string): Promise<{ restaurantId: string; policy: Record<string, unknown> } | undefined> {
    const me = await call<{ ownedRestaurantIds: string[] }>('/auth/me', { token: owner.token });
    if (me.status !== 200) throw new ApiError(`GET /auth/me as ${owner.email}`, me);
    const found = await call<{ items: Array<{ restaurantId: string; name: string }> }>(`/restaurants?q=${encodeURIComponent(name)}&limit=50`);
    if (found.status !== 200) throw new ApiError(`search ${name}`, found);
    const ids = new Set([...me.body.ownedRestaurantIds, ...found.body.items.filter((i) => i.name === name).map((i) => i.restaurantId)]);
    for (const id of ids) {
      const r = await call<{ name: string; ownerId: string; policy: Record<string, unknown> }>(`/restaurants/${encodeURIComponent(id)}`, { token: owner.token });
      // 404: closed since
      if (r.status === 200 && r.body.ownerId === owner.userId && r.body.name === name) return { restaurantId: id, policy: r.body.policy };
      if (r.status !== 200 && r.status !== 404) throw new ApiError(`GET /restaurants/${id}`, r);
    }
    return undefined;
  }

  async function putPolicy(owner: Account, restaurantId: string, policy: Record<string, unknown>): Promise<void> {
    const res = await call(`/restaurants/${restaurantId}/policy`, { method: 'PUT', body: policy, token: owner.token });
    if (res.status !== 200) throw new ApiError(`PUT policy of ${restaurantId}`, res);
  }

  async function availability(restaurantId: string, date: string, partySize: number): Promise<Slot[]> {
    const res = await call<{ slots: Slot[] }>(`/restaurants/${restaurantId}/availability?date=${date}&partySize=${partySize}`);
    if (res.status !== 200) throw new ApiError(`availability of ${restaurantId} on ${date}`, res);
    return res.body.slots;
  }

  /** The free start nearest the plan's time, on its day or the first later day (within a week) that has one. */
  async function chooseStart(restaurantId: string, timezone: string, plan: PlannedReservation): Promise<string> {
    for (let d = plan.day; d < plan.day + 7; d++) {
      const slots = await availability(restaurantId, localDate(timezone, d, now), plan.partySize);
      if (slots.length === 0) continue;
      if (plan.outcome === 'soon' && d === 0) return slots[0]!.start;
      const want = minutesOf(plan.at);
      const best = slots.reduce((a, b) => (Math.abs(minutesOf(b.start) - want) < Math.abs(minutesOf(a.start) - want) ? b : a));
      return best.start;
    }
    throw new Error(`no free start for ${plan.partySize} at ${restaurantId} within a week of day +${plan.day}`);
  }

  /** `created`: false when the key joined a booking made before (200). */
  type Placed = { reservationId: string; status: string; start: string; created: boolean };

  /**
   * The reservation's recorded status once it has left `from` (after a 202). A booking may wait longer: on a
   * fresh start its workflow runs once the worker has bundled the workflows and polls.
   */
  async function settled(reservationId: string, token: string, from: string[], timeoutMs = 30_000): Promise<string> {
    return until(
      `reservation ${reservationId} to leave ${from.join('/')}`,
      async () => {
        const r = await call<{ status: string }>(`/reservations/${reservationId}`, { token });
        if (r.status !== 200) throw new ApiError(`GET /reservations/${reservationId}`, r);
        return from.includes(r.body.status) ? undefined : r.body.status;
      },
      timeoutMs,
    );
  }

  /**
   * Books the plan as its diner under a key of its own for today's plan: the same key again (a run after one
   * that stopped early, the same day) joins the booking already made (200), or is refused as used for another
   * body (another start chosen): either way nothing new is booked, and undefined means "made before".
   */
  async function book(restaurantId: string, timezone: string, plan: PlannedReservation, index: number): Promise<Placed | undefined> {
    const diner = diners[plan.diner]!;
    const today = localDate(timezone, 0, now);
    let start = await chooseStart(restaurantId, timezone, plan);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const body = { restaurantId, partySize: plan.partySize, start, ...(plan.notes ? { notes: plan.notes } : {}) };
      const key = `demo-seed:${restaurantId}:${today}:${index}${attempt > 1 ? `:retry${attempt}` : ''}`;
      const res = await patient<{ reservationId: string; status: string; start: string; alternatives?: string[] }>('/reservations', {
        body,
        token: diner.token,
        headers: { 'idempotency-key': key },
      });
      if (res.status === 201 || res.status === 200) return { reservationId: res.body.reservationId, status: res.body.status, start: res.body.start, created: res.status === 201 };
      if (res.status === 202) {
        const status = await settled(res.body.reservationId, diner.token, ['placing'], BOOKING_SETTLE_MS);
        return { reservationId: res.body.reservationId, status, start, created: true };
      }
      if (res.status === 409 && problemCode(res.body) === 'IDEMPOTENCY_KEY_REUSED') return undefined;
      // a start taken meanwhile (availability is a second behind): the nearest free one the API offers
      const next = res.body.alternatives?.[0];
      if (res.status === 409 && problemCode(res.body) === 'NO_TABLE' && next) {
        start = next;
        continue;
      }
      // the diner holds as many as the policy allows there that day (bookings of earlier days' runs): a later day
      if (res.status === 409 && problemCode(res.body) === 'TOO_MANY_ACTIVE_RESERVATIONS') {
        start = await chooseStart(restaurantId, timezone, { ...plan, day: plan.day + attempt });
        continue;
      }
      throw new ApiError(`book ${plan.partySize} at ${restaurantId} for ${diner.email}`, res);
    }
    throw new Error(`no table for ${plan.partySize} at ${restaurantId} after 3 tries`);
  }

  /** accept / reject / cancel; a decision that finds it already made (409) is checked against the stream. */
  async function decide(reservationId: string, action: 'accept' | 'reject' | 'cancel', token: string, want: string, reason?: string): Promise<string> {
    const res = await patient<{ status: string }>(`/reservations/${reservationId}/${action}`, { body: reason ? { reason } : {}, token });
    if (res.status === 200) return res.body.status;
    if (res.status === 202) return settled(reservationId, token, [res.body.status]);
    if (res.status === 409) {
      const now = await call<{ status: string }>(`/reservations/${reservationId}`, { token });
      if (now.status === 200 && now.body.status === want) return want;
    }
    throw new ApiError(`${action} ${reservationId}`, res);
  }

  /** Brings a booked reservation to its planned status. */
  async function settle(placed: Placed, restaurant: DemoRestaurant, plan: PlannedReservation): Promise<string> {
    const owner = owners[restaurant.owner]!;
    const diner = diners[plan.diner]!;
    const { reservationId, status } = placed;
    if (plan.outcome === 'accepted' && status === 'pending') return decide(reservationId, 'accept', owner.token, 'accepted');
    if (plan.outcome === 'rejected' && status === 'pending') return decide(reservationId, 'reject', owner.token, 'rejected', REJECT_REASON);
    if (plan.outcome === 'cancelled' && (status === 'pending' || status === 'accepted')) return decide(reservationId, 'cancel', diner.token, 'cancelled', CANCEL_REASON);
    return status;
  }

  const report: DemoReport = {
    appUrl: `${root}/`,
    password: DEMO_PASSWORD,
    owners: owners.map((o) => ({ email: o.email, name: o.name, restaurants: [] })),
    diners: diners.map((d) => ({ email: d.email, name: d.name })),
    restaurants: [],
    reservations: [],
    created: { accounts: accountsCreated, restaurants: 0, reservations: 0 },
    ms: 0,
  };
  /** What each seeded reservation's list entry must say, per restaurant: id → statuses allowed. */
  const expected = new Map<string, { owner: Account; items: Map<string, string[]> }>();

  /** Finds or creates one restaurant and makes the reservations it lacks. */
  async function seedRestaurant(restaurant: DemoRestaurant) {
    const owner = owners[restaurant.owner]!;
    const { name, timezone } = restaurant.body;
    const existing = await findOwned(owner, name);
    let restaurantId: string;
    if (existing) {
      restaurantId = existing.restaurantId;
      // a run cut short between creating it and giving it its usual decision window: give it now
      if (restaurant.expiresFirst && existing.policy.decisionTimeoutMinutes === 1) await putPolicy(owner, restaurantId, restaurant.body.policy);
    } else {
      const policy = restaurant.expiresFirst ? { ...restaurant.body.policy, decisionTimeoutMinutes: 1 } : restaurant.body.policy;
      const res = await call<{ restaurantId: string }>('/restaurants', { body: { ...restaurant.body, policy }, token: owner.token });
      if (res.status !== 201) throw new ApiError(`create ${name}`, res);
      restaurantId = res.body.restaurantId;
      log(`restaurant ${name} (${timezone}) created`);
    }
    const entry = { restaurantId, name, owner: owner.email, timezone, acceptance: String(restaurant.body.policy.acceptance), created: !existing };
    const items = new Map<string, string[]>();
    const made: DemoReport['reservations'] = [];

    // an existing restaurant whose list from today on shows its whole plan is done; otherwise (a run that
    // stopped early, or one on a later day whose plan is in the past) it goes through today's plan, where each
    // booking's key joins what this day's runs made instead of making it twice
    if (existing) {
      const from = localDate(timezone, 0, now);
      const list = await call<{ items: Array<{ status: string }> }>(`/restaurants/${restaurantId}/reservations?from=${from}`, { token: owner.token });
      if (list.status !== 200) throw new ApiError(`list reservations of ${name}`, list);
      if (complete(list.body.items.map((i) => i.status), restaurant.reservations)) return { entry, items, made };
    }
    for (const [index, plan] of restaurant.reservations.entries()) {
      const placed = await book(restaurantId, timezone, plan, index);
      // only a restaurant created now has the 1-minute window (one cut short was given its usual one above)
      if (restaurant.expiresFirst && index === 0 && !existing) await putPolicy(owner, restaurantId, restaurant.body.policy);
      if (!placed) continue;
      const status = await settle(placed, restaurant, plan);
      // a pending request may expire before the list is read (the 1-minute one does)
      items.set(placed.reservationId, status === 'pending' ? ['pending', 'expired'] : [status]);
      if (placed.created) made.push({ reservationId: placed.reservationId, restaurant: name, diner: diners[plan.diner]!.email, start: placed.start, partySize: plan.partySize, status });
    }
    if (made.length > 0) log(`restaurant ${name}: ${made.length} reservations`);
    return { entry, items, made };
  }

  // restaurants at once (each one's bookings in order: the 1-minute request must be its restaurant's first)
  for (const { entry, items, made } of await Promise.all(RESTAURANTS.map(seedRestaurant))) {
    report.restaurants.push(entry);
    report.owners.find((o) => o.email === entry.owner)!.restaurants.push(entry.name);
    if (entry.created) report.created.restaurants++;
    report.reservations.push(...made);
    report.created.reservations += made.length;
    expected.set(entry.restaurantId, { owner: owners.find((o) => o.email === entry.owner)!, items });
  }

  await waitForReadModels(call, report, owners, diners, expected, readModelTimeoutMs);
  report.ms = Date.now() - started;
  log(`seeded in ${(report.ms / 1000).toFixed(1)} s`);
  return report;
}

/**
 * Until the read models show the seed's writes: every seeded reservation in its restaurant's list (as its
 * owner reads it) and in its diner's list with the status it was left in, every restaurant in search and
 * in its owner's `ownedRestaurantIds`. So a demo owner who signs in right after sees them, and a second run
 * finds what this one made.
 */
async function waitForReadModels(
  call: Call,
  report: DemoReport,
  owners: Account[],
  diners: Account[],
  expected: Map<string, { owner: Account; items: Map<string, string[]> }>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  type Listed = { items: Array<{ reservationId: string; status: string }> };
  const shows = (listed: Listed, items: Map<string, string[]>, only?: Set<string>) => {
    const got = new Map(listed.items.map((i) => [i.reservationId, i.status]));
    return [...items].every(([id, ok]) => (only && !only.has(id)) || ok.includes(got.get(id) ?? ''));
  };
  const all = new Map([...expected.values()].flatMap((e) => [...e.items]));

  for (const [restaurantId, { owner, items }] of expected) {
    if (items.size === 0) continue;
    await until(
      `the reservations of ${restaurantId} in its list`,
      async () => {
        const r = await call<Listed>(`/restaurants/${restaurantId}/reservations`, { token: owner.token });
        return r.status === 200 && shows(r.body, items) ? true : undefined;
      },
      left(),
    );
  }
  for (const diner of diners) {
    const mine = new Set(report.reservations.filter((r) => r.diner === diner.email).map((r) => r.reservationId));
    if (mine.size === 0) continue;
    await until(
      `${diner.email}'s reservations in their list`,
      async () => {
        const r = await call<Listed>('/reservations', { token: diner.token });
        return r.status === 200 && shows(r.body, all, mine) ? true : undefined;
      },
      left(),
    );
  }
  for (const r of report.restaurants) {
    await until(
      `${r.name} in search`,
      async () => {
        const res = await call<{ items: Array<{ restaurantId: string }> }>(`/restaurants?q=${encodeURIComponent(r.name)}&limit=50`);
        return res.status === 200 && res.body.items.some((i) => i.restaurantId === r.restaurantId) ? true : undefined;
      },
      left(),
    );
  }
  for (const owner of owners) {
    const theirs = report.restaurants.filter((r) => r.owner === owner.email).map((r) => r.restaurantId);
    await until(
      `${owner.email}'s restaurants in /auth/me`,
      async () => {
        const me = await call<{ ownedRestaurantIds: string[] }>('/auth/me', { token: owner.token });
        return me.status === 200 && theirs.every((id) => me.body.ownedRestaurantIds.includes(id)) ? true : undefined;
      },
      left(),
    );
  }
}

/** The lines `npm start` and `npm run seed` print: where the app is and who can sign in. */
export function describeDemo(report: DemoReport): string {
  const counts = `${report.restaurants.length} restaurants, ${report.owners.length} owners, ${report.diners.length} diners`;
  const made =
    report.created.restaurants + report.created.reservations + report.created.accounts === 0
      ? 'already there, nothing added'
      : `added ${report.created.accounts} accounts, ${report.created.restaurants} restaurants, ${report.created.reservations} reservations`;
  const manual = new Set(report.restaurants.filter((r) => r.acceptance === 'manual').map((r) => r.name));
  const width = Math.max(...report.owners.map((o) => o.email.length), ...report.diners.map((d) => d.email.length));
  return [
    `Demo data: ${counts} (${made})`,
    `  App          ${report.appUrl}`,
    `  Password     ${report.password}   (every demo account)`,
    '  Owners',
    ...report.owners.map((o) => `    ${o.email.padEnd(width)}  ${o.restaurants.map((n) => (manual.has(n) ? `${n} (decides requests)` : n)).join(', ')}`),
    '  Diners',
    ...report.diners.map((d) => `    ${d.email.padEnd(width)}  ${d.name}`),
  ].join('\n');
}

/**
 * `npm run seed`: against PUBLIC_URL or http://127.0.0.1:$PORT, once /health answers and a reservation worker
 * polls the task queue the environment's TEMPORAL_* settings name (SEED_WORKER_WAIT_MS, default 120 s; 0 skips
 * it, e.g. against a deployment whose Temporal this machine cannot reach).
 */
async function main(): Promise<void> {
  const baseUrl = process.env.PUBLIC_URL || `http://127.0.0.1:${process.env.PORT || '3000'}`;
  const waitMs = Number(process.env.SEED_WAIT_MS ?? '60000');
  const workerWaitMs = Number(process.env.SEED_WORKER_WAIT_MS ?? '120000');
  const log = (line: string) => process.stderr.write(`[seed] ${line}\n`);
  const { call } = client(baseUrl);
  await until(
    `${baseUrl}/health to answer 200`,
    async () => ((await call('/health', { timeoutMs: 3000 })).status === 200 ? true : undefined),
    waitMs,
    500,
  );
  if (workerWaitMs > 0) await waitForWorker(loadConfig(), workerWaitMs, log);
  const report = await seedDemo(baseUrl, { log });
  process.stdout.write(`${describeDemo(report)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`[seed] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
