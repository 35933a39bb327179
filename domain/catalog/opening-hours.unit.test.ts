import type { OpeningHours } from './events';
import { isOpenAt } from './opening-hours';

const week = (over: Partial<OpeningHours>): OpeningHours => ({
  monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [], ...over,
});
const everyDay = (open: string, close: string): OpeningHours =>
  week(Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ open, close }]])));

type Row = [string, OpeningHours, string, string, boolean];

const dinner = everyDay('19:00', '23:00');
// Saturday 22:00 to Sunday 04:00, crossing the spring-forward night in Rome (2026-03-29) and the fall-back night (2026-10-25)
const lateSaturday = week({ saturday: [{ open: '22:00', close: '04:00' }] });

const rows: Row[] = [
  // plain wall-clock checks (2026-03-02 is a Monday)
  ['before opening', dinner, 'UTC', '2026-03-02T18:59:59Z', false],
  ['at opening', dinner, 'UTC', '2026-03-02T19:00:00Z', true],
  ['just before closing', dinner, 'UTC', '2026-03-02T22:59:30Z', true],
  ['at closing (exclusive)', dinner, 'UTC', '2026-03-02T23:00:00Z', false],
  ['closed weekday', week({ tuesday: [{ open: '12:00', close: '15:00' }] }), 'UTC', '2026-03-02T13:00:00Z', false],
  ['second interval of the day', week({ monday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:30' }] }), 'UTC', '2026-03-02T23:15:00Z', true],
  // after midnight: the previous day's interval counts
  ['after-midnight tail on the next day', week({ monday: [{ open: '22:00', close: '02:00' }] }), 'UTC', '2026-03-03T01:30:00Z', true],
  ['after the tail', week({ monday: [{ open: '22:00', close: '02:00' }] }), 'UTC', '2026-03-03T02:00:00Z', false],
  ['tail not counted two days later', week({ monday: [{ open: '22:00', close: '02:00' }] }), 'UTC', '2026-03-04T01:30:00Z', false],
  ['sunday tail into monday', week({ sunday: [{ open: '22:00', close: '02:00' }] }), 'UTC', '2026-03-02T01:00:00Z', true],
  ['until midnight (close 00:00)', week({ monday: [{ open: '20:00', close: '00:00' }] }), 'UTC', '2026-03-02T23:59:00Z', true],
  ['close 00:00 has no tail', week({ monday: [{ open: '20:00', close: '00:00' }] }), 'UTC', '2026-03-03T00:00:00Z', false],
  // local weekday, not UTC weekday: Monday 00:30 in Rome is Sunday 23:30 UTC
  // open == close is not an interval (the catalog refuses it, see domain/time/opening-interval.ts): it opens nothing
  ['open == close opens nothing that day', week({ monday: [{ open: '12:00', close: '12:00' }] }), 'UTC', '2026-03-02T12:30:00Z', false],
  ['open == close opens nothing the next day', week({ monday: [{ open: '12:00', close: '12:00' }] }), 'UTC', '2026-03-03T11:30:00Z', false],
  // close 00:00 on the spring-forward day: open until local midnight (22:59Z = 00:59 CEST is the next day)
  ['Rome, close 00:00 on the 23-hour day: 21:59Z = 23:59 CEST', week({ sunday: [{ open: '20:00', close: '00:00' }] }), 'Europe/Rome', '2026-03-29T21:59:00Z', true],
  ['Rome, close 00:00 on the 23-hour day: 22:00Z = 00:00 CEST Monday', week({ sunday: [{ open: '20:00', close: '00:00' }] }), 'Europe/Rome', '2026-03-29T22:00:00Z', false],
  ['weekday taken in the zone', week({ monday: [{ open: '00:00', close: '01:00' }] }), 'Europe/Rome', '2026-03-01T23:30:00Z', true],

  // Europe/Rome spring forward 2026-03-29 02:00 CET -> 03:00 CEST: the same UTC instant is a different wall time
  ['Rome, day before spring forward: 17:30Z = 18:30 CET', dinner, 'Europe/Rome', '2026-03-28T17:30:00Z', false],
  ['Rome, day of spring forward: 17:30Z = 19:30 CEST', dinner, 'Europe/Rome', '2026-03-29T17:30:00Z', true],
  ['Rome, before spring forward: 21:30Z = 22:30 CET', dinner, 'Europe/Rome', '2026-03-28T21:30:00Z', true],
  ['Rome, after spring forward: 21:30Z = 23:30 CEST', dinner, 'Europe/Rome', '2026-03-29T21:30:00Z', false],
  ['Rome, tail across the skipped hour: 01:30Z = 03:30 CEST', lateSaturday, 'Europe/Rome', '2026-03-29T01:30:00Z', true],
  ['Rome, tail ends on the wall clock: 02:00Z = 04:00 CEST', lateSaturday, 'Europe/Rome', '2026-03-29T02:00:00Z', false],
  ['Rome, one UTC hour earlier on a normal night: 02:00Z = 03:00 CET', lateSaturday, 'Europe/Rome', '2026-03-22T02:00:00Z', true],

  // Europe/Rome fall back 2026-10-25 03:00 CEST -> 02:00 CET
  ['Rome, day before fall back: 17:30Z = 19:30 CEST', dinner, 'Europe/Rome', '2026-10-24T17:30:00Z', true],
  ['Rome, day of fall back: 17:30Z = 18:30 CET', dinner, 'Europe/Rome', '2026-10-25T17:30:00Z', false],
  ['Rome, first 02:30 (CEST) of the repeated hour', lateSaturday, 'Europe/Rome', '2026-10-25T00:30:00Z', true],
  ['Rome, second 02:30 (CET) of the repeated hour', lateSaturday, 'Europe/Rome', '2026-10-25T01:30:00Z', true],
  ['Rome, fall-back tail ends at 04:00 CET = 03:00Z', lateSaturday, 'Europe/Rome', '2026-10-25T03:00:00Z', false],
  ['Rome, 02:59Z = 03:59 CET still open', lateSaturday, 'Europe/Rome', '2026-10-25T02:59:00Z', true],

  // America/New_York spring forward 2026-03-08 02:00 EST -> 03:00 EDT
  ['New York, day before: 23:30Z = 18:30 EST', dinner, 'America/New_York', '2026-03-07T23:30:00Z', false],
  ['New York, day of: 23:30Z = 19:30 EDT', dinner, 'America/New_York', '2026-03-08T23:30:00Z', true],
  ['New York, 06:30Z on 03-08 = 01:30 EST, Saturday tail', week({ saturday: [{ open: '22:00', close: '03:30' }] }), 'America/New_York', '2026-03-08T06:30:00Z', true],
  ['New York, 07:15Z on 03-08 = 03:15 EDT, Saturday tail', week({ saturday: [{ open: '22:00', close: '03:30' }] }), 'America/New_York', '2026-03-08T07:15:00Z', true],
  ['New York, 07:30Z on 03-08 = 03:30 EDT, tail over', week({ saturday: [{ open: '22:00', close: '03:30' }] }), 'America/New_York', '2026-03-08T07:30:00Z', false],
];

describe('isOpenAt', () => {
  it.each(rows)('%s', (_, hours, zone, instant, expected) => {
    expect(isOpenAt(hours, zone, new Date(instant))).toBe(expected);
  });

  it('tolerates missing weekday keys', () => {
    expect(isOpenAt({ monday: [{ open: '00:00', close: '23:59' }] }, 'UTC', new Date('2026-03-03T10:00:00Z'))).toBe(false);
  });

  it('is closed for an unknown zone rather than guessing', () => {
    expect(isOpenAt(everyDay('00:00', '23:59'), 'Mars/Olympus', new Date('2026-03-02T10:00:00Z'))).toBe(false);
  });
});
