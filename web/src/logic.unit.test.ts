import type { Reservation } from './api';
import { formatIntervals, parseIntervals } from './hours';
import { backoffMs } from './live';
import { upsert } from './reservations';

const r = (id: string, start: string, status = 'pending', extra: Partial<Reservation> = {}): Reservation => ({
  reservationId: id,
  restaurantId: 'rest',
  customerId: 'c',
  partySize: 2,
  start,
  status,
  ...extra,
});

describe('live list updates', () => {
  it('replaces a reservation by id, keeping fields the change lacks, and keeps the start order', () => {
    const list = [r('a', '2026-12-03T19:00:00+01:00', 'pending', { restaurantName: 'Olga' }), r('b', '2026-12-03T20:00:00+01:00')];
    const next = upsert(list, r('a', '2026-12-03T19:00:00+01:00', 'accepted'));
    expect(next.map((x) => [x.reservationId, x.status, x.restaurantName])).toEqual([
      ['a', 'accepted', 'Olga'],
      ['b', 'pending', undefined],
    ]);
    expect(list[0]!.status).toBe('pending');
  });

  it('adds a new one only when it belongs to the list, in start order (instants, not strings)', () => {
    const list = [r('a', '2026-12-03T19:00:00+01:00')];
    // 18:30 in UTC is 19:30 in Rome: after a
    expect(upsert(list, r('c', '2026-12-03T18:30:00Z')).map((x) => x.reservationId)).toEqual(['a', 'c']);
    expect(upsert(list, r('d', '2026-12-03T18:00:00+01:00')).map((x) => x.reservationId)).toEqual(['d', 'a']);
    expect(upsert(list, r('e', '2026-12-01T18:00:00+01:00'), () => false)).toEqual(list);
  });
});

describe('reconnect backoff', () => {
  it('doubles from 1 s to at most 30 s, jitter only shortening it', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => backoffMs(a, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffMs(0, () => 1)).toBe(800);
  });
});

describe('opening hours as typed', () => {
  it('parses intervals and writes them back', () => {
    expect(parseIntervals('12:00-15:00, 19:00 - 23:30')).toEqual({ intervals: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:30' }] });
    expect(parseIntervals('9:00-1:00')).toEqual({ intervals: [{ open: '09:00', close: '01:00' }] });
    expect(parseIntervals('  ')).toEqual({ intervals: [] });
    expect(parseIntervals('noon-3')).toEqual({ error: '"noon-3" is not an interval like 12:00-15:00.' });
    expect(parseIntervals('24:00-25:00')).toHaveProperty('error');
    expect(formatIntervals([{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:00' }])).toBe('12:00-15:00, 19:00-23:00');
    expect(formatIntervals(undefined)).toBe('');
  });
});
