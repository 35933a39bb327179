import { availableStarts, type LedgerBooking, type LedgerState } from '../../domain/reservation/ledger';
import { DEFAULT_POLICY, WEEKDAYS, type OpeningInterval, type RestaurantReplica, type Weekday } from '../../domain/reservation/restaurant';
import { advanceWindow, bookableStarts } from '../../domain/time/slots';
import { formatInZone } from '../../domain/time/zoned-time';
import { DateTime } from 'luxon';
import { availabilityReader } from './availability';

function restaurant(over: Partial<RestaurantReplica> & { hours?: OpeningInterval[] } = {}): RestaurantReplica {
  const hours = over.hours ?? [
    { open: '12:00', close: '15:00' },
    { open: '18:00', close: '01:00' },
  ];
  return {
    restaurantId: 'r1',
    ownerId: 'o1',
    name: 'Trattoria',
    timezone: 'Europe/Rome',
    openingHours: Object.fromEntries(WEEKDAYS.map((d) => [d, hours])) as Record<Weekday, OpeningInterval[]>,
    tables: [
      { id: 't1', seats: 2 },
      { id: 't2', seats: 4 },
    ],
    policy: { ...DEFAULT_POLICY, slotMinutes: 15, turnMinutes: 90, minAdvanceMinutes: 60, maxAdvanceDays: 30 },
    closed: false,
    version: 3,
    ...over,
  };
}

const booking = (id: string, tableId: string, start: string, minutes: number): LedgerBooking => ({
  reservationId: id,
  tableId,
  start,
  end: DateTime.fromISO(start, { setZone: true }).plus({ minutes }).toISO()!,
  partySize: 2,
  status: 'confirmed',
});

/** What the route answered before it kept anything: the domain functions composed as they are. */
function reference(r: RestaurantReplica, ledger: LedgerState, date: string, partySize: number, now: Date): string[] {
  return availableStarts(ledger, bookableStarts({ restaurant: r, date, now, partySize }), partySize, r.policy.turnMinutes, r.tables).map((s) =>
    formatInZone(s, r.timezone),
  );
}

