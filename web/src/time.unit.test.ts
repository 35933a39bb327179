import { addDays, formatDate, formatLocal, localDate, localTime, openAtParam, timeLeft, todayIn } from './time';

describe('times in the restaurant zone', () => {
  it('reads the wall-clock time and date off the API string, wherever the browser is', () => {
    expect(localTime('2026-12-03T19:00:00+01:00')).toBe('19:00');
    expect(localTime('2026-12-03T07:15:00-05:00')).toBe('07:15');
    expect(localDate('2026-12-03T23:45:00+09:00')).toBe('2026-12-03');
    expect(formatLocal('2026-12-03T19:30:00+01:00')).toBe('Thu 3 Dec 2026, 19:30');
    expect(formatDate('2027-01-01')).toBe('Fri 1 Jan 2027');
  });

  it('gives today in a time zone (a date ahead of or behind UTC)', () => {
    const at = new Date('2026-12-02T23:30:00Z');
    expect(todayIn('Europe/Rome', at)).toBe('2026-12-03');
    expect(todayIn('America/New_York', at)).toBe('2026-12-02');
    expect(todayIn('Asia/Tokyo', new Date('2026-12-02T14:59:00Z'))).toBe('2026-12-02');
    expect(todayIn('Asia/Tokyo', new Date('2026-12-02T15:00:00Z'))).toBe('2026-12-03');
  });

  it('adds calendar days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('says the time left before a decision deadline', () => {
    const now = Date.parse('2026-12-02T18:00:00Z');
    expect(timeLeft('2026-12-02T18:00:42Z', now)).toBe('expires in 42 s');
    expect(timeLeft('2026-12-02T18:04:05Z', now)).toBe('expires in 4 min 05 s');
    expect(timeLeft('2026-12-02T20:12:00Z', now)).toBe('expires in 2 h 12 min');
    expect(timeLeft('2026-12-06T18:00:00Z', now)).toBe('expires in 4 days');
    expect(timeLeft('2026-12-02T17:59:59Z', now)).toBe('expired');
    expect(timeLeft('2026-12-02T18:00:00Z', now)).toBe('expired');
  });

  it('turns a datetime-local value into an instant for openAt', () => {
    const v = openAtParam('2026-12-03T19:30');
    expect(v).toMatch(/^2026-12-0[34]T\d\d:30:00\.000Z$/);
    expect(new Date(v!).getTime()).toBe(new Date('2026-12-03T19:30').getTime());
    expect(openAtParam('')).toBeUndefined();
    expect(openAtParam('nonsense')).toBeUndefined();
  });
});
