import type { DomainErrorCode } from '../errors';
import { spec } from '../testing/decider-spec';
import {
  availableStarts,
  nearestFreeStarts,
  ledgerDecider,
  ledgerStreamId,
  type HoldTable,
  type LedgerBooking,
  type LedgerEvent,
  type LedgerState,
} from './ledger';
import type { Table } from './restaurant';

const ledger = spec(ledgerDecider);

// ---- fixtures: Rome summer time, 60-minute turns unless said otherwise

const at = (hhmm: string, date = '2026-06-12') => `${date}T${hhmm}:00+02:00`;
const plus = (iso: string, minutes: number) => {
  const d = new Date(Date.parse(iso) + minutes * 60_000);
  // back to +02:00 wall time, to keep fixtures readable
  const local = new Date(d.getTime() + 2 * 3600_000).toISOString().slice(0, 16);
  return `${local}:00+02:00`;
};

const ONE_SIX: Table[] = [{ id: 'six', seats: 6 }];
const MIXED: Table[] = [
  { id: 't4', seats: 4 },
  { id: 't2', seats: 2 },
  { id: 't6', seats: 6 },
];

function hold(reservationId: string, start: string, partySize = 4, tables = ONE_SIX, turn = 60): HoldTable {
  return { type: 'HoldTable', reservationId, partySize, start, end: plus(start, turn), tables };
}
function held(reservationId: string, tableId: string, start: string, partySize = 4, turn = 60): LedgerEvent {
  return { type: 'TableHeld', data: { reservationId, tableId, start, end: plus(start, turn), partySize } };
}
function booked(reservationId: string, tableId: string, start: string, partySize = 4, turn = 60): LedgerEvent {
  return { type: 'TableBooked', data: { reservationId, tableId, start, end: plus(start, turn), partySize } };
}
const confirmed = (reservationId: string, tableId: string): LedgerEvent => ({ type: 'TableConfirmed', data: { reservationId, tableId } });
const released = (reservationId: string, tableId: string, reason = 'rejected'): LedgerEvent => ({
  type: 'TableReleased',
  data: { reservationId, tableId, reason },
});

it('one stream per restaurant per local date', () => {
  expect(ledgerStreamId('r1', '2026-06-12')).toBe('ledger-r1-2026-06-12');
});

describe('HoldTable: one 6-seat table, 60-minute turns (the 2020 system’s scenarios)', () => {
  const first = held('a', 'six', at('15:00'));

  it.each<[string, LedgerEvent[], HoldTable, LedgerEvent[] | DomainErrorCode]>([
    ['15:00 on an empty day is held', [], hold('a', at('15:00')), [first]],
    ['a second 15:00 finds no table', [first], hold('b', at('15:00')), 'NO_TABLE'],
    ['15:45 overlaps 15:00–16:00', [first], hold('b', at('15:45')), 'NO_TABLE'],
    ['14:15 overlaps the start of 15:00–16:00', [first], hold('b', at('14:15')), 'NO_TABLE'],
    ['16:00 starts as 15:00 ends (half-open turns)', [first], hold('b', at('16:00')), [held('b', 'six', at('16:00'))]],
    ['14:00 ends as 15:00 starts', [first], hold('b', at('14:00')), [held('b', 'six', at('14:00'))]],
    ['a confirmed booking blocks too', [first, confirmed('a', 'six')], hold('b', at('15:30')), 'NO_TABLE'],
    ['release frees the capacity', [first, released('a', 'six')], hold('b', at('15:00')), [held('b', 'six', at('15:00'))]],
    ['a party larger than every table finds none', [], hold('b', at('15:00'), 7), 'NO_TABLE'],
    ['holding again for the same reservation is a no-op (retry)', [first], hold('a', at('15:00')), []],
    ['…even if the retry asks for another time', [first], hold('a', at('18:00')), []],
    ['after its release the same reservation may hold again', [first, released('a', 'six')], hold('a', at('15:00')), [first]],
    ['confirm at once (auto acceptance): one TableBooked', [], { ...hold('a', at('15:00')), confirm: true }, [booked('a', 'six', at('15:00'))]],
    ['a booked table blocks like a held one', [booked('a', 'six', at('15:00'))], hold('b', at('15:30')), 'NO_TABLE'],
    ['booking again for the same reservation is a no-op (retry)', [booked('a', 'six', at('15:00'))], { ...hold('a', at('15:00')), confirm: true }, []],
    ['a booked table is released like a held one', [booked('a', 'six', at('15:00')), released('a', 'six')], hold('b', at('15:00')), [held('b', 'six', at('15:00'))]],
  ])('%s', (_rule, given, when, then) => {
    if (typeof then === 'string') ledger.given(given).when(when).thenThrows(then);
    else ledger.given(given).when(when).then(then);
  });
});