describe('availabilityReader', () => {
  const reader = () => availabilityReader({ ledger: () => Promise.resolve({ bookings: {} }), ledgerCacheMs: 0 });

  test('answers what availableStarts(bookableStarts(…)) answers, at every `now` through a day (advance window edges included)', () => {
    const a = reader();
    const r = restaurant();
    const ledger: LedgerState = {
      bookings: {
        b1: booking('b1', 't1', '2027-03-27T19:00:00+01:00', 90),
        b2: booking('b2', 't2', '2027-03-27T19:30:00+01:00', 90),
        b3: booking('b3', 't1', '2027-03-28T00:30:00+01:00', 90),
      },
    };
    // the day before spring forward (the after-midnight slots fall on the DST night), parties the tables fit and do not
    for (const partySize of [1, 2, 4, 5]) {
      for (let t = Date.parse('2027-03-27T09:00:00Z'); t < Date.parse('2027-03-28T02:00:00Z'); t += 7 * 60_000 + 1234) {
        const now = new Date(t);
        const got = a.slots(r, ledger, '2027-03-27', partySize, now).map((s) => s.start);
        expect(got).toEqual(reference(r, ledger, '2027-03-27', partySize, now));
      }
    }
    // the far edge of the window (maxAdvanceDays): the date 30 days ahead is cut at the same wall time
    for (let t = Date.parse('2027-02-25T10:00:00Z'); t < Date.parse('2027-02-26T01:00:00Z'); t += 11 * 60_000 + 999) {
      const now = new Date(t);
      expect(a.slots(r, ledger, '2027-03-27', 2, now).map((s) => s.start)).toEqual(reference(r, ledger, '2027-03-27', 2, now));
    }
  });

  test('a new ledger content, a new restaurant version or a closed restaurant is never answered from what was kept', () => {
    const a = reader();
    const now = new Date('2027-01-01T00:00:00Z');
    const date = '2027-01-10';
    const empty: LedgerState = { bookings: {} };
    const r = restaurant();
    const before = a.slots(r, empty, date, 2, now).map((s) => s.start);
    expect(before).toContain('2027-01-10T19:00:00+01:00');
    // the same bookings read again (a new object) and a changed one
    const taken = { bookings: { b1: booking('b1', 't1', '2027-01-10T19:00:00+01:00', 90), b2: booking('b2', 't2', '2027-01-10T19:00:00+01:00', 90) } };
    expect(a.slots(r, taken, date, 2, now).map((s) => s.start)).toEqual(reference(r, taken, date, 2, now));
    expect(a.slots(r, taken, date, 2, now).map((s) => s.start)).not.toContain('2027-01-10T19:00:00+01:00');
    expect(a.slots(r, { bookings: {} }, date, 2, now).map((s) => s.start)).toEqual(before);
    // tables changed in a new version
    const oneTable = restaurant({ version: 4, tables: [{ id: 't2', seats: 4 }] });
    expect(a.slots(oneTable, taken, date, 2, now).map((s) => s.start)).toEqual(reference(oneTable, taken, date, 2, now));
    const closed = restaurant({ version: 5, closed: true });
    expect(a.slots(closed, empty, date, 2, now)).toEqual([]);
  });

  test('combined tables: a party only a combination seats gets slots, and a combined booking is not answered from a ledger that had one table of it', () => {
    const a = reader();
    const now = new Date('2027-01-01T00:00:00Z');
    const date = '2027-01-10';
    const r = restaurant({
      tables: [
        { id: 'w1', seats: 4, combinableWith: ['w2'] },
        { id: 'w2', seats: 4, combinableWith: ['w1'] },
      ],
    });
    const empty: LedgerState = { bookings: {} };
    // 8 only at w1 + w2: the party-size limit and the slots count the combination
    const all = a.slots(r, empty, date, 8, now).map((s) => s.start);
    expect(all).toContain('2027-01-10T19:00:00+01:00');
    expect(all).toEqual(reference(r, empty, date, 8, now));
    expect(a.slots(r, empty, date, 9, now)).toEqual([]);
    // the same occupancy by tableId, once as one table and once as the combination: different answers
    const one = { bookings: { b1: booking('b1', 'w1', '2027-01-10T19:00:00+01:00', 90) } };
    const both = { bookings: { b1: { ...booking('b1', 'w1', '2027-01-10T19:00:00+01:00', 90), tableIds: ['w1', 'w2'] } } };
    expect(a.slots(r, one, date, 2, now).map((s) => s.start)).toContain('2027-01-10T19:00:00+01:00');
    const answer = a.slots(r, both, date, 2, now).map((s) => s.start);
    expect(answer).not.toContain('2027-01-10T19:00:00+01:00');
    expect(answer).toEqual(reference(r, both, date, 2, now));
  });

  test('advanceWindow.latest is luxon’s same wall time N days later, to the millisecond, across DST changes', () => {
    for (const timezone of ['Europe/Rome', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      const r = restaurant({ timezone });
      for (let t = Date.parse('2027-02-20T00:00:00Z'); t < Date.parse('2027-04-10T00:00:00Z'); t += 53 * 60_000 + 17_321) {
        const want = DateTime.fromMillis(t, { zone: timezone }).plus({ days: r.policy.maxAdvanceDays }).toMillis();
        expect(advanceWindow(r, new Date(t)).latest).toBe(want);
      }
    }
  });

  test('the ledger is read at most once per ledgerCacheMs per restaurant and date; concurrent asks share a read; a failed read is not kept', async () => {
    let reads = 0;
    let fail = false;
    const a = availabilityReader({
      ledger: () => {
        reads++;
        return fail ? Promise.reject(new Error('down')) : Promise.resolve({ bookings: {} });
      },
      ledgerCacheMs: 60_000,
    });
    await Promise.all([a.ledger('r1', '2027-01-10'), a.ledger('r1', '2027-01-10'), a.ledger('r1', '2027-01-10')]);
    expect(reads).toBe(1);
    await a.ledger('r1', '2027-01-11');
    expect(reads).toBe(2);
    fail = true;
    await expect(a.ledger('r2', '2027-01-10')).rejects.toThrow('down');
    fail = false;
    await a.ledger('r2', '2027-01-10');
    expect(reads).toBe(4);

    const uncached = availabilityReader({ ledger: () => (reads++, Promise.resolve({ bookings: {} })), ledgerCacheMs: 0 });
    await uncached.ledger('r1', '2027-01-10');
    await uncached.ledger('r1', '2027-01-10');
    expect(reads).toBe(6);
  });
});
