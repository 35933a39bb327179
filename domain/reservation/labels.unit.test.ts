import {
  DETAILS_MAX_BYTES,
  SUMMARY_MAX_BYTES,
  bounded,
  jsonUtf8Bytes,
  localTimeLabel,
  nameInitials,
  oneLine,
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
  guestInitials: 'A. L.',
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
  test('HTML and URL-like text in a name stays text', () => {
    const s = reservationSummary({ ...r, restaurantName: '<img src=x onerror=alert(1)> & <b>Bar</b>' });
    expect(s).toMatch(/^&lt;img src=x onerror=alert\(1\)&gt; &amp; &lt;b&gt;Bar&lt;\/b&gt; · /);
    expect(s).not.toMatch(/[<>]/);
    const d = reservationStartMetadata({ ...r, restaurantName: 'Visit http://evil.example or www.evil.example, mail me@evil.example' }).staticDetails;
    expect(d).not.toMatch(/:\/\/|www\.|@evil/i);
    expect(d.replace(/\u200b/g, '')).toContain('Visit http://evil.example or www.evil.example, mail me@evil.example');
  });
  test('details name the restaurant, party, start in zone and UTC, acceptance and ids', () => {
    const { staticSummary, staticDetails } = reservationStartMetadata(r);
    expect(staticSummary).toBe(reservationSummary(r));
    expect(staticDetails.split('\n')).toEqual([
      '**Restaurant:** Trattoria da Mario (`rest-1`)',
      '**Party:** 4, booked under A. L.',
      '**Start:** Thu 2026-12-03 19:30 (Europe/Rome), 2026-12-03T18:30:00.000Z',
      '**Acceptance:** manual (the owner decides)',
      '**Reservation:** `res-1`',
    ]);
  });
});

describe('oneLine', () => {
  test('one line; markdown, HTML and links escaped; otherwise as typed', () => {
    expect(oneLine('  Chez\n\t Marie  ')).toBe('Chez Marie');
    expect(oneLine('*a* _b_ `c` [d](e) ~~f~~ \\')).toBe('\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\~\\~f\\~\\~ \\\\');
    expect(oneLine('Fish & Chips <script>')).toBe('Fish &amp; Chips &lt;script&gt;');
    expect(oneLine('&lt;')).toBe('&amp;lt;'); // an entity typed is shown as typed
    expect(oneLine('<https://x.example>')).toBe('&lt;https:\u200b//x.example&gt;');
    expect(oneLine('WWW.x.example ftp://y')).toBe('WWW\u200b.x.example ftp:\u200b//y');
    expect(oneLine('a@b.example')).toBe('a@\u200bb.example');
    expect(oneLine('Trattoria da Mario')).toBe('Trattoria da Mario');
  });
});

describe('nameInitials', () => {
  test('the first letter of each word, upper case, at most four; nothing without letters', () => {
    expect(nameInitials('Dorothy Crane')).toBe('D. C.');
    expect(nameInitials('  jean-luc   picard ')).toBe('J. L. P.');
    expect(nameInitials('Émile Zola')).toBe('É. Z.');
    expect(nameInitials('(Ada) Lovelace')).toBe('A. L.');
    expect(nameInitials('a b c d e f')).toBe('A. B. C. D.');
    expect(nameInitials('王小明')).toBe('王.');
    expect(nameInitials('  ')).toBeUndefined();
    expect(nameInitials('123 !!')).toBeUndefined();
    expect(nameInitials(undefined)).toBeUndefined();
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

test('the floor: a seated party shows when its turn ends; a no-show says so', () => {
  expect(reservationCurrentDetails({ status: 'seated', tableId: 't1', timezone: 'UTC', endAt: Date.parse('2026-12-03T21:00:00Z') })).toBe(
    '**Status:** seated: the party is at its table\n**Table:** t1\n**Turn ends:** Thu 2026-12-03 21:00 (UTC)',
  );
  expect(reservationCurrentDetails({ status: 'no-show' })).toBe('**Status:** no-show: the party did not come');
  expect(outcomeSummary('complete-early')).toBe('record the early end of the turn: the table is given back');
});
