import { oneSidedCombinations, policyWarnings, unseatablePartySizes, type WarningInput } from './warnings';

const dinner = { monday: [{ open: '19:00', close: '23:00' }] };
const input = (over: Partial<WarningInput> = {}): WarningInput => ({
  tables: [{ seats: 2 }, { seats: 8 }, { seats: 4 }],
  policy: { maxPartySize: 8, turnMinutes: 90 },
  openingHours: dinner,
  ...over,
});

describe('unseatablePartySizes', () => {
  it('is null when the largest table seats every party the policy admits', () => {
    expect(unseatablePartySizes([{ seats: 8 }], { maxPartySize: 8 })).toBeNull();
    expect(unseatablePartySizes([{ seats: 8 }], { maxPartySize: 6 })).toBeNull();
  });
  it('is the range above the largest table', () => {
    expect(unseatablePartySizes([{ seats: 2 }, { seats: 8 }], { maxPartySize: 12 })).toEqual({ from: 9, to: 12 });
  });
  it('is null without tables (that is NO_TABLES)', () => {
    expect(unseatablePartySizes([], { maxPartySize: 12 })).toBeNull();
  });
});

describe('policyWarnings', () => {
  it('is empty when everything can be booked', () => {
    expect(policyWarnings(input())).toEqual([]);
  });

  it('warns when maxPartySize exceeds the largest table, naming the sizes that can never be booked', () => {
    expect(policyWarnings(input({ policy: { maxPartySize: 12, turnMinutes: 90 } }))).toEqual([
      {
        code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
        field: 'policy.maxPartySize',
        detail: 'maxPartySize is 12 but the largest table seats 8: parties of 9–12 can never be booked; add a larger table or lower maxPartySize to 8.',
      },
    ]);
  });

  it('names a single size without a range', () => {
    const [w] = policyWarnings(input({ policy: { maxPartySize: 9, turnMinutes: 90 } }));
    expect(w?.detail).toMatch(/: parties of 9 can never be booked;/);
  });

  it('warns NO_TABLES (and not about party sizes) without tables', () => {
    expect(policyWarnings(input({ tables: [] }))).toEqual([
      { code: 'NO_TABLES', field: 'tables', detail: 'The restaurant has no tables: nothing can be booked until tables are added.' },
    ]);
  });

  it('warns NO_OPENING_HOURS when every day is closed', () => {
    for (const openingHours of [{}, { monday: [], friday: [] }]) {
      expect(policyWarnings(input({ openingHours }))).toEqual([
        { code: 'NO_OPENING_HOURS', field: 'openingHours', detail: 'Every day is closed: nothing can be booked until opening hours are set.' },
      ]);
    }
  });

  it('warns when the turn is longer than every service, naming the longest', () => {
    const openingHours = { monday: [{ open: '12:00', close: '13:00' }], friday: [{ open: '19:00', close: '21:00' }] };
    expect(policyWarnings(input({ openingHours, policy: { maxPartySize: 8, turnMinutes: 150 } }))).toEqual([
      {
        code: 'TURN_LONGER_THAN_EVERY_SERVICE',
        field: 'policy.turnMinutes',
        detail:
          'turnMinutes is 150 but the longest service lasts 120 minutes (friday 19:00–21:00): no turn ends before closing, so nothing can be booked; shorten the turn or open longer.',
      },
    ]);
    // a turn exactly as long as a service fits (start at opening, end at closing)
    expect(policyWarnings(input({ openingHours, policy: { maxPartySize: 8, turnMinutes: 120 } }))).toEqual([]);
  });

  it('measures a service past midnight to its close on the next day', () => {
    const openingHours = { saturday: [{ open: '22:00', close: '02:00' }] };
    expect(policyWarnings(input({ openingHours, policy: { maxPartySize: 8, turnMinutes: 240 } }))).toEqual([]);
    expect(policyWarnings(input({ openingHours, policy: { maxPartySize: 8, turnMinutes: 255 } })).map((w) => w.code)).toEqual(['TURN_LONGER_THAN_EVERY_SERVICE']);
  });

  it('reports every problem at once, tables before hours', () => {
    expect(policyWarnings({ tables: [{ seats: 4 }], policy: { maxPartySize: 6, turnMinutes: 90 }, openingHours: {} }).map((w) => w.code)).toEqual([
      'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
      'NO_OPENING_HOURS',
    ]);
  });
});

describe('combined tables', () => {
  const paired = [
    { id: 'w1', seats: 4, combinableWith: ['w2'] },
    { id: 'w2', seats: 4, combinableWith: ['w1'] },
    { id: 't6', seats: 6 },
  ];

  it('a combination counts as the largest seating: no warning for a party it seats', () => {
    expect(unseatablePartySizes(paired, { maxPartySize: 8 })).toBeNull();
    expect(policyWarnings(input({ tables: paired, policy: { maxPartySize: 8, turnMinutes: 90 } }))).toEqual([]);
  });

  it('warns above the largest combination, and says it is a combination', () => {
    expect(policyWarnings(input({ tables: paired, policy: { maxPartySize: 10, turnMinutes: 90 } }))).toEqual([
      {
        code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
        field: 'policy.maxPartySize',
        detail: 'maxPartySize is 10 but the largest combination of tables seats 8: parties of 9–10 can never be booked; add a larger table or lower maxPartySize to 8.',
      },
    ]);
  });

  it('a one-sided listing seats nothing more and is warned about', () => {
    const oneSided = [{ id: 'w1', seats: 4, combinableWith: ['w2'] }, { id: 'w2', seats: 4 }, { id: 't6', seats: 6 }];
    expect(oneSidedCombinations(oneSided)).toEqual([{ from: 'w1', to: 'w2' }]);
    expect(oneSidedCombinations(paired)).toEqual([]);
    expect(policyWarnings(input({ tables: oneSided, policy: { maxPartySize: 8, turnMinutes: 90 } }))).toEqual([
      {
        code: 'PARTY_SIZE_EXCEEDS_LARGEST_TABLE',
        field: 'policy.maxPartySize',
        detail: 'maxPartySize is 8 but the largest table seats 6: parties of 7–8 can never be booked; add a larger table or lower maxPartySize to 6.',
      },
      {
        code: 'ONE_SIDED_COMBINATION',
        field: 'tables',
        detail:
          'Tables are combined only when each names the other in combinableWith, but w1 names w2 and not the other way round: ' +
          'those tables are never combined; add the missing ids or remove these.',
      },
    ]);
  });
});