describe('HoldTable: the smallest free table that seats the party', () => {
  it.each<[string, LedgerEvent[], HoldTable, LedgerEvent[] | 'NO_TABLE']>([
    ['a party of 2 gets the 2-seat, not the 4', [], hold('a', at('20:00'), 2, MIXED), [held('a', 't2', at('20:00'), 2)]],
    ['a party of 3 gets the 4', [], hold('a', at('20:00'), 3, MIXED), [held('a', 't4', at('20:00'), 3)]],
    ['a party of 5 gets the 6', [], hold('a', at('20:00'), 5, MIXED), [held('a', 't6', at('20:00'), 5)]],
    ['the 2 is taken: a party of 2 moves up to the 4', [held('x', 't2', at('20:00'), 2)], hold('a', at('20:30'), 2, MIXED), [held('a', 't4', at('20:30'), 2)]],
    [
      'ties are broken by table id',
      [],
      hold('a', at('20:00'), 2, [
        { id: 'b', seats: 2 },
        { id: 'a', seats: 2 },
      ]),
      [held('a', 'a', at('20:00'), 2)],
    ],
    [
      'the 4 and 6 are taken: a party of 3 finds none although the 2 is free',
      [held('x', 't4', at('20:00')), held('y', 't6', at('20:00'))],
      hold('a', at('20:00'), 3, MIXED),
      'NO_TABLE',
    ],
    [
      'a booking on a table the restaurant no longer has blocks nothing',
      [held('x', 'gone', at('20:00'))],
      hold('a', at('20:00'), 6, MIXED),
      [held('a', 't6', at('20:00'), 6)],
    ],
  ])('%s', (_rule, given, when, then) => {
    if (typeof then === 'string') ledger.given(given).when(when).thenThrows(then);
    else ledger.given(given).when(when).then(then);
  });
});

describe('HoldTable: turns crossing midnight', () => {
  // Friday 23:30–01:00 is on Friday's ledger; Saturday 00:15 goes on Saturday's ledger.
  const friday: LedgerBooking = {
    reservationId: 'late',
    tableId: 'six',
    start: at('23:30'),
    end: at('01:00', '2026-06-13'),
    partySize: 4,
    status: 'confirmed',
  };

  it('the neighbouring date’s bookings passed in alsoOccupied count as taken', () => {
    ledger
      .given([])
      .when({ ...hold('b', at('00:15', '2026-06-13'), 4, ONE_SIX, 90), alsoOccupied: [friday] })
      .thenThrows('NO_TABLE');
  });

  it('without them the decider cannot know (the caller must pass them)', () => {
    ledger.given([]).when(hold('b', at('00:15', '2026-06-13'), 4, ONE_SIX, 90)).then([held('b', 'six', at('00:15', '2026-06-13'), 4, 90)]);
  });

  it('after the neighbour’s turn ends the table is free', () => {
    ledger
      .given([])
      .when({ ...hold('b', at('01:00', '2026-06-13')), alsoOccupied: [friday] })
      .then([held('b', 'six', at('01:00', '2026-06-13'))]);
  });
});

