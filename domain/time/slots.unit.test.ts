import { DomainError, type DomainErrorCode } from '../errors';
import { DEFAULT_POLICY, WEEKDAYS, type OpeningInterval, type RestaurantReplica, type Weekday } from '../reservation/restaurant';
import { bookableStarts, checkBookable, noStartsReason, openingDateOf } from './slots';
import { addDays, formatInZone, localDateOf, parseInstant, parseStart, turnEnd } from './zoned-time';

// ---- fixtures

const closedAllWeek = (): Record<Weekday, OpeningInterval[]> =>
  Object.fromEntries(WEEKDAYS.map((d) => [d, []])) as unknown as Record<Weekday, OpeningInterval[]>;

function restaurant(over: {
  timezone?: string;
  hours?: Partial<Record<Weekday, OpeningInterval[]>>;
  policy?: Partial<RestaurantReplica['policy']>;
  tables?: RestaurantReplica['tables'];
  closed?: boolean;
}): RestaurantReplica {
  return {
    restaurantId: 'r1',
    ownerId: 'o1',
    name: 'Trattoria',
    timezone: over.timezone ?? 'Europe/Rome',
    openingHours: { ...closedAllWeek(), ...over.hours },
    tables: over.tables ?? [
      { id: 't1', seats: 2 },
      { id: 't2', seats: 4 },
      { id: 't3', seats: 6 },
    ],
    policy: { ...DEFAULT_POLICY, minAdvanceMinutes: 0, maxAdvanceDays: 365, ...over.policy },
    closed: over.closed ?? false,
    version: 1,
  };
}

/** Far before every date used: only the opening hours decide. */
const LONG_AGO = new Date('2026-01-01T00:00:00Z');

/** The offered starts, as the restaurant's clock shows them. */
function starts(r: RestaurantReplica, date: string, now = LONG_AGO, partySize?: number): string[] {
  return bookableStarts({ restaurant: r, date, now, ...(partySize !== undefined ? { partySize } : {}) }).map((d) =>
    formatInZone(d, r.timezone),
  );
}

/** The wall-clock times `from`..`to` every `step` minutes, with a fixed offset: `HH:MM:00+02:00`. */
function wall(date: string, from: string, to: string, step: number, offset: string): string[] {
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  const out: string[] = [];
  for (let m = toMin(from); m <= toMin(to); m += step) {
    const day = m >= 1440 ? addDays(date, 1) : date;
    const mm = m % 1440;
    out.push(`${day}T${String(Math.floor(mm / 60)).padStart(2, '0')}:${String(mm % 60).padStart(2, '0')}:00${offset}`);
  }
  return out;
}

/** The DomainError `fn` throws (fails the test when it throws none). */
function catchError(fn: () => void): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('no DomainError was thrown');
}

function codeOf(fn: () => void): DomainErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
}

const instant = (iso: string): Date => {
  const d = parseInstant(iso);
  if (!d) throw new Error(`bad fixture ${iso}`);
  return d;
};

// ---- parseStart

