/**
 * The fault suite's checks must not pass vacuously: each one, fed a history with exactly the defect it
 * exists to catch, names it (stream, version, reservation, table).
 */
import type { ServiceName, StoredEvent } from '../../eventstore/types';
import { checkGapless, checkLedgers, checkReservationStreams, type History } from './history-checks';

function ev(streamId: string, version: number, type: string, data: Record<string, unknown> = {}, eventId = `${streamId}:${version}`): StoredEvent {
  return { streamId, version, type, data, eventId, service: 'reservation', metadata: { occurredAt: '2026-12-01T00:00:00Z', schemaVersion: 1 } };
}

function history(events: StoredEvent[]): History {
  const h = {} as History;
  for (const s of ['catalog', 'reservation', 'auth'] as ServiceName[]) h[s] = { table: `t-${s}-events`, streams: new Map(), events: 0 };
  for (const e of events) {
    const r = h.reservation;
    r.streams.set(e.streamId, [...(r.streams.get(e.streamId) ?? []), e]);
    r.events++;
  }
  return h;
}

const claim = (rid: string, tableId: string, start: string, end: string) => ({ reservationId: rid, tableId, start, end, partySize: 2 });
const L = 'ledger-r1-2027-01-10';
const S = '2027-01-10T19:00:00+01:00';
const E = '2027-01-10T20:00:00+01:00';

/** Two reservations, each held, then one cancelled and released: all fine. */
function healthy(): StoredEvent[] {
  return [
    ev('reservation-a', 1, 'ReservationRequested', { tableId: 't1' }),
    ev('reservation-a', 2, 'ReservationAccepted', { by: 'auto' }),
    ev('reservation-a', 3, 'ReservationCancelled', { by: 'customer' }),
    ev('reservation-b', 1, 'ReservationRequested', { tableId: 't1' }),
    ev(L, 1, 'TableBooked', claim('a', 't1', S, E)),
    ev(L, 2, 'TableReleased', { reservationId: 'a', tableId: 't1', reason: 'cancelled' }),
    ev(L, 3, 'TableHeld', claim('b', 't1', S, E)),
  ];
}

test('a healthy history has no findings', () => {
  const h = history(healthy());
  const { findings, statusOf } = checkReservationStreams(h);
  expect([...checkGapless(h), ...findings, ...checkLedgers(h, statusOf)]).toEqual([]);
  expect(statusOf.get('a')).toBe('cancelled');
  expect(statusOf.get('b')).toBe('pending');
});

test('a gap and a duplicate event id are named with their stream', () => {
  const events = healthy().filter((e) => !(e.streamId === 'reservation-a' && e.version === 2));
  events.push(ev('reservation-b', 2, 'ReservationAccepted', {}, 'reservation-a:1'));
  const findings = checkGapless(history(events));
  expect(findings).toEqual([
    expect.stringContaining('reservation-a: versions [1,3] are not 1..2'),
    expect.stringMatching(/event id reservation-a:1 stored twice: reservation-a v1 ReservationRequested and reservation-b v2/),
  ]);
});

test('repeated and post-final lifecycle events are named', () => {
  const events = healthy();
  events.push(ev('reservation-a', 4, 'ReservationCancelled', { by: 'owner' }), ev('reservation-a', 5, 'ReminderDue', {}));
  const { findings } = checkReservationStreams(history(events));
  expect(findings.join('\n')).toMatch(/reservation-a: ReservationCancelled recorded more than once/);
  expect(findings.join('\n')).toMatch(/reservation-a: two final events/);
  expect(findings.join('\n')).toMatch(/v4 ReservationCancelled, v5 ReminderDue after the final ReservationCancelled/);
});

test('a double booking, a frozen table and a table mismatch are named', () => {
  const events = healthy();
  // c overlaps b on t1 for half an hour; b's request says t1 while c's says t2
  events.push(
    ev('reservation-c', 1, 'ReservationRequested', { tableId: 't2' }),
    ev('reservation-c', 2, 'ReservationRejected', { reason: 'x' }),
    ev(L, 4, 'TableHeld', claim('c', 't1', '2027-01-10T19:30:00+01:00', '2027-01-10T20:30:00+01:00')),
  );
  const h = history(events);
  const findings = checkLedgers(h, checkReservationStreams(h).statusOf);
  expect(findings).toEqual([
    expect.stringContaining(`DOUBLE BOOKING ${L} v4: table t1 given to c`),
    expect.stringContaining(`FROZEN TABLE ${L}: table t1 still held for c, which is rejected`),
    expect.stringContaining('reservation-c: says table t2, but ledger-r1-2027-01-10 gave it t1'),
  ]);
});

test('a claim made twice and a reservation without any claim are named', () => {
  const events = healthy();
  events.push(ev(L, 4, 'TableHeld', claim('b', 't2', S, E)), ev('reservation-d', 1, 'ReservationRequested', { tableId: 't3' }));
  const h = history(events);
  const findings = checkLedgers(h, checkReservationStreams(h).statusOf);
  expect(findings.join('\n')).toMatch(/v4: TableHeld for reservation b again/);
  expect(findings.join('\n')).toMatch(/reservation-d: no table was ever claimed/);
});