describe('HoldTable: malformed commands', () => {
  it.each<[string, HoldTable, 'INVALID_PERIOD' | 'INVALID_PARTY_SIZE']>([
    ['end before start', { ...hold('a', at('15:00')), end: at('14:00') }, 'INVALID_PERIOD'],
    ['empty period', { ...hold('a', at('15:00')), end: at('15:00') }, 'INVALID_PERIOD'],
    ['no offset (would depend on the machine’s zone)', { ...hold('a', at('15:00')), start: '2026-06-12T15:00:00' }, 'INVALID_PERIOD'],
    ['no party', hold('a', at('15:00'), 0), 'INVALID_PARTY_SIZE'],
  ])('%s', (_rule, when, code) => {
    ledger.given([]).when(when).thenThrows(code);
  });
});

describe('ConfirmTable and ReleaseTable', () => {
  const first = held('a', 'six', at('15:00'));

  it.each<[string, LedgerEvent[], Parameters<typeof ledgerDecider.decide>[0], LedgerEvent[] | 'NOT_HELD']>([
    ['confirm a hold', [first], { type: 'ConfirmTable', reservationId: 'a' }, [confirmed('a', 'six')]],
    ['confirm again: no-op', [first, confirmed('a', 'six')], { type: 'ConfirmTable', reservationId: 'a' }, []],
    ['confirm a booking (confirmed at once): no-op', [booked('a', 'six', at('15:00'))], { type: 'ConfirmTable', reservationId: 'a' }, []],
    ['confirm an unknown reservation', [first], { type: 'ConfirmTable', reservationId: 'zzz' }, 'NOT_HELD'],
    ['confirm a released hold', [first, released('a', 'six')], { type: 'ConfirmTable', reservationId: 'a' }, 'NOT_HELD'],
    ['release a hold', [first], { type: 'ReleaseTable', reservationId: 'a', reason: 'expired' }, [released('a', 'six', 'expired')]],
    ['release a confirmation', [first, confirmed('a', 'six')], { type: 'ReleaseTable', reservationId: 'a', reason: 'cancelled' }, [released('a', 'six', 'cancelled')]],
    ['release again: no-op (compensations may repeat)', [first, released('a', 'six')], { type: 'ReleaseTable', reservationId: 'a', reason: 'x' }, []],
    ['release what was never held: no-op', [], { type: 'ReleaseTable', reservationId: 'a', reason: 'x' }, []],
  ])('%s', (_rule, given, when, then) => {
    if (typeof then === 'string') ledger.given(given).when(when).thenThrows(then);
    else ledger.given(given).when(when).then(then);
  });

  it('state is plain JSON: held, then confirmed, then gone', () => {
    const afterHold = ledger.given([]).when(hold('a', at('15:00'))).then([first]);
    expect(afterHold).toEqual({
      bookings: { a: { reservationId: 'a', tableId: 'six', start: at('15:00'), end: at('16:00'), partySize: 4, status: 'held' } },
    });
    expect(JSON.parse(JSON.stringify(afterHold))).toEqual(afterHold);
    expect(ledger.given([first]).when({ type: 'ConfirmTable', reservationId: 'a' }).then([confirmed('a', 'six')]).bookings['a']?.status).toBe(
      'confirmed',
    );
    expect(ledger.given([first]).when({ type: 'ReleaseTable', reservationId: 'a', reason: 'x' }).then([released('a', 'six', 'x')])).toEqual({
      bookings: {},
    });
  });
});