describe('parseStart', () => {
  it.each([
    ['offset', '2026-03-29T19:30:00+02:00', 'Europe/Rome', '2026-03-29T17:30:00.000Z'],
    ['Z', '2026-03-29T17:30:00Z', 'Europe/Rome', '2026-03-29T17:30:00.000Z'],
    ['an offset other than the restaurant’s is still the instant it names', '2026-03-29T19:30:00-04:00', 'Europe/Rome', '2026-03-29T23:30:00.000Z'],
    ['local, read in the restaurant’s zone', '2026-03-29T19:30', 'Europe/Rome', '2026-03-29T17:30:00.000Z'],
    ['local with seconds', '2026-01-15T19:30:00', 'Europe/Rome', '2026-01-15T18:30:00.000Z'],
    ['local in New York', '2026-07-04T19:30', 'America/New_York', '2026-07-04T23:30:00.000Z'],
    // fall back: 02:30 happens twice in Rome on 2026-10-25 (at +02:00 and at +01:00): the earlier wins
    ['ambiguous local → earlier instant (Rome)', '2026-10-25T02:30', 'Europe/Rome', '2026-10-25T00:30:00.000Z'],
    ['ambiguous local → earlier instant (New York)', '2026-11-01T01:30', 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['the later occurrence is reachable with an explicit offset', '2026-10-25T02:30:00+01:00', 'Europe/Rome', '2026-10-25T01:30:00.000Z'],
  ])('%s: %s in %s → %s', (_rule, input, tz, expected) => {
    const parsed = parseStart(input, tz);
    expect(parsed).not.toBeInstanceOf(DomainError);
    expect((parsed as { instant: Date }).instant.toISOString()).toBe(expected);
  });

  it.each([
    ['spring forward gap (Rome)', '2026-03-29T02:30', 'Europe/Rome', 'NONEXISTENT_LOCAL_TIME'],
    ['spring forward gap, first minute (Rome)', '2026-03-29T02:00', 'Europe/Rome', 'NONEXISTENT_LOCAL_TIME'],
    ['spring forward gap (New York)', '2026-03-08T02:15', 'America/New_York', 'NONEXISTENT_LOCAL_TIME'],
    ['not a date', 'tomorrow at eight', 'Europe/Rome', 'INVALID_START'],
    ['impossible calendar date', '2026-02-30T19:00', 'Europe/Rome', 'INVALID_START'],
    ['impossible time', '2026-03-29T25:00', 'Europe/Rome', 'INVALID_START'],
    ['date only', '2026-03-29', 'Europe/Rome', 'INVALID_START'],
    ['unknown zone', '2026-03-29T19:30', 'Mars/Olympus', 'INVALID_TIMEZONE'],
  ])('%s: %s in %s is refused with %s', (_rule, input, tz, code) => {
    const parsed = parseStart(input, tz);
    expect(parsed).toBeInstanceOf(DomainError);
    expect((parsed as DomainError).code).toBe(code);
  });

  it('03:00 right after the gap exists', () => {
    expect(parseStart('2026-03-29T03:00', 'Europe/Rome')).toEqual({ instant: new Date('2026-03-29T01:00:00Z') });
  });
});

describe('formatInZone and localDateOf', () => {
  it.each([
    ['2026-03-29T17:30:00Z', 'Europe/Rome', '2026-03-29T19:30:00+02:00', '2026-03-29'],
    ['2026-03-28T17:30:00Z', 'Europe/Rome', '2026-03-28T18:30:00+01:00', '2026-03-28'],
    ['2026-06-12T22:30:00Z', 'Europe/Rome', '2026-06-13T00:30:00+02:00', '2026-06-13'],
    ['2026-06-13T03:30:00Z', 'America/New_York', '2026-06-12T23:30:00-04:00', '2026-06-12'],
    ['2026-06-13T03:30:00Z', 'UTC', '2026-06-13T03:30:00Z', '2026-06-13'],
  ])('%s in %s is %s on %s', (iso, tz, formatted, date) => {
    expect(formatInZone(new Date(iso), tz)).toBe(formatted);
    expect(localDateOf(new Date(iso), tz)).toBe(date);
  });

  it('round-trips through parseStart', () => {
    const i = new Date('2026-10-25T01:30:00Z'); // the second 02:30 in Rome
    expect(parseStart(formatInZone(i, 'Europe/Rome'), 'Europe/Rome')).toEqual({ instant: i });
  });
});

// ---- bookableStarts

describe('bookableStarts', () => {
  const lunchAndDinner = restaurant({
    hours: { friday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:00' }] },
  });

  it('a normal day: the slot grid of each interval, the whole 90-minute turn before closing', () => {
    expect(starts(lunchAndDinner, '2026-06-12')).toEqual([
      ...wall('2026-06-12', '12:00', '13:30', 15, '+02:00'),
      ...wall('2026-06-12', '19:00', '21:30', 15, '+02:00'),
    ]);
  });

  it('the grid starts at the interval’s opening, not at the full hour', () => {
    const r = restaurant({ hours: { friday: [{ open: '18:10', close: '21:00' }] }, policy: { slotMinutes: 30 } });
    expect(starts(r, '2026-06-12')).toEqual(wall('2026-06-12', '18:10', '19:10', 30, '+02:00'));
  });

  it('a weekday without hours has no slots', () => {
    expect(starts(lunchAndDinner, '2026-06-15')).toEqual([]);
  });

  it('a closed restaurant has no slots', () => {
    expect(starts({ ...lunchAndDinner, closed: true }, '2026-06-12')).toEqual([]);
  });

  it.each([
    ['larger than the policy allows', 9, 0],
    ['larger than the largest table', 7, 0],
    ['that fits', 6, 18],
  ])('a party %s (%i) gets %i slots', (_why, partySize, count) => {
    expect(starts(lunchAndDinner, '2026-06-12', LONG_AGO, partySize)).toHaveLength(count);
  });

  describe('an interval crossing midnight (Friday 18:00–02:00)', () => {
    const late = restaurant({ hours: { friday: [{ open: '18:00', close: '02:00' }] } });

    it('is listed under Friday, the opening day, up to 00:30 Saturday for a 90-minute turn', () => {
      expect(starts(late, '2026-06-12')).toEqual(wall('2026-06-12', '18:00', '24:30', 15, '+02:00'));
      expect(starts(late, '2026-06-12').at(-1)).toBe('2026-06-13T00:30:00+02:00');
    });

    it('is not listed again under Saturday', () => {
      expect(starts(late, '2026-06-13')).toEqual([]);
    });

    it('an after-midnight start belongs to the opening day', () => {
      expect(openingDateOf(late, instant('2026-06-13T00:15:00+02:00'))).toBe('2026-06-12');
      expect(openingDateOf(late, instant('2026-06-12T19:00:00+02:00'))).toBe('2026-06-12');
      expect(openingDateOf(late, instant('2026-06-13T00:45:00+02:00'))).toBeNull();
    });

    it('close 00:00 is midnight: the last turn ends at midnight and nothing is listed under the next day', () => {
      const untilMidnight = restaurant({ hours: { friday: [{ open: '20:00', close: '00:00' }] }, policy: { slotMinutes: 60, turnMinutes: 60 } });
      expect(starts(untilMidnight, '2026-06-12')).toEqual(wall('2026-06-12', '20:00', '23:00', 60, '+02:00'));
      expect(starts(untilMidnight, '2026-06-13')).toEqual([]);
    });

    it('close == open is not an interval (the catalog refuses it): the hours cannot be read', () => {
      const sameTime = restaurant({ hours: { friday: [{ open: '00:00', close: '00:00' }] }, policy: { slotMinutes: 60, turnMinutes: 60 } });
      expect(codeOf(() => starts(sameTime, '2026-06-12'))).toBe('INVALID_OPENING_HOURS');
      expect(codeOf(() => checkBookable({ restaurant: sameTime, start: instant('2026-06-12T12:00:00+02:00'), partySize: 2, now: LONG_AGO }))).toBe(
        'INVALID_OPENING_HOURS',
      );
    });
  });

  describe('the advance window', () => {
    const r = restaurant({
      hours: { friday: [{ open: '19:00', close: '23:00' }] },
      policy: { minAdvanceMinutes: 60, maxAdvanceDays: 7 },
    });

    it.each([
      ['now + minAdvance falls between slots: the next slot', '2026-06-12T18:20:00+02:00', '2026-06-12T19:30:00+02:00'],
      ['now + minAdvance is exactly a slot: it is included', '2026-06-12T18:30:00+02:00', '2026-06-12T19:30:00+02:00'],
      ['long before: the first slot', '2026-06-10T12:00:00+02:00', '2026-06-12T19:00:00+02:00'],
    ])('%s (now %s → first %s)', (_rule, now, first) => {
      expect(starts(r, '2026-06-12', instant(now))[0]).toBe(first);
    });

    it('nothing once the last slot is within minAdvance', () => {
      expect(starts(r, '2026-06-12', instant('2026-06-12T20:31:00+02:00'))).toEqual([]);
    });

    it('up to now + maxAdvanceDays, inclusive', () => {
      expect(starts(r, '2026-06-12', instant('2026-06-05T20:00:00+02:00')).at(-1)).toBe('2026-06-12T20:00:00+02:00');
      expect(starts(r, '2026-06-12', instant('2026-06-04T23:59:00+02:00'))).toEqual([]);
    });
  });

  describe('Europe/Rome, spring forward (Sunday 2026-03-29: 02:00–03:00 does not exist, a 23-hour day)', () => {
    it('hours covering the change: the gap’s wall times are skipped, the offset changes', () => {
      const r = restaurant({ hours: { sunday: [{ open: '00:00', close: '06:00' }] }, policy: { slotMinutes: 30, turnMinutes: 60 } });
      expect(starts(r, '2026-03-29')).toEqual([
        ...wall('2026-03-29', '00:00', '01:30', 30, '+01:00'),
        ...wall('2026-03-29', '03:00', '05:00', 30, '+02:00'),
      ]);
    });

    it('the turn is real elapsed time: 01:00 + 90 min ends at 03:30 on the wall', () => {
      // Saturday 20:00 – Sunday 03:30: wall arithmetic would offer 01:30 (01:30 + 1:30 = 03:00), but that
      // turn really ends at 04:00 CEST, after closing.
      const r = restaurant({ hours: { saturday: [{ open: '20:00', close: '03:30' }] }, policy: { slotMinutes: 30 } });
      const list = starts(r, '2026-03-28');
      expect(list.at(-1)).toBe('2026-03-29T01:00:00+01:00');
      expect(list).toHaveLength(11);
    });

    it('a normal dinner on the change day is unaffected', () => {
      const r = restaurant({ hours: { sunday: [{ open: '19:00', close: '22:00' }] }, policy: { slotMinutes: 30 } });
      expect(starts(r, '2026-03-29')).toEqual(wall('2026-03-29', '19:00', '20:30', 30, '+02:00'));
    });
  });

  describe('Europe/Rome, fall back (Sunday 2026-10-25: 02:00–03:00 happens twice, a 25-hour day)', () => {
    const r = restaurant({ hours: { sunday: [{ open: '00:00', close: '05:00' }] }, policy: { slotMinutes: 30, turnMinutes: 60 } });

    it('each wall time once, the repeated hour at its earlier occurrence; the turn fits in real time', () => {
      expect(starts(r, '2026-10-25')).toEqual([
        ...wall('2026-10-25', '00:00', '02:30', 30, '+02:00'),
        ...wall('2026-10-25', '03:00', '04:00', 30, '+01:00'),
      ]);
    });

    it('the second occurrence of the repeated hour is not a slot (documented choice)', () => {
      expect(codeOf(() => checkBookable({ restaurant: r, start: instant('2026-10-25T02:30:00+01:00'), partySize: 2, now: LONG_AGO }))).toBe(
        'OFF_SLOT_GRID',
      );
      expect(codeOf(() => checkBookable({ restaurant: r, start: instant('2026-10-25T02:30:00+02:00'), partySize: 2, now: LONG_AGO }))).toBe(
        'none',
      );
    });
  });

  describe('America/New_York', () => {
    it('an ordinary evening', () => {
      const r = restaurant({ timezone: 'America/New_York', hours: { friday: [{ open: '17:00', close: '22:00' }] }, policy: { slotMinutes: 30 } });
      expect(starts(r, '2026-06-12')).toEqual(wall('2026-06-12', '17:00', '20:30', 30, '-04:00'));
    });

    it('spring forward (2026-03-08: 02:00–03:00 does not exist)', () => {
      const r = restaurant({
        timezone: 'America/New_York',
        hours: { sunday: [{ open: '00:00', close: '05:00' }] },
        policy: { slotMinutes: 30, turnMinutes: 60 },
      });
      expect(starts(r, '2026-03-08')).toEqual([
        ...wall('2026-03-08', '00:00', '01:30', 30, '-05:00'),
        ...wall('2026-03-08', '03:00', '04:00', 30, '-04:00'),
      ]);
    });

    it('fall back (2026-11-01: 01:00–02:00 happens twice)', () => {
      const r = restaurant({
        timezone: 'America/New_York',
        hours: { sunday: [{ open: '00:00', close: '03:00' }] },
        policy: { slotMinutes: 30, turnMinutes: 60 },
      });
      expect(starts(r, '2026-11-01')).toEqual([
        ...wall('2026-11-01', '00:00', '01:30', 30, '-04:00'),
        ...wall('2026-11-01', '02:00', '02:00', 30, '-05:00'),
      ]);
    });
  });

  it('refuses a malformed date', () => {
    expect(codeOf(() => bookableStarts({ restaurant: lunchAndDinner, date: '12/06/2026', now: LONG_AGO }))).toBe('INVALID_DATE');
  });
});

// ---- checkBookable

describe('checkBookable', () => {
  const r = restaurant({
    hours: { friday: [{ open: '19:00', close: '02:00' }] },
    policy: { minAdvanceMinutes: 60, maxAdvanceDays: 30, maxPartySize: 8 },
    tables: [
      { id: 't1', seats: 2 },
      { id: 't2', seats: 6 },
    ],
  });
  const now = instant('2026-06-01T12:00:00+02:00');

  it.each<[string, Partial<{ start: string; partySize: number; now: string; closed: boolean }>, DomainErrorCode | 'none']>([
    ['an aligned slot in hours', {}, 'none'],
    ['an after-midnight slot of Friday’s interval', { start: '2026-06-13T00:30:00+02:00' }, 'none'],
    ['the same instant written in UTC', { start: '2026-06-12T18:00:00Z' }, 'none'],
    ['closed', { closed: true }, 'RESTAURANT_CLOSED'],
    ['closed beats every other rule', { closed: true, partySize: 50, start: '2026-06-12T03:00:00+02:00' }, 'RESTAURANT_CLOSED'],
    ['no party', { partySize: 0 }, 'INVALID_PARTY_SIZE'],
    ['a fractional party', { partySize: 2.5 }, 'INVALID_PARTY_SIZE'],
    ['more than maxPartySize', { partySize: 9 }, 'PARTY_TOO_LARGE'],
    ['more than the largest table', { partySize: 7 }, 'PARTY_TOO_LARGE'],
    ['off the slot grid', { start: '2026-06-12T20:10:00+02:00' }, 'OFF_SLOT_GRID'],
    ['before opening', { start: '2026-06-12T18:45:00+02:00' }, 'BETWEEN_SERVICES'],
    ['after the after-midnight closing', { start: '2026-06-13T02:30:00+02:00' }, 'BETWEEN_SERVICES'],
    ['the turn would end after closing', { start: '2026-06-13T00:45:00+02:00' }, 'TURN_PAST_CLOSING'],
    ['a day without hours', { start: '2026-06-11T20:00:00+02:00' }, 'CLOSED_THAT_DAY'],
    ['within minAdvance', { now: '2026-06-12T19:30:00+02:00', start: '2026-06-12T20:15:00+02:00' }, 'TOO_EARLY'],
    ['in the past', { now: '2026-06-12T22:00:00+02:00' }, 'IN_THE_PAST'],
    ['exactly minAdvance ahead', { now: '2026-06-12T19:15:00+02:00', start: '2026-06-12T20:15:00+02:00' }, 'none'],
    ['beyond maxAdvanceDays', { now: '2026-05-01T12:00:00+02:00' }, 'TOO_LATE'],
    ['exactly maxAdvanceDays ahead', { now: '2026-05-13T20:00:00+02:00' }, 'none'],
  ])('%s %j → %s', (_rule, over, expected) => {
    const input = {
      restaurant: { ...r, closed: over.closed ?? false },
      start: instant(over.start ?? '2026-06-12T20:00:00+02:00'),
      partySize: over.partySize ?? 2,
      now: over.now ? instant(over.now) : now,
    };
    expect(codeOf(() => checkBookable(input))).toBe(expected);
  });

  it('a party a combination of tables seats is not too large (mutual listing only)', () => {
    const paired = restaurant({
      hours: { friday: [{ open: '19:00', close: '02:00' }] },
      policy: { minAdvanceMinutes: 60, maxAdvanceDays: 30, maxPartySize: 10 },
      tables: [
        { id: 'w1', seats: 4, combinableWith: ['w2'] },
        { id: 'w2', seats: 4, combinableWith: ['w1'] },
        { id: 't6', seats: 6 },
      ],
    });
    const at = { start: instant('2026-06-12T20:00:00+02:00'), now };
    expect(codeOf(() => checkBookable({ restaurant: paired, partySize: 8, ...at }))).toBe('none');
    expect(codeOf(() => checkBookable({ restaurant: paired, partySize: 9, ...at }))).toBe('PARTY_TOO_LARGE');
    const oneSided = { ...paired, tables: [{ id: 'w1', seats: 4, combinableWith: ['w2'] }, { id: 'w2', seats: 4 }, { id: 't6', seats: 6 }] };
    expect(codeOf(() => checkBookable({ restaurant: oneSided, partySize: 8, ...at }))).toBe('PARTY_TOO_LARGE');
  });

  it('a start between services names the hours; a turn past closing names the closing time', () => {
    const lunchAndDinner = restaurant({ hours: { friday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:00' }] } });
    const between = catchError(() => checkBookable({ restaurant: lunchAndDinner, start: instant('2026-06-12T16:00:00+02:00'), partySize: 2, now: LONG_AGO }));
    expect([between.code, between.message]).toEqual(['BETWEEN_SERVICES', expect.stringContaining('12:00–15:00, 19:00–23:00')]);
    const late = catchError(() => checkBookable({ restaurant: lunchAndDinner, start: instant('2026-06-12T22:30:00+02:00'), partySize: 2, now: LONG_AGO }));
    expect([late.code, late.details]).toEqual(['TURN_PAST_CLOSING', expect.objectContaining({ closes: '23:00' })]);
  });

  it('errors carry a message and details for the client', () => {
    try {
      checkBookable({ restaurant: r, start: instant('2026-06-12T20:00:00+02:00'), partySize: 9, now });
      throw new Error('not refused');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).kind).toBe('invalid');
      expect((err as DomainError).details).toEqual({ partySize: 9, maxPartySize: 6 });
      expect((err as DomainError).message).toMatch(/at most 6 people/);
    }
  });

  it.each<[string, Partial<{ date: string; now: string; partySize: number; closed: boolean }>, DomainErrorCode | 'none']>([
    ['slots are offered', {}, 'none'],
    ['closed', { closed: true }, 'RESTAURANT_CLOSED'],
    ['a party no table seats', { partySize: 7 }, 'PARTY_TOO_LARGE'],
    ['a day without hours', { date: '2026-06-11' }, 'CLOSED_THAT_DAY'],
    ['a day gone by', { now: '2026-06-14T12:00:00+02:00' }, 'IN_THE_PAST'],
    ['the last start is within minAdvance', { now: '2026-06-13T00:15:00+02:00' }, 'TOO_EARLY'],
    ['beyond maxAdvanceDays', { now: '2026-05-01T12:00:00+02:00' }, 'TOO_LATE'],
  ])('availability with no start says why: %s → %s', (_why, over, expected) => {
    const reason = noStartsReason({
      restaurant: { ...r, closed: over.closed ?? false },
      date: over.date ?? '2026-06-12',
      now: over.now ? instant(over.now) : now,
      partySize: over.partySize ?? 2,
    });
    expect(reason?.code ?? 'none').toBe(expected);
  });

  it('every listed start is bookable (listing and check agree), including across DST changes', () => {
    const dst = restaurant({
      hours: { saturday: [{ open: '18:00', close: '04:00' }], sunday: [{ open: '00:00', close: '06:00' }] },
      policy: { minAdvanceMinutes: 0, maxAdvanceDays: 365 },
    });
    for (const date of ['2026-03-28', '2026-03-29', '2026-10-24', '2026-10-25']) {
      const list = bookableStarts({ restaurant: dst, date, now: LONG_AGO });
      expect(list.length).toBeGreaterThan(0);
      for (const start of list) {
        expect(codeOf(() => checkBookable({ restaurant: dst, start, partySize: 2, now: LONG_AGO }))).toBe('none');
        expect(turnEnd(start, 90).getTime() - start.getTime()).toBe(90 * 60_000);
      }
    }
  });
});
