/**
 * The bench's fixture: an owner, customers and restaurants known to the reservation replica, and the booking
 * operation over them. Every booking is a distinct free table-slot: restaurants × dates × 15-minute slots,
 * 20 tables each, the index walking restaurants first, then dates, so consecutive bookings land on
 * different ledger streams.
 */
import { randomBytes } from 'node:crypto';
import { assertLoopback, request } from './http';
import type { Outcome } from './load';

const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const TABLES = 20;
const SLOT_MINUTES = 15;
/** 00:00–23:45 with 15-minute turns: starts 00:00 … 23:30. */
const SLOTS = Array.from({ length: 95 }, (_, k) => `${String(Math.floor((k * SLOT_MINUTES) / 60)).padStart(2, '0')}:${String((k * SLOT_MINUTES) % 60).padStart(2, '0')}`);

export interface Fixture {
  apiUrls: string[];
  ownerToken: string;
  customerTokens: string[];
  restaurantIds: string[];
  /** Bookable local dates (UTC restaurants): tomorrow + 1 … well inside maxAdvanceDays. */
  dates: string[];
  slots: string[];
}

export function restaurantBody(n: number) {
  return {
    name: `Bench Bistro ${n}`,
    cuisine: 'bistro',
    description: 'benchmark restaurant',
    phone: '+33 1 00 00 00 00',
    address: `${n} rue du Bench, Paris`,
    location: { lat: 48.85 + n / 1000, lon: 2.35 },
    // UTC: no DST gap can make a wall-clock slot disappear
    timezone: 'UTC',
    openingHours: Object.fromEntries(WEEK.map((d) => [d, [{ open: '00:00', close: '23:45' }]])),
    tables: Array.from({ length: TABLES }, (_, t) => ({ id: `t${t + 1}`, seats: 4 })),
    policy: {
      acceptance: 'auto',
      maxPartySize: 4,
      turnMinutes: SLOT_MINUTES,
      slotMinutes: SLOT_MINUTES,
      decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 0,
      maxAdvanceDays: 60,
      cancellationCutoffMinutes: 0,
      reminderMinutesBefore: 0,
      // customers take turns (bookingOp), but a long run books each ledger many times
      maxBookingsPerCustomerPerDay: 20,
    },
  };
}

async function expectStatus<T>(p: Promise<{ status: number; body: T }>, want: number, what: string): Promise<T> {
  const r = await p;
  if (r.status !== want) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

export async function signUp(api: string, name: string): Promise<string> {
  const email = `${name}-${randomBytes(5).toString('hex')}@bench.example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await expectStatus(request(api, 'POST', '/auth/register', { body: { email, password, name } }), 201, `register ${name}`);
  const { accessToken } = await expectStatus(
    request<{ accessToken: string }>(api, 'POST', '/auth/login', { body: { email, password } }),
    200,
    `login ${name}`,
  );
  return accessToken;
}

export async function prepareFixture(apiUrls: string[], opts: { restaurants?: number; customers?: number; days?: number } = {}): Promise<Fixture> {
  for (const u of apiUrls) assertLoopback(u);
  const api = apiUrls[0]!;
  const ownerToken = await signUp(api, 'owner');
  // logins are rate limited per IP (50/min per API process): a handful of customers is plenty
  const customerTokens: string[] = [];
  for (let c = 0; c < (opts.customers ?? 10); c++) customerTokens.push(await signUp(apiUrls[c % apiUrls.length]!, `customer${c}`));
  const restaurantIds: string[] = [];
  for (let n = 0; n < (opts.restaurants ?? 8); n++) {
    const { restaurantId } = await expectStatus(
      request<{ restaurantId: string }>(api, 'POST', '/restaurants', { body: restaurantBody(n), token: ownerToken }),
      201,
      `create restaurant ${n}`,
    );
    restaurantIds.push(restaurantId);
  }
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const dates = Array.from({ length: opts.days ?? 55 }, (_, k) => new Date(today + (k + 2) * 86_400_000).toISOString().slice(0, 10));
  // the reservation replica is fed by the pipeline: wait until every API answers availability for each
  const deadline = Date.now() + 120_000;
  for (const id of restaurantIds) {
    for (const u of apiUrls) {
      for (;;) {
        const r = await request(u, 'GET', `/restaurants/${id}/availability?date=${dates[0]}&partySize=2`);
        if (r.status === 200) break;
        if (r.status !== 404) throw new Error(`availability of ${id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        if (Date.now() > deadline) throw new Error(`restaurant ${id} did not reach the reservation replica within 120 s`);
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }
  return { apiUrls, ownerToken, customerTokens, restaurantIds, dates, slots: SLOTS };
}

/** Booking i: restaurants vary fastest, then dates, then slots, so neighbours never share a ledger stream. */
export function bookingOf(f: Fixture, i: number): { restaurantId: string; start: string } {
  const R = f.restaurantIds.length;
  const D = f.dates.length;
  const S = f.slots.length;
  const r = i % R;
  const d = Math.floor(i / R) % D;
  const s = Math.floor(i / (R * D)) % S;
  if (i >= R * D * S * TABLES) throw new Error('booking index past the fixture capacity');
  return { restaurantId: f.restaurantIds[r]!, start: `${f.dates[d]}T${f.slots[s]}` };
}

function outcomeOf(r: { status: number; body: unknown }, want: number): Outcome {
  if (r.status === want) return { ok: true, status: r.status };
  const b = r.body as { detail?: string; code?: string } | string;
  const detail = typeof b === 'string' ? b : `${b.code ?? ''} ${b.detail ?? JSON.stringify(b)}`;
  return { ok: false, status: r.status, detail };
}

export function bookingOp(f: Fixture): (i: number) => Promise<Outcome> {
  return async (i) => {
    const { restaurantId, start } = bookingOf(f, i);
    const r = await request(f.apiUrls[i % f.apiUrls.length]!, 'POST', '/reservations', {
      body: { restaurantId, partySize: 2, start },
      // the next customer for each next booking of the same ledger too (the per-customer daily limit)
      token: f.customerTokens[(i + Math.floor(i / (f.restaurantIds.length * f.dates.length))) % f.customerTokens.length]!,
    });
    return outcomeOf(r, 201);
  };
}