describe('queries for availability', () => {
  const state: LedgerState = ledger.given([held('x', 't2', at('20:00'), 2), held('y', 't4', at('20:30'), 4)]).state;
  const d = (iso: string) => new Date(iso);

  it('a hold takes the smallest table with nothing overlapping [start, end)', () => {
    const given = [held('x', 't2', at('20:00'), 2), held('y', 't4', at('20:30'), 4)];
    // 20:00–21:00: t2 and t4 are taken, only t6 is free
    ledger.given(given).when(hold('a', at('20:00'), 2, MIXED)).then([held('a', 't6', at('20:00'), 2)]);
    // 21:00–22:00: t2 is free again (half-open), t4 is not
    ledger.given(given).when(hold('a', at('21:00'), 2, MIXED)).then([held('a', 't2', at('21:00'), 2)]);
    ledger.given(given).when(hold('a', at('21:00'), 3, MIXED)).then([held('a', 't6', at('21:00'), 3)]);
    // 21:30–22:30: everything is free
    ledger.given(given).when(hold('a', at('21:30'), 3, MIXED)).then([held('a', 't4', at('21:30'), 3)]);
  });

  it('availableStarts accepts several ledger states or bare bookings', () => {
    const saturday: LedgerState = ledger.given([held('z', 't6', at('00:00', '2026-06-13'))]).state;
    const lateStart = [d(at('23:30'))];
    // 23:30–00:30: only the 6 seats a party of 5, and Saturday's ledger has it from 00:00
    expect(availableStarts(state, lateStart, 5, 60, MIXED)).toEqual(lateStart);
    expect(availableStarts([state, saturday], lateStart, 5, 60, MIXED)).toEqual([]);
    expect(availableStarts(Object.values(saturday.bookings), lateStart, 5, 60, MIXED)).toEqual([]);
    expect(availableStarts([state, saturday], lateStart, 4, 60, MIXED)).toEqual(lateStart);
  });

  it('availableStarts: the candidates at which a table seating the party is free for the whole turn', () => {
    const candidates = ['19:00', '19:30', '20:00', '20:30', '21:00', '21:30'].map((h) => d(at(h)));
    const fmt = (ds: Date[]) => ds.map((x) => new Date(x.getTime() + 2 * 3600_000).toISOString().slice(11, 16)); // +02:00 wall
    const all = ['19:00', '19:30', '20:00', '20:30', '21:00', '21:30'];
    // party of 5: only t6 seats them, and it is free all evening
    expect(fmt(availableStarts(state, candidates, 5, 60, MIXED))).toEqual(all);
    // party of 3: t4 busy 20:30–21:30 but t6 is free → all
    expect(fmt(availableStarts(state, candidates, 3, 60, MIXED))).toEqual(all);
    // only the 2 and the 4: a party of 3 cannot sit while t4 is busy (20:30–21:30), turns included
    const small = MIXED.filter((t) => t.id !== 't6');
    expect(fmt(availableStarts(state, candidates, 3, 60, small))).toEqual(['19:00', '19:30', '21:30']);
    // party of 2: t2 busy 20:00–21:00, t4 busy 20:30–21:30 → from 20:00 to 20:30 nothing is free
    expect(fmt(availableStarts(state, candidates, 2, 60, small))).toEqual(['19:00', '19:30', '21:00', '21:30']);
    // nobody seats 7
    expect(availableStarts(state, candidates, 7, 60, MIXED)).toEqual([]);
  });
});

// ---- combined tables (issue 14)

// Two 4-tops by the window that push together (w1, w2, each naming the other), a 2-top that joins w2 only
// from w2's side (one-sided: never combined), a lone 6-top.
const FLOOR: Table[] = [
  { id: 'six', seats: 6 },
  { id: 'w2', seats: 4, combinableWith: ['w1', 'two'] },
  { id: 'w1', seats: 4, combinableWith: ['w2'] },
  { id: 'two', seats: 2 },
];
function heldAt(reservationId: string, tableIds: string[], start: string, partySize: number, turn = 60): LedgerEvent {
  return { type: 'TableHeld', data: { reservationId, tableId: tableIds[0]!, tableIds, start, end: plus(start, turn), partySize } };
}

