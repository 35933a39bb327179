import type { LedgerState } from './ledger';
import { alternatives, deadlines, decideBy, ledgerIdFor, ledgerIdOfReservation, openingDateFor, openingDateOfPlacement, placementOf } from './placement';
import { cutoffMinutesOf, ledgerStepAfter, OUTCOME_EVENT, outcomeCommand, placedAtOf, releasesTable } from './outcomes';
import type { RestaurantReplica } from './restaurant';
import { ownerRefusal, STATUS_AFTER, statusAfter } from './rules';

const MIN = 60_000;
const week = (open: string, close: string) =>
  Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ open, close }]])) as RestaurantReplica['openingHours'];

const restaurant: RestaurantReplica = {
  restaurantId: 'r1',
  ownerId: 'owner',
  name: 'Da Mario',
  timezone: 'Europe/Rome',
  openingHours: week('18:00', '02:00'), // closes after midnight
  tables: [{ id: 't1', seats: 4 }],
  closed: false,
  version: 1,
  policy: {
    acceptance: 'manual',
    maxPartySize: 4,
    turnMinutes: 60,
    slotMinutes: 30,
    decisionTimeoutMinutes: 90,
    minAdvanceMinutes: 0,
    maxAdvanceDays: 30,
    cancellationCutoffMinutes: 120,
    reminderMinutesBefore: 45,
    maxBookingsPerCustomerPerDay: 20,
    waitlistOfferMinutes: 10,
    seatEarlyMinutes: 30,
    noShowGraceMinutes: 15,
  },
};

const START = '2026-06-12T20:00:00+02:00';
const NOW = new Date('2026-06-12T15:00:00+02:00');
const r = { start: START, end: '2026-06-12T21:00:00+02:00', tableId: 't1' };

describe('deadlines (instants of a placed reservation)', () => {
  test('reminder, customer cutoff, start and end by the policy; expiry the policy’s from now', () => {
    expect(deadlines(r, restaurant.policy, NOW)).toEqual({
      expiry: Date.parse('2026-06-12T16:30:00+02:00'),
      reminder: Date.parse('2026-06-12T19:15:00+02:00'),
      customerCutoff: Date.parse('2026-06-12T18:00:00+02:00'),
      start: Date.parse(START),
      end: Date.parse('2026-06-12T21:00:00+02:00'),
    });
  });
  test('the expiry never falls past the start', () => {
    expect(deadlines(r, restaurant.policy, new Date('2026-06-12T19:00:00+02:00')).expiry).toBe(Date.parse(START));
  });
  test('the expiry recorded with the request wins over the policy of today', () => {
    expect(deadlines({ ...r, decideBy: '2026-06-12T16:00:00+02:00' }, { ...restaurant.policy, decisionTimeoutMinutes: 5 }, NOW).expiry).toBe(
      Date.parse('2026-06-12T16:00:00+02:00'),
    );
  });
  test('decideBy is that expiry, in the restaurant’s zone', () => {
    expect(decideBy(restaurant, new Date(START), NOW)).toBe('2026-06-12T16:30:00+02:00');
    expect(decideBy(restaurant, new Date(START), new Date('2026-06-12T19:00:00+02:00'))).toBe('2026-06-12T20:00:00+02:00');
  });
});

describe('placementOf (the workflow’s delays)', () => {
  const p = placementOf({ ...r, status: 'pending' }, restaurant, NOW);
  test('every deadline as a delay from now', () => {
    expect(p).toMatchObject({
      status: 'pending',
      tableId: 't1',
      decisionTimeoutMs: 90 * MIN,
      reminderInMs: (4 * 60 + 15) * MIN,
      customerCutoffInMs: 3 * 60 * MIN,
      startInMs: 5 * 60 * MIN,
      endInMs: 6 * 60 * MIN,
      restaurantName: 'Da Mario',
      ownerId: 'owner',
    });
  });
  test('a deadline already past is due at once (never negative)', () => {
    expect(placementOf({ ...r, status: 'pending', decideBy: '2026-06-12T14:00:00+02:00' }, restaurant, NOW).decisionTimeoutMs).toBe(0);
  });
  test('the workflow reads the cutoff and the placement instant back from it', () => {
    expect(cutoffMinutesOf(p)).toBe(120);
    expect(placedAtOf(p)).toBe(NOW.getTime());
  });
  test('only accepted stays accepted; anything else placed is pending', () => {
    expect(placementOf({ ...r, status: 'accepted' }, restaurant, NOW).status).toBe('accepted');
  });
  test('the floor’s policy and the opening day travel with it (the workflow’s validators and waitlist feed read them)', () => {
    expect(p).toMatchObject({ seatEarlyMinutes: 30, noShowGraceMinutes: 15, openingDate: '2026-06-12' });
    const policy = { ...restaurant.policy, seatEarlyMinutes: 10, noShowGraceMinutes: 5 };
    expect(placementOf({ ...r, status: 'accepted', openingDate: '2026-06-11' }, { ...restaurant, policy }, NOW)).toMatchObject({
      seatEarlyMinutes: 10,
      noShowGraceMinutes: 5,
      openingDate: '2026-06-11',
    });
    expect(placementOf({ ...r, status: 'accepted', tableIds: ['t1', 't2'] }, restaurant, NOW).tableIds).toEqual(['t1', 't2']);
  });
  test('a placement recorded before the opening day was: the local date of its start', () => {
    const { openingDate: _o, ...old } = p;
    expect(openingDateOfPlacement(old)).toBe('2026-06-12');
    expect(openingDateOfPlacement({ ...old, openingDate: '2026-06-11' })).toBe('2026-06-11');
  });
});

