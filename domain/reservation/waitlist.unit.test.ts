import { DomainError, type DomainErrorCode } from '../errors';
import { spec } from '../testing/decider-spec';
import {
  fitStart,
  offerExpiresAt,
  offerHolderOf,
  positionOf,
  queueOf,
  waitlistDecider,
  waitlistStreamId,
  type FreedTable,
  type JoinWaitlist,
  type WaitlistCommand,
  type WaitlistEvent,
  type WaitlistState,
} from './waitlist';

const waitlist = spec(waitlistDecider);

// ---- fixtures: Friday 12 June 2026 in Rome (+02:00), a full evening

const at = (hhmm: string): string => `2026-06-12T${hhmm}:00+02:00`;
const utc = (hhmm: string): string => new Date(at(hhmm)).toISOString();
const NOW = new Date(at('18:00'));

const join = (entryId: string, customerId: string, partySize: number, start: string, flexMinutes = 0): JoinWaitlist => ({
  type: 'JoinWaitlist',
  entryId,
  customerId,
  partySize,
  start,
  flexMinutes,
});
const joined = (j: JoinWaitlist): WaitlistEvent => {
  const { type: _type, ...data } = j;
  return { type: 'WaitlistJoined', data };
};

// e4 (a party of six) joined first; e1, e2 and e3 fit a table of four freed 20:00–22:00
const j4 = join('e4', 'c4', 6, at('20:00'));
const j1 = join('e1', 'c1', 2, at('20:00'));
const j2 = join('e2', 'c2', 4, at('20:00'), 30);
const j3 = join('e3', 'c3', 2, at('19:30'), 60);
const queue = [j4, j1, j2, j3].map(joined);

const t4: FreedTable = { tableId: 't4', seats: 4, from: at('20:00'), until: at('22:00'), turnMinutes: 90, offerMinutes: 10 };
const t2: FreedTable = { tableId: 't2', seats: 2, from: at('20:00'), until: at('22:00'), turnMinutes: 90, offerMinutes: 10 };
const freed = (table: FreedTable, now = NOW): WaitlistCommand => ({ type: 'TableFreed', ...table, now });

const offered = (entryId: string, table: FreedTable, start: string, expiresAt: string, passedOver: string[] = []): WaitlistEvent => ({
  type: 'WaitlistOffered',
  data: { entryId, tableId: table.tableId, start, expiresAt, freed: table, passedOver },
});
const offerE1 = offered('e1', t4, at('20:00'), utc('18:10'));
const accepted = (entryId: string, tableId: string, start: string, reservationId: string): WaitlistEvent => ({
  type: 'WaitlistOfferAccepted',
  data: { entryId, tableId, start, reservationId },
});
const offerExpired = (entryId: string, tableId: string): WaitlistEvent => ({ type: 'WaitlistOfferExpired', data: { entryId, tableId } });
const withdrawn = (entryId: string): WaitlistEvent => ({ type: 'WaitlistWithdrawn', data: { entryId } });
const entryExpired = (entryId: string): WaitlistEvent => ({ type: 'WaitlistEntryExpired', data: { entryId } });

const accept = (entryId: string, customerId: string, now: string, reservationId = 'res-w1'): WaitlistCommand => ({
  type: 'AcceptOffer',
  entryId,
  customerId,
  reservationId,
  now: new Date(now),
});
const withdraw = (entryId: string, customerId: string, now = at('18:05')): WaitlistCommand => ({ type: 'WithdrawEntry', entryId, customerId, now: new Date(now) });
const lapsed = (entryId: string, now: string): WaitlistCommand => ({ type: 'OfferLapsed', entryId, now: new Date(now) });
const expireDue = (now: string): WaitlistCommand => ({ type: 'ExpireDue', now: new Date(now) });

type Row = [rule: string, given: WaitlistEvent[], when: WaitlistCommand, then: WaitlistEvent[] | DomainErrorCode];

function check([, given, when, then]: Row): void {
  if (typeof then === 'string') waitlist.given(given).when(when).thenThrows(then);
  else waitlist.given(given).when(when).then(then);
}