describe('HoldTable: combined tables, smallest first', () => {
  it.each<[string, LedgerEvent[], HoldTable, LedgerEvent[] | 'NO_TABLE']>([
    ['a party one free table seats gets that table, not a combination', [], hold('a', at('20:00'), 6, FLOOR), [held('a', 'six', at('20:00'), 6)]],
    [
      'a party of 8 no single table seats gets the two window tables',
      [],
      hold('a', at('20:00'), 8, FLOOR),
      [heldAt('a', ['w1', 'w2'], at('20:00'), 8)],
    ],
    [
      'a party of 5 with the 6 taken gets the combination (8 seats)',
      [held('x', 'six', at('20:00'), 6)],
      hold('a', at('20:00'), 5, FLOOR),
      [heldAt('a', ['w1', 'w2'], at('20:00'), 5)],
    ],
    [
      'of two combinations the one with fewer seats wins',
      [],
      hold('a', at('20:00'), 7, [
        { id: 'a8', seats: 4, combinableWith: ['b8'] },
        { id: 'b8', seats: 4, combinableWith: ['a8'] },
        { id: 'c10', seats: 6, combinableWith: ['d10'] },
        { id: 'd10', seats: 4, combinableWith: ['c10'] },
      ]),
      [heldAt('a', ['a8', 'b8'], at('20:00'), 7)],
    ],
    ['a one-sided listing is no combination (w2 names two, two does not name w2)', [held('x', 'w1', at('20:00'), 4)], hold('a', at('20:00'), 6, FLOOR.filter((t) => t.id !== 'six')), 'NO_TABLE'],
    ['one table of the combination taken: no combination', [held('x', 'w1', at('20:00'), 2)], hold('a', at('20:00'), 8, FLOOR), 'NO_TABLE'],
    ['no combination seats more than its tables', [], hold('a', at('20:00'), 9, FLOOR), 'NO_TABLE'],
    [
      'confirm at once: one TableBooked with every table',
      [],
      { ...hold('a', at('20:00'), 8, FLOOR), confirm: true },
      [{ type: 'TableBooked', data: { reservationId: 'a', tableId: 'w1', tableIds: ['w1', 'w2'], start: at('20:00'), end: at('21:00'), partySize: 8 } }],
    ],
  ])('%s', (_rule, given, when, then) => {
    if (typeof then === 'string') ledger.given(given).when(when).thenThrows(then);
    else ledger.given(given).when(when).then(then);
  });

  it('every table of a combination is taken: neither can be held again for that turn', () => {
    const both = heldAt('a', ['w1', 'w2'], at('20:00'), 8);
    const fours = FLOOR.filter((t) => t.id === 'w1' || t.id === 'w2');
    ledger.given([both]).when(hold('b', at('20:30'), 2, fours)).thenThrows('NO_TABLE');
    ledger.given([both]).when(hold('b', at('20:30'), 2, [{ id: 'w2', seats: 4 }])).thenThrows('NO_TABLE');
    // the turn over, both are free again
    ledger.given([both]).when(hold('b', at('21:00'), 8, FLOOR)).then([heldAt('b', ['w1', 'w2'], at('21:00'), 8)]);
  });

  it('confirm and release act on the whole booking, and release frees every table', () => {
    const both = heldAt('a', ['w1', 'w2'], at('20:00'), 8);
    ledger
      .given([both])
      .when({ type: 'ConfirmTable', reservationId: 'a' })
      .then([{ type: 'TableConfirmed', data: { reservationId: 'a', tableId: 'w1', tableIds: ['w1', 'w2'] } }]);
    const after = ledger
      .given([both])
      .when({ type: 'ReleaseTable', reservationId: 'a', reason: 'cancelled' })
      .then([{ type: 'TableReleased', data: { reservationId: 'a', tableId: 'w1', tableIds: ['w1', 'w2'], reason: 'cancelled' } }]);
    expect(after).toEqual({ bookings: {} });
    const released2: LedgerEvent = { type: 'TableReleased', data: { reservationId: 'a', tableId: 'w1', tableIds: ['w1', 'w2'], reason: 'cancelled' } };
    ledger.given([both, released2]).when(hold('b', at('20:00'), 4, [{ id: 'w2', seats: 4 }])).then([held('b', 'w2', at('20:00'), 4)]);
  });

  it('a combined booking from a neighbouring date (alsoOccupied) blocks all its tables', () => {
    const late: LedgerBooking = { reservationId: 'late', tableId: 'w1', tableIds: ['w1', 'w2'], start: at('23:30'), end: at('01:00', '2026-06-13'), partySize: 8, status: 'confirmed' };
    ledger
      .given([])
      .when({ ...hold('b', at('00:15', '2026-06-13'), 3, [{ id: 'w2', seats: 4 }]), alsoOccupied: [late] })
      .thenThrows('NO_TABLE');
  });
});

