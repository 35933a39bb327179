import type { DomainErrorCode } from '../errors';
import {
  completeEarlyRefusal,
  DEFAULT_NO_SHOW_GRACE_MINUTES,
  DEFAULT_SEAT_EARLY_MINUTES,
  freedByNoShow,
  NO_SHOW,
  noShowCount,
  noShowRefusal,
  SEATED,
  seatRefusal,
  type PastOutcome,
} from './floor';

const MIN = 60_000;
const START = Date.parse('2026-06-12T20:00:00+02:00');
const END = Date.parse('2026-06-12T21:30:00+02:00');
const at = (minutesFromStart: number): number => START + minutesFromStart * MIN;

describe('defaults', () => {
  test('a no-show may be marked 15 minutes after the start; seating opens 30 minutes before it', () => {
    expect(DEFAULT_NO_SHOW_GRACE_MINUTES).toBe(15);
    expect(DEFAULT_SEAT_EARLY_MINUTES).toBe(30);
  });
});

describe('seatRefusal (given a reservation, when the owner seats the party at now)', () => {
  const seat = (status: string, minutes: number, seatEarlyMinutes?: number) =>
    seatRefusal({ status, start: START, end: END, now: at(minutes), ...(seatEarlyMinutes === undefined ? {} : { seatEarlyMinutes }) });

  test.each([
    ['at the start', 0],
    ['exactly seatEarlyMinutes before the start', -20],
    ['late, a minute before the end', 89],
  ])('accepted, %s → seated', (_name, minutes) => {
    expect(seat('accepted', minutes, 20)).toBeUndefined();
  });

  test('without a policy, the default allowance applies', () => {
    expect(seat('accepted', -DEFAULT_SEAT_EARLY_MINUTES)).toBeUndefined();
    expect(seat('accepted', -DEFAULT_SEAT_EARLY_MINUTES - 1)?.code).toBe('NOT_YET');
  });

  test.each<[string, string, number, DomainErrorCode]>([
    ['a minute before the allowance', 'accepted', -21, 'NOT_YET'],
    ['at the end of the turn', 'accepted', 90, 'PAST_CUTOFF'],
    ['pending', 'pending', 0, 'NOT_ACCEPTED'],
    ['already seated', SEATED, 0, 'NOT_ACCEPTED'],
    ['marked a no-show', NO_SHOW, 20, 'ALREADY_FINAL'],
    ['cancelled', 'cancelled', 0, 'ALREADY_FINAL'],
    ['completed', 'completed', 0, 'ALREADY_FINAL'],
  ])('%s → refused %s', (_name, status, minutes, code) => {
    expect(seat(status, minutes, 20)?.code).toBe(code);
  });

  test('a refusal for timing names the window; one for status names the status', () => {
    expect(seat('accepted', -21, 20)?.details).toEqual({ seatFrom: '2026-06-12T17:40:00.000Z', seatUntil: '2026-06-12T19:30:00.000Z' });
    expect(seat('pending', 0)?.details).toEqual({ reservationStatus: 'pending' });
  });
});

describe('noShowRefusal (given a reservation, when the owner marks it a no-show at now)', () => {
  test('accepted, a minute past the default grace → allowed', () => {
    expect(noShowRefusal({ status: 'accepted', start: START, now: at(16) })).toBeUndefined();
  });
  test('accepted, at the end of the grace → too early (the party may still walk in)', () => {
    const refusal = noShowRefusal({ status: 'accepted', start: START, now: at(15) });
    expect(refusal?.code).toBe('NOT_YET');
    expect(refusal?.details).toEqual({ noShowAfter: '2026-06-12T18:15:00.000Z' });
  });
  test('the policy’s grace replaces the default', () => {
    expect(noShowRefusal({ status: 'accepted', start: START, now: at(6), noShowGraceMinutes: 5 })).toBeUndefined();
    expect(noShowRefusal({ status: 'accepted', start: START, now: at(14), noShowGraceMinutes: 30 })?.code).toBe('NOT_YET');
  });
  test('before the start → too early', () => {
    expect(noShowRefusal({ status: 'accepted', start: START, now: at(-10) })?.code).toBe('NOT_YET');
  });
  test.each<[string, DomainErrorCode]>([
    ['pending', 'NOT_ACCEPTED'],
    [SEATED, 'NOT_ACCEPTED'],
    [NO_SHOW, 'ALREADY_FINAL'],
    ['cancelled', 'ALREADY_FINAL'],
    ['expired', 'ALREADY_FINAL'],
  ])('%s → refused %s', (status, code) => {
    expect(noShowRefusal({ status, start: START, now: at(30) })?.code).toBe(code);
  });
});

describe('completeEarlyRefusal (given a reservation, when the owner ends its turn at now)', () => {
  test('seated, before the end → allowed', () => {
    expect(completeEarlyRefusal({ status: SEATED, now: at(60), end: END })).toBeUndefined();
  });
  test('seated, at the end → refused: it completes on its own', () => {
    expect(completeEarlyRefusal({ status: SEATED, now: END, end: END })?.code).toBe('PAST_CUTOFF');
  });
  test.each<[string, DomainErrorCode]>([
    ['accepted', 'NOT_SEATED'],
    ['pending', 'NOT_SEATED'],
    [NO_SHOW, 'ALREADY_FINAL'],
    ['completed', 'ALREADY_FINAL'],
    ['cancelled', 'ALREADY_FINAL'],
  ])('%s → refused %s', (status, code) => {
    expect(completeEarlyRefusal({ status, now: at(60), end: END })?.code).toBe(code);
  });
  test('a reservation not seated is told its status', () => {
    expect(completeEarlyRefusal({ status: 'accepted', now: at(60), end: END })?.details).toEqual({ reservationStatus: 'accepted' });
  });
});

describe('freedByNoShow (the rest of the turn a no-show frees)', () => {
  test('from now to the end of the turn', () => {
    expect(freedByNoShow({ start: START, end: END, now: at(20) })).toEqual({ start: at(20), end: END });
  });
  test('never from before the start', () => {
    expect(freedByNoShow({ start: START, end: END, now: at(-5) })).toEqual({ start: START, end: END });
  });
  test('nothing once the turn is over', () => {
    expect(freedByNoShow({ start: START, end: END, now: END })).toBeNull();
    expect(freedByNoShow({ start: START, end: END, now: END + MIN })).toBeNull();
  });
});

describe('noShowCount (a diner’s past no-shows at one restaurant)', () => {
  const history: PastOutcome[] = [
    { customerId: 'c1', restaurantId: 'r1', status: NO_SHOW },
    { customerId: 'c1', restaurantId: 'r1', status: 'completed' },
    { customerId: 'c1', restaurantId: 'r1', status: NO_SHOW },
    { customerId: 'c1', restaurantId: 'r2', status: NO_SHOW },
    { customerId: 'c2', restaurantId: 'r1', status: NO_SHOW },
    { customerId: 'c1', restaurantId: 'r1', status: 'cancelled' },
  ];
  test('counts only this diner’s no-shows at this restaurant', () => {
    expect(noShowCount(history, 'c1', 'r1')).toBe(2);
    expect(noShowCount(history, 'c1', 'r2')).toBe(1);
    expect(noShowCount(history, 'c2', 'r1')).toBe(1);
  });
  test('none without history', () => {
    expect(noShowCount([], 'c1', 'r1')).toBe(0);
    expect(noShowCount(history, 'c3', 'r1')).toBe(0);
  });
});
