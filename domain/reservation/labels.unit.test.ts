import {
  DETAILS_MAX_BYTES,
  SUMMARY_MAX_BYTES,
  bounded,
  jsonUtf8Bytes,
  localTimeLabel,
  outcomeSummary,
  releaseSummary,
  reservationCurrentDetails,
  reservationStartMetadata,
  reservationSummary,
  timerSummary,
} from './labels';

const r = {
  reservationId: 'res-1',
  restaurantId: 'rest-1',
  restaurantName: 'Trattoria da Mario',
  timezone: 'Europe/Rome',
  partySize: 4,
  start: new Date('2026-12-03T18:30:00Z'),
  guestName: 'Ada Lovelace',
  acceptance: 'manual' as const,
};

describe('localTimeLabel', () => {
  test('the restaurant’s wall clock, with the weekday', () => {
    expect(localTimeLabel(r.start, 'Europe/Rome')).toBe('Thu 2026-12-03 19:30');
    expect(localTimeLabel(r.start, 'America/New_York')).toBe('Thu 2026-12-03 13:30');
    expect(localTimeLabel(Date.parse('2026-12-03T23:30:00Z'), 'Asia/Tokyo')).toBe('Fri 2026-12-04 08:30');
  });
  test('across a DST change the offset of that day applies', () => {
    // 2026-03-29: Rome moves from +01:00 to +02:00 at 01:00 UTC
    expect(localTimeLabel(new Date('2026-03-29T00:30:00Z'), 'Europe/Rome')).toBe('Sun 2026-03-29 01:30');
    expect(localTimeLabel(new Date('2026-03-29T01:30:00Z'), 'Europe/Rome')).toBe('Sun 2026-03-29 03:30');
  });
  test('midnight is 00, never 24', () => {
    expect(localTimeLabel(new Date('2026-12-03T23:00:00Z'), 'Europe/Rome')).toBe('Fri 2026-12-04 00:00');
  });
  test('an unknown zone falls back to UTC instead of throwing', () => {
    expect(localTimeLabel(r.start, 'Mars/Olympus')).toBe('Thu 2026-12-03 18:30 UTC');
  });
});

describe('static summary and details', () => {
  test('summary: restaurant, party size, local start', () => {
    expect(reservationSummary(r)).toBe('Trattoria da Mario · party of 4 · Thu 2026-12-03 19:30');
  });
  test('a long or multi-line name is cut, never the time; the summary fits the server limit', () => {
    const long = { ...r, restaurantName: 'Ristorante ' + 'Ü'.repeat(200) + '\nsecond line' };
    const s = reservationSummary(long);
    expect(s).not.toContain('\n');
    expect(s.endsWith(' · party of 4 · Thu 2026-12-03 19:30')).toBe(true);
    expect(s).toContain('…');
    expect(jsonUtf8Bytes(s)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
  });
  test('markdown in a name is shown as typed', () => {
    expect(reservationSummary({ ...r, restaurantName: '*Star* _Bar_' })).toMatch(/^\\\*Star\\\* \\_Bar\\_ · /);
  });
  test('details name the restaurant, party, start in zone and UTC, acceptance and ids', () => {
    const { staticSummary, staticDetails } = reservationStartMetadata(r);
    expect(staticSummary).toBe(reservationSummary(r));
    expect(staticDetails.split('\n')).toEqual([
      '**Restaurant:** Trattoria da Mario (`rest-1`)',
      '**Party:** 4, booked under Ada Lovelace',
      '**Start:** Thu 2026-12-03 19:30 (Europe/Rome), 2026-12-03T18:30:00.000Z',
      '**Acceptance:** manual (the owner decides)',
      '**Reservation:** `res-1`',
    ]);
  });
});

describe('current details', () => {
  const deadline = Date.parse('2026-12-03T18:05:00Z');
  test('placing', () => {
    expect(reservationCurrentDetails({ status: 'placing' })).toBe('**Status:** placing: holding a table');
  });
  test('pending: table and decision deadline on the restaurant’s clock', () => {
    expect(reservationCurrentDetails({ status: 'pending', tableId: 't1', timezone: 'Europe/Rome', decisionDeadline: deadline }).split('\n')).toEqual([
      "**Status:** pending: waiting for the owner's decision",
      '**Table:** t1',
      '**Decide by:** Thu 2026-12-03 19:05 (Europe/Rome)',
    ]);
  });
  test('accepted: reminder and end of the turn; no deadline any more', () => {
    const v = { status: 'accepted', tableId: 't1', timezone: 'Europe/Rome', decisionDeadline: deadline, reminderAt: deadline, endAt: deadline + 3_600_000 };
    expect(reservationCurrentDetails(v).split('\n')).toEqual([
      '**Status:** accepted',
      '**Table:** t1',
      '**Reminder:** Thu 2026-12-03 19:05 (Europe/Rome)',
      '**Turn ends:** Thu 2026-12-03 20:05 (Europe/Rome)',
    ]);
  });
  test('final statuses, refusals and alerts', () => {
    expect(reservationCurrentDetails({ status: 'expired', tableId: 't1', decisionDeadline: deadline })).toBe('**Status:** expired: no decision before the deadline\n**Table:** t1');
    expect(reservationCurrentDetails({ status: 'not-placed', refusal: { code: 'NO_TABLE', message: 'No table\nfree.' } })).toBe(
      '**Status:** not placed\n**Refused:** NO_TABLE: No table free.',
    );
    expect(reservationCurrentDetails({ status: 'completed', alerts: ['reminder could not be recorded'] })).toBe(
      '**Status:** completed\n**Alert:** reminder could not be recorded',
    );
  });
  test('bounded', () => {
    const d = reservationCurrentDetails({ status: 'accepted', alerts: Array.from({ length: 200 }, () => 'x'.repeat(100)) });
    expect(jsonUtf8Bytes(d)).toBeLessThanOrEqual(DETAILS_MAX_BYTES);
  });
});

describe('activity and timer summaries', () => {
  test('outcomes', () => {
    expect(outcomeSummary('accept')).toBe("record the owner's acceptance");
    expect(outcomeSummary('cancel', 'customer')).toBe('record the cancellation by the customer');
    expect(outcomeSummary('cancel')).toBe('record the cancellation');
    expect(releaseSummary('compensation')).toBe('release the table unless the reservation holds it (compensation)');
  });
  test('timers say what falls due, on the restaurant’s clock', () => {
    expect(timerSummary('decision', Date.parse('2026-12-03T18:05:00Z'), 'Europe/Rome')).toBe('decision deadline at Thu 2026-12-03 19:05');
  });
});

describe('bounded', () => {
  test('cuts by whole code points and counts JSON escapes', () => {
    expect(bounded('abc', 10)).toBe('abc');
    const s = bounded('😀'.repeat(100), 50);
    expect(jsonUtf8Bytes(s)).toBeLessThanOrEqual(50);
    expect([...s].every((c) => c === '😀' || c === '…')).toBe(true);
    expect(jsonUtf8Bytes(bounded('"'.repeat(100), 20))).toBeLessThanOrEqual(20);
  });
});