describe('HoldTable: onlyTables (a waitlist offer holds the table that was freed)', () => {
  it.each<[string, LedgerEvent[], HoldTable, LedgerEvent[] | 'NO_TABLE']>([
    ['only the named table may be taken, even when a smaller one is free', [], { ...hold('a', at('20:00'), 2, MIXED), onlyTables: ['t6'] }, [held('a', 't6', at('20:00'), 2)]],
    ['the named table taken: no other is offered instead', [held('x', 't6', at('20:00'), 2)], { ...hold('a', at('20:00'), 2, MIXED), onlyTables: ['t6'] }, 'NO_TABLE'],
    ['the named table too small: none', [], { ...hold('a', at('20:00'), 5, MIXED), onlyTables: ['t4'] }, 'NO_TABLE'],
    ['an id the restaurant does not have: none', [], { ...hold('a', at('20:00'), 2, MIXED), onlyTables: ['gone'] }, 'NO_TABLE'],
    [
      'a freed combination may be held again as a combination',
      [],
      { ...hold('a', at('20:00'), 8, FLOOR), onlyTables: ['w1', 'w2'] },
      [heldAt('a', ['w1', 'w2'], at('20:00'), 8)],
    ],
    [
      'a single named table of a combination cannot be combined with one not named',
      [],
      { ...hold('a', at('20:00'), 8, FLOOR), onlyTables: ['w1'] },
      'NO_TABLE',
    ],
    ['an empty list allows nothing', [], { ...hold('a', at('20:00'), 2, MIXED), onlyTables: [] }, 'NO_TABLE'],
  ])('%s', (_rule, given, when, then) => {
    if (typeof then === 'string') ledger.given(given).when(when).thenThrows(then);
    else ledger.given(given).when(when).then(then);
  });
});

describe('availability counts combinations', () => {
  const d = (iso: string) => new Date(iso);
  const candidates = ['19:00', '19:30', '20:00', '20:30', '21:00'].map((h) => d(at(h)));
  const fmt = (ds: Date[]) => ds.map((x) => new Date(x.getTime() + 2 * 3600_000).toISOString().slice(11, 16)); // +02:00 wall

  it('a party of 8 is offered the starts at which both window tables are free', () => {
    // w1 busy 19:30–20:30: every turn from 19:00 to 20:00 overlaps it; from 20:30 both are free
    const state = ledger.given([held('x', 'w1', at('19:30'), 2)]).state;
    expect(fmt(availableStarts(state, candidates, 8, 60, FLOOR))).toEqual(['20:30', '21:00']);
    expect(fmt(availableStarts({ bookings: {} }, candidates, 8, 60, FLOOR))).toEqual(['19:00', '19:30', '20:00', '20:30', '21:00']);
  });

  it('a combined booking makes each of its tables unavailable', () => {
    const state = ledger.given([heldAt('a', ['w1', 'w2'], at('20:00'), 8)]).state;
    const fours = FLOOR.filter((t) => t.id === 'w1' || t.id === 'w2');
    expect(fmt(availableStarts(state, candidates, 4, 60, fours))).toEqual(['19:00', '21:00']);
  });

  it('no combination, no start: one-sided listings and parties larger than every combination', () => {
    expect(availableStarts({ bookings: {} }, candidates, 9, 60, FLOOR)).toEqual([]);
    const oneSided: Table[] = [
      { id: 'x', seats: 4, combinableWith: ['y'] },
      { id: 'y', seats: 4 },
    ];
    expect(availableStarts({ bookings: {} }, candidates, 8, 60, oneSided)).toEqual([]);
  });

  it('nearestFreeStarts offers the starts a combination seats', () => {
    const state = ledger.given([held('x', 'w1', at('19:30'), 2)]).state;
    expect(fmt(nearestFreeStarts(state, candidates, { start: d(at('20:00')), partySize: 8, turnMinutes: 60, tables: FLOOR }))).toEqual(['20:30', '21:00']);
  });
});