describe('which ledger', () => {
  test('a booking after midnight belongs to the opening day that began the evening before', () => {
    const late = new Date('2026-06-13T00:30:00+02:00');
    expect(openingDateFor(restaurant, late)).toBe('2026-06-12');
    expect(ledgerIdFor(restaurant, late)).toBe('ledger-r1-2026-06-12');
  });
  test('outside the hours: the local date', () => {
    expect(openingDateFor(restaurant, new Date('2026-06-13T10:00:00+02:00'))).toBe('2026-06-13');
  });
  test('an existing reservation stays on the opening day recorded at placement', () => {
    const moved = { ...restaurant, timezone: 'Pacific/Auckland' };
    expect(ledgerIdOfReservation({ restaurantId: 'r1', start: START, openingDate: '2026-06-12' }, moved)).toBe('ledger-r1-2026-06-12');
    expect(ledgerIdOfReservation({ restaurantId: 'r1', start: START }, restaurant)).toBe('ledger-r1-2026-06-12');
  });
});

test('alternatives: the nearest free bookable starts of the same opening day', () => {
  const ledger: LedgerState = {
    bookings: {
      x: { reservationId: 'x', tableId: 't1', start: '2026-06-12T20:00:00+02:00', end: '2026-06-12T21:00:00+02:00', partySize: 2, status: 'confirmed' },
    },
  };
  expect(alternatives(restaurant, { start: new Date(START), partySize: 2, ledger, now: NOW, count: 2 })).toEqual([
    '2026-06-12T19:00:00+02:00',
    '2026-06-12T21:00:00+02:00',
  ]);
});

describe('the status each event leaves', () => {
  test.each(Object.entries(STATUS_AFTER))('%s', (type, status) => {
    expect(statusAfter(type, 'accepted')).toBe(status ?? 'accepted');
  });
  test('every outcome records one event, whose status the workflow shows', () => {
    expect(statusAfter(OUTCOME_EVENT.cancel, 'pending')).toBe('cancelled');
    expect(statusAfter(OUTCOME_EVENT.reminder, 'accepted')).toBe('accepted');
  });
});

test('owner only', () => {
  expect(ownerRefusal('owner')).toBeUndefined();
  expect(ownerRefusal('customer')).toMatchObject({ code: 'FORBIDDEN' });
});

describe('outcomes', () => {
  const at = new Date(NOW);
  test('a cancellation carries the instant and the cutoff it was asked with', () => {
    expect(outcomeCommand('cancel', { by: 'owner', at, cancellationCutoffMinutes: 120, reason: 'ill' })).toEqual({
      type: 'CancelReservation',
      by: 'owner',
      at,
      cancellationCutoffMinutes: 120,
      reason: 'ill',
    });
    expect(() => outcomeCommand('cancel', { by: 'owner' })).toThrow();
  });
  test('the ledger confirms on acceptance and releases when a reservation ends unused', () => {
    expect(ledgerStepAfter('accept', 'x')).toEqual({ type: 'ConfirmTable', reservationId: 'x' });
    expect(ledgerStepAfter('expire', 'x')).toEqual({ type: 'ReleaseTable', reservationId: 'x', reason: 'expire' });
    expect(ledgerStepAfter('reminder', 'x')).toBeUndefined();
    expect(ledgerStepAfter('complete', 'x')).toBeUndefined();
    expect(ledgerStepAfter('seat', 'x')).toBeUndefined();
  });
  test('a no-show and an early end give the table back, each under its reason', () => {
    expect(ledgerStepAfter('no-show', 'x')).toEqual({ type: 'ReleaseTable', reservationId: 'x', reason: 'no-show' });
    expect(ledgerStepAfter('complete-early', 'x')).toEqual({ type: 'ReleaseTable', reservationId: 'x', reason: 'completed-early' });
    expect(['reject', 'expire', 'cancel', 'no-show', 'complete-early'].every((o) => releasesTable(o as never))).toBe(true);
    expect(['accept', 'reminder', 'complete', 'seat'].some((o) => releasesTable(o as never))).toBe(false);
  });
  test('the floor’s steps carry the instant and the policy they were asked under (defaults when absent)', () => {
    expect(outcomeCommand('seat', { at, seatEarlyMinutes: 10 })).toEqual({ type: 'SeatReservation', at, seatEarlyMinutes: 10 });
    expect(outcomeCommand('no-show', { at })).toEqual({ type: 'MarkNoShow', at, noShowGraceMinutes: 15 });
    expect(outcomeCommand('complete-early', { at })).toEqual({ type: 'CompleteReservationEarly', at });
    expect(() => outcomeCommand('seat', {})).toThrow();
  });
  test('the end of the turn and an early end record the same event: only one of them is ever stored', () => {
    expect(OUTCOME_EVENT.complete).toBe(OUTCOME_EVENT['complete-early']);
  });
});
