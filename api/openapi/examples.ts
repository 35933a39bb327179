/**
 * An example request for every operation, each one that succeeds when sent as it is in the walkthrough's
 * order. Dates are relative to the time the document is served (tomorrow in the example restaurant's zone).
 */
import { DateTime } from 'luxon';
import { DEFAULT_POLICY } from '../../domain/catalog/events';

const TZ = 'Europe/Rome';
const HOURS = (lunchOpen: string) => ({ open: lunchOpen, close: '15:00' });
const week = (lunchOpen: string) =>
  Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [HOURS(lunchOpen), { open: '19:00', close: '23:00' }]]));
/** The default policy (domain/catalog) for parties of up to 6, which the example's tables (after PUT tables) seat. */
const POLICY = { ...DEFAULT_POLICY, maxPartySize: 6 };
const SECTION = 'Dolci';
const DISH = 'Tiramisu';
const OWNER = { email: 'ada.owner@example.com', password: 'correct horse battery', name: 'Ada Owner' };
const DINER = { email: 'bruno.diner@example.com', password: 'staple battery horse', name: 'Bruno Diner' };

export interface Examples {
  /** Request body examples by name (the steps' `example`). */
  body?: Record<string, { summary: string; value: unknown }>;
  /** Parameter examples by `in:name` (path, query, header). */
  params?: Record<string, unknown>;
}

/** Every operation's example request, for documents served at `now`. */
export function examplesAt(now: Date): Record<string, Examples> {
  const local = DateTime.fromJSDate(now, { zone: TZ });
  const tomorrow = local.plus({ days: 1 }).toISODate()!;
  const dayAfter = local.plus({ days: 2 }).toISODate()!;
  return {
    'POST /auth/register': { body: { owner: { summary: 'The owner', value: OWNER }, diner: { summary: 'A diner', value: DINER } } },
    'POST /auth/login': {
      body: {
        owner: { summary: 'The owner', value: { email: OWNER.email, password: OWNER.password } },
        diner: { summary: 'The diner', value: { email: DINER.email, password: DINER.password } },
      },
    },
    'POST /restaurants': {
      body: {
        trattoria: {
          summary: 'Lunch and dinner every day, manual acceptance',
          value: {
            name: 'Trattoria da Ada',
            cuisine: 'italian',
            description: 'Roman classics near the Pantheon.',
            phone: '+39 06 1234567',
            address: 'Via del Seminario 1, Roma',
            location: { lat: 41.8986, lon: 12.4769 },
            timezone: TZ,
            openingHours: week('12:00'),
            tables: [
              { id: 't1', seats: 2 },
              { id: 't2', seats: 4 },
            ],
            policy: { ...POLICY, maxPartySize: 4 },
            menu: [{ name: 'Primi', dishes: [{ name: 'Cacio e pepe', description: 'Tonnarelli, pecorino, black pepper', price: { amount: 14, currency: 'EUR' } }] }],
          },
        },
      },
    },
    'PATCH /restaurants/{id}': { body: { description: { summary: 'A new description', value: { description: 'Roman classics and natural wines near the Pantheon.' } } } },
    'PUT /restaurants/{id}/opening-hours': { body: { week: { summary: 'Lunch from 12:30, dinner 19:00-23:00, every day', value: week('12:30') } } },
    'PUT /restaurants/{id}/tables': {
      body: {
        three: {
          summary: 'Three tables',
          value: [
            { id: 't1', seats: 2 },
            { id: 't2', seats: 4 },
            { id: 't3', seats: 6 },
          ],
        },
      },
    },
    'PUT /restaurants/{id}/policy': { body: { manual: { summary: 'Manual acceptance, parties up to 6', value: POLICY } } },
    'POST /restaurants/{id}/menu/sections': { body: { dolci: { summary: 'A section', value: { name: SECTION } } } },
    'POST /restaurants/{id}/menu/sections/{section}/dishes': {
      params: { 'path:section': SECTION },
      body: { tiramisu: { summary: 'A dish', value: { name: DISH, description: 'Mascarpone, coffee, cocoa', price: { amount: 7, currency: 'EUR' } } } },
    },
    'PUT /restaurants/{id}/menu/sections/{section}/dishes/{dish}': {
      params: { 'path:section': SECTION, 'path:dish': DISH },
      body: { price: { summary: 'A new price', value: { price: { amount: 7.5, currency: 'EUR' } } } },
    },
    'DELETE /restaurants/{id}/menu/sections/{section}/dishes/{dish}': { params: { 'path:section': SECTION, 'path:dish': DISH } },
    'DELETE /restaurants/{id}/menu/sections/{section}': { params: { 'path:section': SECTION } },
    'GET /restaurants': { params: { 'query:cuisine': 'italian', 'query:limit': 5 } },
    'GET /restaurants/{id}/availability': { params: { 'query:date': tomorrow, 'query:partySize': 2 } },
    'POST /reservations': {
      body: {
        dinner: {
          summary: 'Tomorrow 19:00 for 2 (restaurantId: from POST /restaurants)',
          value: { restaurantId: '<restaurantId of POST /restaurants>', partySize: 2, start: `${tomorrow}T19:00`, name: DINER.name, notes: 'A quiet table, please' },
        },
        another: {
          summary: 'Tomorrow 20:00 for 2',
          value: { restaurantId: '<restaurantId of POST /restaurants>', partySize: 2, start: `${tomorrow}T20:00` },
        },
      },
    },
    'GET /reservations': { params: { 'query:from': tomorrow, 'query:to': dayAfter } },
    'GET /restaurants/{id}/reservations': { params: { 'query:date': tomorrow } },
    'POST /reservations/{id}/accept': { body: { none: { summary: 'No body is needed', value: {} } } },
    'POST /reservations/{id}/cancel': { body: { reason: { summary: 'A reason (optional)', value: { reason: 'Our plans changed' } } } },
    'POST /reservations/{id}/reject': { body: { full: { summary: 'A reason is required', value: { reason: 'Fully booked for a private event' } } } },
    // the floor's steps take no body
    'POST /reservations/{id}/seated': { body: { none: { summary: 'No body is needed', value: {} } } },
    'POST /reservations/{id}/no-show': { body: { none: { summary: 'No body is needed', value: {} } } },
    'POST /reservations/{id}/complete': { body: { none: { summary: 'No body is needed', value: {} } } },
  };
}
