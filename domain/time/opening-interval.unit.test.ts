import { DAY_MINUTES, crossesMidnight, intervalSpan, minutesOf, spanCovers, spanMinutes, spansOverlap } from './opening-interval';

const span = (open: string, close: string) => intervalSpan({ open, close });
const hm = (h: number, m = 0) => h * 60 + m;

describe('minutesOf', () => {
  it.each([
    ['00:00', 0],
    ['09:05', hm(9, 5)],
    ['23:59', hm(23, 59)],
  ])('%s is %d minutes after midnight', (text, minutes) => expect(minutesOf(text)).toBe(minutes));

  it.each(['24:00', '7:00', '12:60', '12:00:00', '', 'noon'])('%j is not a time', (text) => expect(minutesOf(text)).toBeUndefined());
});

describe('intervalSpan: one meaning per shape of interval', () => {
  it('close > open lies within its day', () => {
    expect(span('12:00', '15:00')).toEqual({ open: hm(12), close: hm(15) });
    expect(crossesMidnight(span('12:00', '15:00')!)).toBe(false);
  });

  it('close < open closes after midnight, on the next day', () => {
    expect(span('18:00', '02:00')).toEqual({ open: hm(18), close: DAY_MINUTES + hm(2) });
    expect(crossesMidnight(span('18:00', '02:00')!)).toBe(true);
    expect(spanMinutes(span('18:00', '02:00')!)).toBe(hm(8));
  });

  it('close 00:00 is midnight itself: the interval ends with its day, no minute of the next day', () => {
    const s = span('20:00', '00:00')!;
    expect(s).toEqual({ open: hm(20), close: DAY_MINUTES });
    expect(crossesMidnight(s)).toBe(false);
    expect(spanCovers(s, DAY_MINUTES - 1)).toBe(true);
    expect(spanCovers(s, DAY_MINUTES)).toBe(false);
  });

  it('an interval from 00:00 starts at the day’s midnight', () => {
    expect(span('00:00', '06:00')).toEqual({ open: 0, close: hm(6) });
    expect(spanMinutes(span('00:00', '23:59')!)).toBe(DAY_MINUTES - 1);
  });

  it('open == close is not an interval (neither "never" nor "round the clock")', () => {
    expect(span('12:00', '12:00')).toBeUndefined();
    expect(span('00:00', '00:00')).toBeUndefined();
  });

  it('a malformed time is not an interval', () => {
    expect(span('24:00', '02:00')).toBeUndefined();
    expect(span('18:00', '24:00')).toBeUndefined();
    expect(intervalSpan({ open: 18 as unknown as string, close: '20:00' })).toBeUndefined();
  });

  it('the longest interval is one minute short of a day', () => {
    expect(spanMinutes(span('12:00', '11:59')!)).toBe(DAY_MINUTES - 1);
    expect(spanMinutes(span('12:00', '12:01')!)).toBe(1);
  });
});

describe('spanCovers: open at opening, closed at closing', () => {
  const late = span('22:00', '02:00')!;
  it.each([
    [hm(21, 59), false],
    [hm(22), true],
    [DAY_MINUTES + hm(1, 59), true],
    [DAY_MINUTES + hm(2), false],
  ])('minute %d → %s', (minute, open) => expect(spanCovers(late, minute)).toBe(open));
});

describe('spansOverlap', () => {
  it('touching intervals do not overlap; sharing a minute does', () => {
    expect(spansOverlap(span('12:00', '15:00')!, span('15:00', '18:00')!)).toBe(false);
    expect(spansOverlap(span('12:00', '15:00')!, span('14:59', '18:00')!)).toBe(true);
  });
  it('an overnight interval overlaps a later one of the same day', () => {
    expect(spansOverlap(span('22:00', '02:00')!, span('23:00', '23:30')!)).toBe(true);
  });
});