/** The refusal's waitlist code (details.refusal), for the codes errors.ts does not have yet. */
function refusalOf(given: WaitlistEvent[], when: WaitlistCommand): unknown {
  try {
    waitlistDecider.decide(when, waitlist.given(given).state);
  } catch (err) {
    if (err instanceof DomainError) return err.details?.['refusal'];
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Never two live offers for one table, never two for one entry, and the table index agrees with the entries. */
function expectOneOfferPerTable(state: WaitlistState): void {
  const live = queueOf(state).filter((e) => e.status === 'offered');
  const tables = live.map((e) => e.offer?.tableId);
  expect(new Set(tables).size).toBe(tables.length);
  expect(Object.fromEntries(live.map((e) => [e.offer?.tableId, e.entryId]))).toEqual(state.offeredTables);
}

it('one stream per restaurant and local day', () => {
  expect(waitlistStreamId('r1', '2026-06-12')).toBe('waitlist-r1-2026-06-12');
});

describe('Join', () => {
  it.each<Row>([
    ['a diner joins, waiting', [], j1, [joined(j1)]],
    ['flex up to 120 minutes', [], join('e1', 'c1', 2, at('20:00'), 120), [joined(join('e1', 'c1', 2, at('20:00'), 120))]],
    ['a retried join is a no-op', [joined(j1)], j1, []],
    ['the same start written with another offset is the same join', [joined(j1)], { ...j1, start: '2026-06-12T18:00:00Z' }, []],
    ['another join reusing the id is refused', [joined(j1)], { ...j1, partySize: 3 }, 'ALREADY_EXISTS'],
    ['no party', [], { ...j1, partySize: 0 }, 'INVALID_PARTY_SIZE'],
    ['a start without offset', [], { ...j1, start: '2026-06-12T20:00' }, 'INVALID_START'],
    ['flex over 120', [], { ...j1, flexMinutes: 121 }, 'VALIDATION'],
    ['negative flex', [], { ...j1, flexMinutes: -5 }, 'VALIDATION'],
  ])('%s', (...row) => check(row));
});

describe('TableFreed: the first waiting entry that fits, in join order', () => {
  it.each<Row>([
    ['queue order: the first that fits is offered, held for offerMinutes', queue, freed(t4), [offerE1]],
    ['an entry joined earlier but too large is skipped', [joined(j4), joined(j2), joined(j1)], freed(t4), [offered('e2', t4, at('20:00'), utc('18:10'))]],
    ['the freed start is offered when it lies within the flex window', [joined(j3)], freed(t4), [offered('e3', t4, at('20:00'), utc('18:10'))]],
    ['the entry\'s own start is preferred when the table is free then', [joined(j2)], freed({ ...t4, from: at('19:45') }), [
      offered('e2', { ...t4, from: at('19:45') }, at('20:00'), utc('18:10')),
    ]],
    ['a freed start outside the window does not fit', [joined(j1)], freed({ ...t4, from: at('20:30'), until: at('23:00') }), []],
    ['the whole turn must fit in the freed interval', [joined(j1)], freed({ ...t4, until: at('21:00') }), []],
    ['a start already past is not offered', [joined(j1)], freed(t4, new Date(at('20:00'))), []],
    ['the hold never runs past the start offered', [joined(j1)], freed(t4, new Date(at('19:55'))), [offered('e1', t4, at('20:00'), utc('20:00'))]],
    ['an entry already offered a table is not offered another', [...queue, offerE1], freed(t2), [offered('e3', t2, at('20:00'), utc('18:10'))]],
    ['withdrawn, booked and expired entries are not offered', [...queue, withdrawn('e1'), offered('e2', t2, at('20:00'), utc('18:10')), accepted('e2', 't2', at('20:00'), 'res-2'), entryExpired('e3')], freed(t4), []],
    ['nobody fits: nothing is offered', [joined(j4)], freed(t4), []],
    ['nobody waits: nothing is offered', [], freed(t4), []],
    ['one offer per table: the same freeing told again is a retry', [...queue, offerE1], freed(t4), []],
    ['never two live offers for one table: another freeing of an offered table is refused', [...queue, offerE1], freed({ ...t4, from: at('22:00'), until: at('23:59') }), 'TABLE_OFFERED'],
    ['an interval that ends before it starts', queue, freed({ ...t4, until: at('19:00') }), 'INVALID_PERIOD'],
    ['a table without seats', queue, freed({ ...t4, seats: 0 }), 'VALIDATION'],
    ['no turn', queue, freed({ ...t4, turnMinutes: 0 }), 'VALIDATION'],
  ])('%s', (...row) => check(row));

  it('refuses a second offer for a table with the waitlist code TABLE_OFFERED', () => {
    expect(refusalOf([...queue, offerE1], freed({ ...t4, from: at('22:00'), until: at('23:59') }))).toBe('TABLE_OFFERED');
  });

  it('the state records the live offer on the entry and the table', () => {
    const state = waitlist.given(queue).when(freed(t4)).then([offerE1]);
    expect(state.entries['e1']).toMatchObject({ status: 'offered', offer: { tableId: 't4', start: at('20:00'), expiresAt: utc('18:10') } });
    expect(offerHolderOf(state, 't4')).toBe('e1');
  });
});

describe('AcceptOffer: its diner, while the offer is live', () => {
  it.each<Row>([
    ['accepted before it expires: booked', [...queue, offerE1], accept('e1', 'c1', at('18:09')), [accepted('e1', 't4', at('20:00'), 'res-w1')]],
    ['a retried accept is a no-op', [...queue, offerE1, accepted('e1', 't4', at('20:00'), 'res-w1')], accept('e1', 'c1', at('18:09')), []],
    ['accepted at expiresAt: too late', [...queue, offerE1], accept('e1', 'c1', at('18:10')), 'OFFER_EXPIRED'],
    ['accepted after its offer lapsed', [...queue, offerE1, offerExpired('e1', 't4')], accept('e1', 'c1', at('18:11')), 'NOT_OFFERED'],
    ['a waiting entry has nothing to accept', queue, accept('e1', 'c1', at('18:05')), 'NOT_OFFERED'],
    ['a withdrawn entry has nothing to accept', [...queue, withdrawn('e1')], accept('e1', 'c1', at('18:05')), 'NOT_OFFERED'],
    ['booked under another reservation', [...queue, offerE1, accepted('e1', 't4', at('20:00'), 'res-w1')], accept('e1', 'c1', at('18:09'), 'res-other'), 'NOT_OFFERED'],
    ['only its diner may accept', [...queue, offerE1], accept('e1', 'c2', at('18:05')), 'FORBIDDEN'],
    ['an unknown entry', queue, accept('e9', 'c1', at('18:05')), 'NOT_FOUND'],
  ])('%s', (...row) => check(row));

  it('names the refusal: OFFER_EXPIRED after expiresAt, NOT_OFFERED when not offered', () => {
    expect(refusalOf([...queue, offerE1], accept('e1', 'c1', at('18:30')))).toBe('OFFER_EXPIRED');
    expect(refusalOf(queue, accept('e1', 'c1', at('18:05')))).toBe('NOT_OFFERED');
  });

  it('once booked, the entry keeps its reservation and the table is no longer on offer', () => {
    const state = waitlist.given([...queue, offerE1]).when(accept('e1', 'c1', at('18:05'))).then([accepted('e1', 't4', at('20:00'), 'res-w1')]);
    const { type: _type, ...details } = j1;
    expect(state.entries['e1']).toEqual({ ...details, status: 'booked', reservationId: 'res-w1', offers: 1 });
    expect(offerHolderOf(state, 't4')).toBeUndefined();
  });
});

describe('OfferLapsed: the hold passes to the next entry that fits', () => {
  it.each<Row>([
    ['expiry passes it on, in the same decision, held from now', [...queue, offerE1], lapsed('e1', at('18:10')), [
      offerExpired('e1', 't4'),
      offered('e2', t4, at('20:00'), utc('18:20'), ['e1']),
    ]],
    ['and on again, never back to an entry that had it', [...queue, offerE1, offerExpired('e1', 't4'), offered('e2', t4, at('20:00'), utc('18:20'), ['e1'])], lapsed('e2', at('18:20')), [
      offerExpired('e2', 't4'),
      offered('e3', t4, at('20:00'), utc('18:30'), ['e1', 'e2']),
    ]],
    ['nobody else fits: the offer just expires', [joined(j1), offerE1], lapsed('e1', at('18:10')), [offerExpired('e1', 't4')]],
    ['a timer before expiresAt (an earlier offer\'s) changes nothing', [...queue, offerE1], lapsed('e1', at('18:09')), []],
    ['accepted first: nothing lapses', [...queue, offerE1, accepted('e1', 't4', at('20:00'), 'res-w1')], lapsed('e1', at('18:10')), []],
    ['withdrawn first: nothing lapses', [...queue, offerE1, withdrawn('e1')], lapsed('e1', at('18:10')), []],
    ['a retried timer is a no-op', [...queue, offerE1, offerExpired('e1', 't4')], lapsed('e1', at('18:10')), []],
    ['an unknown entry', queue, lapsed('e9', at('18:10')), 'NOT_FOUND'],
  ])('%s', (...row) => check(row));

  it('the lapsed entry waits again in its old place, and is offered the next table that fits', () => {
    const history = [...queue, offerE1, offerExpired('e1', 't4'), offered('e2', t4, at('20:00'), utc('18:20'), ['e1'])];
    const state = waitlist.given(history).state;
    expect(state.entries['e1']?.status).toBe('waiting');
    expect(positionOf(state, 'e1')).toBe(2); // behind e4, which joined first
    waitlist.given(history).when(freed(t2, new Date(at('18:15')))).then([offered('e1', t2, at('20:00'), utc('18:25'))]);
  });
});

describe('WithdrawEntry: its diner, any time before the entry ends', () => {
  it.each<Row>([
    ['a waiting entry withdraws', queue, withdraw('e2', 'c2'), [withdrawn('e2')]],
    ['withdraw while offered passes the table on', [...queue, offerE1], withdraw('e1', 'c1', at('18:05')), [
      withdrawn('e1'),
      offered('e2', t4, at('20:00'), utc('18:15'), ['e1']),
    ]],
    ['withdraw while offered, nobody else fits', [joined(j1), offerE1], withdraw('e1', 'c1'), [withdrawn('e1')]],
    ['a retried withdrawal is a no-op', [...queue, withdrawn('e2')], withdraw('e2', 'c2'), []],
    ['a booked entry is final (cancel the reservation instead)', [...queue, offerE1, accepted('e1', 't4', at('20:00'), 'res-w1')], withdraw('e1', 'c1'), 'ALREADY_FINAL'],
    ['an expired entry is final', [...queue, entryExpired('e1')], withdraw('e1', 'c1'), 'ALREADY_FINAL'],
    ['only its diner may withdraw', queue, withdraw('e2', 'c1'), 'FORBIDDEN'],
    ['an unknown entry', queue, withdraw('e9', 'c1'), 'NOT_FOUND'],
  ])('%s', (...row) => check(row));
});

describe('ExpireDue: entries whose window has passed unserved', () => {
  const late = join('e5', 'c5', 2, at('21:00'));
  const long: FreedTable = { ...t4, until: at('23:00') };
  it.each<Row>([
    ['at their start (+ flex), unserved entries expire; the rest wait', queue, expireDue(at('20:00')), [entryExpired('e4'), entryExpired('e1')]],
    ['flex keeps an entry waiting until its last start', queue, expireDue(at('20:29')), [entryExpired('e4'), entryExpired('e1')]],
    ['at start + flex it expires', queue, expireDue(at('20:30')), [entryExpired('e4'), entryExpired('e1'), entryExpired('e2'), entryExpired('e3')]],
    ['nothing due', queue, expireDue(at('19:00')), []],
    ['final entries are not expired again', [...queue, withdrawn('e1'), entryExpired('e4')], expireDue(at('20:00')), []],
    ['an offered entry that is due expires and its table passes on', [joined(j1), joined(late), offered('e1', long, at('20:00'), utc('18:10'))], expireDue(at('20:00')), [
      entryExpired('e1'),
      offered('e5', long, at('21:00'), utc('20:10'), ['e1']),
    ]],
  ])('%s', (...row) => check(row));
});

describe('positionOf: place among waiting entries, in join order', () => {
  it('1 is next; offered, booked and withdrawn entries have none and those behind move up', () => {
    expect([j4, j1, j2, j3].map((j) => positionOf(waitlist.given(queue).state, j.entryId))).toEqual([1, 2, 3, 4]);
    const state = waitlist.given([...queue, offerE1, withdrawn('e4')]).state;
    expect(['e4', 'e1', 'e2', 'e3'].map((id) => positionOf(state, id))).toEqual([undefined, undefined, 1, 2]);
    expect(positionOf(state, 'e9')).toBeUndefined();
  });
});

describe('no double offers', () => {
  it('several tables freed, lapsed and withdrawn: never two live offers for one table or one entry', () => {
    const extra = [join('e5', 'c5', 2, at('20:00')), join('e6', 'c6', 4, at('20:00'), 15)];
    const t6: FreedTable = { ...t4, tableId: 't6', seats: 6 };
    const steps: WaitlistCommand[] = [
      freed(t4),
      freed(t2),
      freed(t6),
      freed(t4), // told again: nothing
      lapsed('e1', at('18:10')),
      withdraw('e4', 'c4', at('18:12')),
      lapsed('e3', at('18:10')),
      freed({ ...t2, tableId: 't2b' }, new Date(at('18:15'))),
      expireDue(at('18:30')),
    ];
    let state = waitlist.given([...queue, ...extra.map(joined)]).state;
    const offersByEntry: Record<string, number> = {};
    for (const command of steps) {
      const events = waitlistDecider.decide(command, state);
      state = events.reduce(waitlistDecider.evolve, state);
      expectOneOfferPerTable(state);
      for (const e of events) if (e.type === 'WaitlistOffered') offersByEntry[e.data.entryId] = (offersByEntry[e.data.entryId] ?? 0) + 1;
    }
    // t4 → e1, t2 → e3, t6 → e4 (t4 again: nothing); e1 lapses: t4 → e2; e4 withdraws: t6 → e1, waiting again and
    // first; e3 lapses: t2 → e5 (e6 is too large); t2b → e3, waiting again
    expect(state.offeredTables).toEqual({ t4: 'e2', t6: 'e1', t2: 'e5', t2b: 'e3' });
    expect(offersByEntry).toEqual({ e1: 2, e2: 1, e3: 2, e4: 1, e5: 1 });
  });
});

describe('rules', () => {
  it('fitStart: the entry\'s start, else the freed start within the window, else nothing', () => {
    expect(fitStart({ partySize: 4, start: at('20:00'), flexMinutes: 0 }, t4, NOW)).toBe(at('20:00'));
    expect(fitStart({ partySize: 4, start: at('19:30'), flexMinutes: 30 }, t4, NOW)).toBe(at('20:00'));
    expect(fitStart({ partySize: 4, start: at('19:29'), flexMinutes: 30 }, t4, NOW)).toBeUndefined();
    expect(fitStart({ partySize: 5, start: at('20:00'), flexMinutes: 0 }, t4, NOW)).toBeUndefined();
    expect(fitStart({ partySize: 4, start: at('20:30'), flexMinutes: 0 }, t4, NOW)).toBe(at('20:30')); // 20:30 + 90 = 22:00, the end
    expect(fitStart({ partySize: 4, start: at('20:31'), flexMinutes: 0 }, t4, NOW)).toBeUndefined();
  });

  it('offerExpiresAt: now + offerMinutes, never past the start', () => {
    expect(offerExpiresAt(NOW, 10, at('20:00'))).toBe(utc('18:10'));
    expect(offerExpiresAt(new Date(at('19:55')), 10, at('20:00'))).toBe(utc('20:00'));
  });
});
