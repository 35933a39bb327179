/** Restaurants for tests: a valid body with every field, created through the API, bookable once the reservation replica knows it. */
import { randomBytes } from 'node:crypto';
import { json } from './api-client';
import { eventually } from './polling';

/** Local wall-clock date `days` from today in `timezone` (YYYY-MM-DD). */
export function localDate(timezone: string, days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

const ALL_DAY = { open: '00:00', close: '23:45' };

/**
 * A valid POST /restaurants body for quick tests: open every day 00:00-23:45, no minimum advance, 15-minute
 * slots, a 60-minute turn, no cancellation cutoff. Override any field; `policy` is merged.
 */
export function restaurantBody(overrides: Record<string, unknown> & { policy?: Record<string, unknown> } = {}): Record<string, unknown> {
  const { policy, ...rest } = overrides;
  return {
    name: `Trattoria ${randomBytes(4).toString('hex')}`,
    cuisine: 'italian',
    description: 'End-to-end test restaurant',
    phone: '+39 06 1234567',
    address: 'Via Roma 1, Roma',
    location: { lat: 41.9028, lon: 12.4964 },
    timezone: 'Europe/Rome',
    openingHours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [ALL_DAY]])),
    tables: [{ id: 't1', seats: 4 }],
    policy: {
      acceptance: 'auto',
      maxPartySize: 8,
      turnMinutes: 60,
      slotMinutes: 15,
      decisionTimeoutMinutes: 60,
      minAdvanceMinutes: 0,
      maxAdvanceDays: 365,
      cancellationCutoffMinutes: 0,
      reminderMinutesBefore: 0,
      // tests book many tables as one customer
      maxBookingsPerCustomerPerDay: 20,
      ...(policy ?? {}),
    },
    ...rest,
  };
}

/** POST /restaurants as `token`; returns the new restaurant id. */
export async function createRestaurant(baseUrl: string, token: string, overrides: Parameters<typeof restaurantBody>[0] = {}): Promise<string> {
  const res = await json<{ restaurantId: string }>(`${baseUrl}/restaurants`, { body: restaurantBody(overrides), token });
  if (res.status !== 201) throw new Error(`POST /restaurants: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.restaurantId;
}

/** Until the reservation service knows the restaurant (its replica is fed through the catalog topic). */
export async function waitBookable(baseUrl: string, restaurantId: string, timezone = 'Europe/Rome', timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    const res = await json(`${baseUrl}/restaurants/${restaurantId}/availability?date=${localDate(timezone, 1)}&partySize=1`);
    if (res.status !== 200) throw new Error(`availability ${res.status}: ${JSON.stringify(res.body)}`);
    return true;
  }, timeoutMs);
}
