import { spec } from '../testing/decider-spec';
import { DomainError } from '../errors';
import { DEFAULT_POLICY, type CatalogEvent, type OpeningHours, type RestaurantCreated } from './events';
import { restaurantDecider, type RestaurantCommand } from './restaurant';
import { TRATTORIA_DETAILS } from '../../test/fixtures/restaurants';

const OWNER = 'user-owner';
const OTHER = 'user-other';
const ID = 'r1';

const emptyWeek = (): OpeningHours => ({ monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [] });

const DETAILS = TRATTORIA_DETAILS;

const createCommand = (over: Partial<Extract<RestaurantCommand, { type: 'CreateRestaurant' }>> = {}): RestaurantCommand => ({
  type: 'CreateRestaurant',
  actor: OWNER,
  restaurantId: ID,
  ...DETAILS,
  openingHours: { monday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:30' }] },
  tables: [{ id: 't1', seats: 2 }, { id: 't2', seats: 4 }],
  ...over,
});

const created: RestaurantCreated = {
  type: 'RestaurantCreated',
  data: {
    restaurantId: ID,
    ownerId: OWNER,
    ...DETAILS,
    openingHours: { ...emptyWeek(), monday: [{ open: '12:00', close: '15:00' }, { open: '19:00', close: '23:30' }] },
    tables: [{ id: 't1', seats: 2 }, { id: 't2', seats: 4 }],
    policy: DEFAULT_POLICY,
  },
};
const sectionAdded: CatalogEvent = { type: 'MenuSectionAdded', data: { restaurantId: ID, section: 'Pasta' } };
const carbonara = { name: 'Carbonara', description: 'guanciale, egg, pecorino', price: { amount: 12.5, currency: 'EUR' } };
const dishAdded: CatalogEvent = { type: 'DishAdded', data: { restaurantId: ID, section: 'Pasta', dish: carbonara } };
const closed: CatalogEvent = { type: 'RestaurantClosed', data: { restaurantId: ID } };

const decider = spec(restaurantDecider);

/** Asserts a refusal with its code and, for VALIDATION, a message naming the field. */
function refuses(given: CatalogEvent[], when: RestaurantCommand, code: string, message?: RegExp): void {
  let thrown: unknown;
  try {
    const decided = restaurantDecider.decide(when, given.reduce(restaurantDecider.evolve, restaurantDecider.initialState()));
    throw new Error(`expected ${code}, decided ${JSON.stringify(decided)}`);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(DomainError);
  expect(thrown).toMatchObject({ code });
  if (message) expect((thrown as Error).message).toMatch(message);
}

describe('CreateRestaurant', () => {
  it('creates with the caller as owner, all weekdays, default policy', () => {
    decider.given([]).when(createCommand()).then([created]);
  });

  it('fills policy defaults around the given fields', () => {
    decider
      .given([])
      .when(createCommand({ policy: { acceptance: 'auto', maxPartySize: 12 } }))
      .then([{ ...created, data: { ...created.data, policy: { ...DEFAULT_POLICY, acceptance: 'auto', maxPartySize: 12 } } }]);
  });

  it('writes the menu as section and dish events after the creation', () => {
    decider
      .given([])
      .when(createCommand({ menu: [{ name: ' Pasta ', dishes: [{ ...carbonara, name: 'Carbonara ' }] }] }))
      .then([created, sectionAdded, dishAdded]);
  });

  it('trims text and sorts intervals by opening time', () => {
    const state = decider
      .given([])
      .when(createCommand({ name: '  Trattoria da Mario ', openingHours: { monday: [{ open: '19:00', close: '23:30' }, { open: '12:00', close: '15:00' }] } }))
      .then([created]);
    expect(state?.menu).toEqual([]);
    expect(state?.closed).toBe(false);
  });

  it('accepts an interval ending after midnight and one ending at midnight', () => {
    const hours = { friday: [{ open: '18:00', close: '02:00' }], saturday: [{ open: '02:00', close: '04:00' }, { open: '20:00', close: '00:00' }] };
    const [event] = restaurantDecider.decide(createCommand({ openingHours: hours }), null);
    expect(event).toMatchObject({ data: { openingHours: { ...emptyWeek(), ...hours } } });
  });

  it('refuses a second creation on the same stream', () => {
    refuses([created], createCommand(), 'ALREADY_EXISTS');
  });

  const invalid: Array<[string, Partial<Extract<RestaurantCommand, { type: 'CreateRestaurant' }>>, RegExp]> = [
    ['empty name', { name: '  ' }, /^name: must not be empty$/],
    ['bad timezone', { timezone: 'Europe/Rom' }, /timezone: "Europe\/Rom" is not an IANA time zone/],
    ['latitude 91', { location: { lat: 91, lon: 12 } }, /location\.lat: 91 is not a latitude; use a number from -90 to 90/],
    ['longitude -181', { location: { lat: 0, lon: -181 } }, /location\.lon: -181 is not a longitude/],
    ['bad phone', { phone: 'call me' }, /phone: "call me" is not a phone number/],
    ['malformed time', { openingHours: { monday: [{ open: '7pm', close: '23:00' }] } }, /openingHours\.monday\[0\]\.open: "7pm" is not a time; use HH:MM/],
    ['24:00', { openingHours: { monday: [{ open: '19:00', close: '24:00' }] } }, /write midnight as 00:00/],
    ['open == close', { openingHours: { monday: [{ open: '12:00', close: '12:00' }] } }, /openingHours\.monday\[0\]: 12:00-12:00 opens and closes at the same time/],
    [
      'overlapping intervals',
      { openingHours: { monday: [{ open: '18:00', close: '20:00' }, { open: '19:00', close: '23:30' }] } },
      /^openingHours\.monday\[1\]: 19:00-23:30 overlaps 18:00-20:00$/,
    ],
    [
      'overlap with an after-midnight interval on the same day',
      { openingHours: { friday: [{ open: '22:00', close: '03:00' }, { open: '23:00', close: '23:30' }] } },
      /openingHours\.friday\[1\]: 23:00-23:30 overlaps 22:00-03:00/,
    ],
    [
      "after-midnight tail overlapping the next day's first interval",
      { openingHours: { saturday: [{ open: '20:00', close: '02:00' }], sunday: [{ open: '01:00', close: '03:00' }] } },
      /openingHours\.saturday\[0\]: 20:00-02:00 runs past midnight into sunday's 01:00-03:00 \(openingHours\.sunday\[0\]\)/,
    ],
    [
      'sunday tail wrapping into monday',
      { openingHours: { sunday: [{ open: '22:00', close: '01:00' }], monday: [{ open: '00:30', close: '02:00' }] } },
      /openingHours\.sunday\[0\]: 22:00-01:00 runs past midnight into monday's/,
    ],
    ['unknown weekday', { openingHours: { mon: [] } as never }, /openingHours\.mon: is not a weekday/],
    ['no tables', { tables: [] }, /^tables: needs at least one table$/],
    ['duplicate table ids', { tables: [{ id: 't1', seats: 2 }, { id: 't1', seats: 4 }] }, /tables\[1\]\.id: "t1" is already used by tables\[0\]/],
    ['negative seats', { tables: [{ id: 't1', seats: -2 }] }, /tables\[0\]\.seats: -2 is not a seat count; use a whole number from 1 to 20/],
    ['21 seats', { tables: [{ id: 't1', seats: 21 }] }, /tables\[0\]\.seats: 21/],
    ['fractional seats', { tables: [{ id: 't1', seats: 2.5 }] }, /tables\[0\]\.seats: 2\.5/],
    ['bad acceptance', { policy: { acceptance: 'maybe' as never } }, /policy\.acceptance: "maybe" is not allowed/],
    ['party size 51', { policy: { maxPartySize: 51 } }, /policy\.maxPartySize: 51 is out of range; use a whole number from 1 to 50/],
    ['party size 0', { policy: { maxPartySize: 0 } }, /policy\.maxPartySize: 0/],
    ['slot 7', { policy: { slotMinutes: 7 } }, /policy\.slotMinutes: 7 is not allowed; use one of 5, 10, 15, 20, 30, 60/],
    ['turn not a multiple of the slot', { policy: { turnMinutes: 100 } }, /policy\.turnMinutes: 100 is not a multiple of slotMinutes 15; use 90 or 105/],
    ['turn 10', { policy: { turnMinutes: 10, slotMinutes: 5 } }, /policy\.turnMinutes: 10 is out of range; use a whole number from 15 to 480/],
    ['turn 490', { policy: { turnMinutes: 490, slotMinutes: 10 } }, /policy\.turnMinutes: 490/],
    ['negative min advance', { policy: { minAdvanceMinutes: -1 } }, /policy\.minAdvanceMinutes: -1/],
    ['min advance past max advance', { policy: { minAdvanceMinutes: 1440, maxAdvanceDays: 1 } }, /policy\.minAdvanceMinutes: 1440 minutes leaves no bookable time/],
    ['a waitlist offer of 0 minutes', { policy: { waitlistOfferMinutes: 0 } }, /policy\.waitlistOfferMinutes: 0 is out of range; use a whole number from 1 to 60 minutes/],
    ['a waitlist offer of 61 minutes', { policy: { waitlistOfferMinutes: 61 } }, /policy\.waitlistOfferMinutes: 61/],
    ['a fractional waitlist offer', { policy: { waitlistOfferMinutes: 2.5 } }, /policy\.waitlistOfferMinutes: 2\.5/],
    ['seating 181 minutes early', { policy: { seatEarlyMinutes: 181 } }, /policy\.seatEarlyMinutes: 181 is out of range; use a whole number from 0 to 180 minutes/],
    ['negative seating early', { policy: { seatEarlyMinutes: -1 } }, /policy\.seatEarlyMinutes: -1/],
    ['a no-show grace of 181 minutes', { policy: { noShowGraceMinutes: 181 } }, /policy\.noShowGraceMinutes: 181 is out of range; use a whole number from 0 to 180 minutes/],
    ['a fractional no-show grace', { policy: { noShowGraceMinutes: 7.5 } }, /policy\.noShowGraceMinutes: 7\.5/],
    ['a table combinable with itself', { tables: [{ id: 't1', seats: 2, combinableWith: ['t1'] }] }, /tables\[0\]\.combinableWith\[0\]: "t1" is this table; a table cannot be combined with itself/],
    [
      'a table combinable with an unknown table',
      { tables: [{ id: 't1', seats: 2, combinableWith: ['t9'] }] },
      /tables\[0\]\.combinableWith\[0\]: "t9" is not a table of this restaurant/,
    ],
    [
      'a combinable table named twice',
      { tables: [{ id: 't1', seats: 2, combinableWith: ['t2', 't2'] }, { id: 't2', seats: 2 }] },
      /tables\[0\]\.combinableWith\[1\]: "t2" is named twice/,
    ],
    [
      'too many combinable tables',
      { tables: Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, seats: 2, combinableWith: Array.from({ length: 10 }, (_, j) => `t${j}`).filter((id) => id !== `t${i}`) })) },
      /tables\[0\]\.combinableWith: names 9 tables; at most 8 are allowed/,
    ],
    ['combinableWith not a list', { tables: [{ id: 't1', seats: 2, combinableWith: 't2' as never }, { id: 't2', seats: 2 }] }, /tables\[0\]\.combinableWith: must be a list of table ids/],
    ['a blank combinable id', { tables: [{ id: 't1', seats: 2, combinableWith: [' '] }] }, /tables\[0\]\.combinableWith\[0\]: must be the id of another table/],
    ['duplicate section names', { menu: [{ name: 'Pasta' }, { name: 'pasta' }] }, /menu\[1\]\.name: "pasta" is already the name of menu\[0\]/],
    [
      'duplicate dish names in a section',
      { menu: [{ name: 'Pasta', dishes: [carbonara, { ...carbonara, name: 'CARBONARA' }] }] },
      /menu\[0\]\.dishes\[1\]\.name: "CARBONARA" is already on this section/,
    ],
    ['negative price', { menu: [{ name: 'Pasta', dishes: [{ ...carbonara, price: { amount: -1, currency: 'EUR' } }] }] }, /menu\[0\]\.dishes\[0\]\.price\.amount: -1 is not a price/],
    ['lower-case currency', { menu: [{ name: 'Pasta', dishes: [{ ...carbonara, price: { amount: 1, currency: 'eur' } }] }] }, /price\.currency: "eur" is not an ISO 4217 currency code/],
    ['unknown currency', { menu: [{ name: 'Pasta', dishes: [{ ...carbonara, price: { amount: 1, currency: 'XYZ' } }] }] }, /price\.currency: "XYZ"/],
  ];
  it.each(invalid)('refuses %s with VALIDATION', (_, over, message) => {
    refuses([], createCommand(over), 'VALIDATION', message);
  });

  it('reports every issue at once', () => {
    try {
      restaurantDecider.decide(createCommand({ timezone: 'Mars/Olympus', tables: [] }), null);
      throw new Error('not refused');
    } catch (err) {
      expect(err).toMatchObject({ code: 'VALIDATION', details: { errors: [{ field: 'timezone' }, { field: 'tables' }] } });
    }
  });

  it('refuses a menu that would not fit in one write', () => {
    const dishes = Array.from({ length: 100 }, (_, i) => ({ ...carbonara, name: `Dish ${i}` }));
    refuses([], createCommand({ menu: [{ name: 'Pasta', dishes }] }), 'VALIDATION', /menu: has 101 sections and dishes; at most 99/);
  });
});

describe('changes: owner only, not when closed, not before creation', () => {
  const commands: RestaurantCommand[] = [
    { type: 'ChangeRestaurantDetails', actor: OTHER, changes: { name: 'Mine now' } },
    { type: 'SetOpeningHours', actor: OTHER, openingHours: {} },
    { type: 'SetTables', actor: OTHER, tables: [{ id: 'x', seats: 2 }] },
    { type: 'SetReservationPolicy', actor: OTHER, policy: {} },
    { type: 'AddMenuSection', actor: OTHER, section: 'Desserts' },
    { type: 'RemoveMenuSection', actor: OTHER, section: 'Pasta' },
    { type: 'AddDish', actor: OTHER, section: 'Pasta', dish: carbonara },
    { type: 'ChangeDish', actor: OTHER, section: 'Pasta', dishName: 'Carbonara', changes: { price: { amount: 1, currency: 'EUR' } } },
    { type: 'RemoveDish', actor: OTHER, section: 'Pasta', dishName: 'Carbonara' },
    { type: 'CloseRestaurant', actor: OTHER },
  ];
  it.each(commands.map((c) => [c.type, c] as const))('%s by a non-owner is FORBIDDEN', (_, command) => {
    refuses([created, sectionAdded, dishAdded], command, 'FORBIDDEN');
  });
  it.each(commands.map((c) => [c.type, { ...c, actor: OWNER }] as const))('%s before creation is NOT_FOUND', (_, command) => {
    refuses([], command, 'NOT_FOUND');
  });
  it.each(commands.filter((c) => c.type !== 'CloseRestaurant').map((c) => [c.type, { ...c, actor: OWNER }] as const))(
    '%s on a closed restaurant is RESTAURANT_CLOSED',
    (_, command) => {
      refuses([created, sectionAdded, dishAdded, closed], command, 'RESTAURANT_CLOSED');
    },
  );
  it('a non-owner is FORBIDDEN even when the restaurant is closed', () => {
    refuses([created, closed], { type: 'AddMenuSection', actor: OTHER, section: 'x' }, 'FORBIDDEN');
  });
});

describe('ChangeRestaurantDetails', () => {
  it('records only the fields that changed', () => {
    decider
      .given([created])
      .when({ type: 'ChangeRestaurantDetails', actor: OWNER, changes: { name: 'Da Mario', cuisine: 'italian', location: { lat: 41.9, lon: 12.5 } } })
      .then([{ type: 'RestaurantDetailsChanged', data: { restaurantId: ID, name: 'Da Mario', location: { lat: 41.9, lon: 12.5 } } }]);
  });
  it('changes the timezone', () => {
    const state = decider
      .given([created])
      .when({ type: 'ChangeRestaurantDetails', actor: OWNER, changes: { timezone: 'Europe/Paris' } })
      .then([{ type: 'RestaurantDetailsChanged', data: { restaurantId: ID, timezone: 'Europe/Paris' } }]);
    expect(state?.timezone).toBe('Europe/Paris');
  });
  it('decides nothing when nothing differs', () => {
    decider.given([created]).when({ type: 'ChangeRestaurantDetails', actor: OWNER, changes: { name: 'Trattoria da Mario ' } }).then([]);
  });
  it.each([
    ['empty changes', {}, /body: send at least one of/],
    ['bad timezone', { timezone: 'Nowhere' }, /timezone: "Nowhere"/],
    ['lat 91', { location: { lat: 91, lon: 0 } }, /location\.lat: 91/],
  ])('refuses %s', (_, changes, message) => {
    refuses([created], { type: 'ChangeRestaurantDetails', actor: OWNER, changes }, 'VALIDATION', message);
  });
});

describe('SetOpeningHours / SetTables / SetReservationPolicy', () => {
  it('sets the hours, all weekdays present', () => {
    decider
      .given([created])
      .when({ type: 'SetOpeningHours', actor: OWNER, openingHours: { tuesday: [{ open: '18:00', close: '01:00' }] } })
      .then([{ type: 'OpeningHoursSet', data: { restaurantId: ID, openingHours: { ...emptyWeek(), tuesday: [{ open: '18:00', close: '01:00' }] } } }]);
  });
  it('decides nothing for the same hours', () => {
    decider.given([created]).when({ type: 'SetOpeningHours', actor: OWNER, openingHours: created.data.openingHours }).then([]);
  });
  it('refuses overlapping hours', () => {
    refuses(
      [created],
      { type: 'SetOpeningHours', actor: OWNER, openingHours: { monday: [{ open: '18:00', close: '20:00' }, { open: '19:00', close: '23:30' }] } },
      'VALIDATION',
      /openingHours\.monday\[1\]: 19:00-23:30 overlaps 18:00-20:00/,
    );
  });
  it('sets the tables', () => {
    decider
      .given([created])
      .when({ type: 'SetTables', actor: OWNER, tables: [{ id: 'a', seats: 6 }] })
      .then([{ type: 'TablesSet', data: { restaurantId: ID, tables: [{ id: 'a', seats: 6 }] } }]);
  });
  it('keeps combinableWith (ids trimmed, compared with the trimmed table ids); an empty list is the same as none', () => {
    decider
      .given([created])
      .when({
        type: 'SetTables',
        actor: OWNER,
        tables: [
          { id: ' a ', seats: 4, combinableWith: [' b'] },
          { id: 'b', seats: 4, combinableWith: ['a'] },
          { id: 'c', seats: 2, combinableWith: [] },
        ],
      })
      .then([
        {
          type: 'TablesSet',
          data: {
            restaurantId: ID,
            tables: [
              { id: 'a', seats: 4, combinableWith: ['b'] },
              { id: 'b', seats: 4, combinableWith: ['a'] },
              { id: 'c', seats: 2 },
            ],
          },
        },
      ]);
  });
  it('allows a one-sided listing (it combines nothing; a warning says so)', () => {
    decider
      .given([created])
      .when({ type: 'SetTables', actor: OWNER, tables: [{ id: 'a', seats: 4, combinableWith: ['b'] }, { id: 'b', seats: 4 }] })
      .then([{ type: 'TablesSet', data: { restaurantId: ID, tables: [{ id: 'a', seats: 4, combinableWith: ['b'] }, { id: 'b', seats: 4 }] } }]);
  });
  it('refuses duplicate table ids', () => {
    refuses([created], { type: 'SetTables', actor: OWNER, tables: [{ id: 'a', seats: 2 }, { id: 'a', seats: 2 }] }, 'VALIDATION', /tables\[1\]\.id/);
  });
  it('replaces the policy, omitted fields take the defaults', () => {
    decider
      .given([created])
      .when({ type: 'SetReservationPolicy', actor: OWNER, policy: { acceptance: 'auto', slotMinutes: 30, turnMinutes: 120 } })
      .then([{ type: 'ReservationPolicySet', data: { restaurantId: ID, policy: { ...DEFAULT_POLICY, acceptance: 'auto', slotMinutes: 30, turnMinutes: 120 } } }]);
  });
  it('takes the waitlist and floor fields, and fills them in for a policy recorded before they existed', () => {
    const policy = { ...DEFAULT_POLICY, waitlistOfferMinutes: 60, seatEarlyMinutes: 0, noShowGraceMinutes: 180 };
    decider
      .given([created])
      .when({ type: 'SetReservationPolicy', actor: OWNER, policy })
      .then([{ type: 'ReservationPolicySet', data: { restaurantId: ID, policy } }]);
    const { waitlistOfferMinutes: _w, seatEarlyMinutes: _s, noShowGraceMinutes: _n, ...old } = DEFAULT_POLICY;
    const oldCreated = { ...created, data: { ...created.data, policy: old } } as unknown as RestaurantCreated;
    expect(decider.given([oldCreated]).state?.policy).toEqual(DEFAULT_POLICY);
    const oldSet = { type: 'ReservationPolicySet', data: { restaurantId: ID, policy: { ...old, seatEarlyMinutes: 5 } } } as unknown as CatalogEvent;
    expect(decider.given([created, oldSet]).state?.policy).toEqual({ ...DEFAULT_POLICY, seatEarlyMinutes: 5 });
  });
  it('refuses a turn that is not a multiple of the slot', () => {
    refuses([created], { type: 'SetReservationPolicy', actor: OWNER, policy: { slotMinutes: 60 } }, 'VALIDATION', /turnMinutes: 90 is not a multiple of slotMinutes 60; use 60 or 120/);
  });
});

describe('menu', () => {
  const withDish = [created, sectionAdded, dishAdded];
  it('adds a section (trimmed)', () => {
    decider.given([created]).when({ type: 'AddMenuSection', actor: OWNER, section: ' Pasta ' }).then([sectionAdded]);
  });
  it('refuses a duplicate section, ignoring case', () => {
    refuses([created, sectionAdded], { type: 'AddMenuSection', actor: OWNER, section: 'pasta' }, 'ALREADY_EXISTS', /already has a section "Pasta"/);
  });
  it('keeps a menu bounded: at most 30 sections and 100 dishes a section, however they are added', () => {
    const sections = Array.from({ length: 30 }, (_, i): CatalogEvent => ({ type: 'MenuSectionAdded', data: { restaurantId: ID, section: `S${i}` } }));
    refuses([created, ...sections], { type: 'AddMenuSection', actor: OWNER, section: 'One more' }, 'VALIDATION', /already has 30 sections/);
    const dishes = Array.from({ length: 100 }, (_, i): CatalogEvent => ({ type: 'DishAdded', data: { restaurantId: ID, section: 'Pasta', dish: { ...carbonara, name: `D${i}` } } }));
    refuses([created, sectionAdded, ...dishes], { type: 'AddDish', actor: OWNER, section: 'Pasta', dish: carbonara }, 'VALIDATION', /already has 100 dishes/);
  });
  it('refuses an empty section name', () => {
    refuses([created], { type: 'AddMenuSection', actor: OWNER, section: ' ' }, 'VALIDATION', /name: must not be empty/);
  });
  it('removes a section with its dishes, by its stored name', () => {
    const state = decider
      .given(withDish)
      .when({ type: 'RemoveMenuSection', actor: OWNER, section: 'PASTA' })
      .then([{ type: 'MenuSectionRemoved', data: { restaurantId: ID, section: 'Pasta' } }]);
    expect(state?.menu).toEqual([]);
  });
  it('refuses removing an unknown section', () => {
    refuses(withDish, { type: 'RemoveMenuSection', actor: OWNER, section: 'Desserts' }, 'NOT_FOUND', /No menu section "Desserts"; sections are "Pasta"/);
  });
  it('adds a dish', () => {
    const state = decider.given([created, sectionAdded]).when({ type: 'AddDish', actor: OWNER, section: 'pasta', dish: carbonara }).then([dishAdded]);
    expect(state?.menu).toEqual([{ name: 'Pasta', dishes: [carbonara] }]);
  });
  it('defaults a dish description to empty', () => {
    decider
      .given([created, sectionAdded])
      .when({ type: 'AddDish', actor: OWNER, section: 'Pasta', dish: { name: 'Amatriciana', price: { amount: 11, currency: 'EUR' } } })
      .then([{ type: 'DishAdded', data: { restaurantId: ID, section: 'Pasta', dish: { name: 'Amatriciana', description: '', price: { amount: 11, currency: 'EUR' } } } }]);
  });
  it.each([
    ['a duplicate dish', withDish, { section: 'Pasta', dish: { ...carbonara, name: 'carbonara' } }, 'ALREADY_EXISTS', /already has a dish "Carbonara"/],
    ['to an unknown section', withDish, { section: 'Pizza', dish: carbonara }, 'NOT_FOUND', /No menu section "Pizza"/],
    ['with a negative price', withDish, { section: 'Pasta', dish: { ...carbonara, name: 'X', price: { amount: -3, currency: 'EUR' } } }, 'VALIDATION', /dish\.price\.amount: -3/],
    ['with a bad currency', withDish, { section: 'Pasta', dish: { ...carbonara, name: 'X', price: { amount: 3, currency: 'EURO' } } }, 'VALIDATION', /dish\.price\.currency: "EURO"/],
  ] as const)('refuses adding %s', (_, given, cmd, code, message) => {
    refuses([...given], { type: 'AddDish', actor: OWNER, ...cmd }, code, message);
  });
  it('changes a dish, keeping what was not sent', () => {
    const state = decider
      .given(withDish)
      .when({ type: 'ChangeDish', actor: OWNER, section: 'Pasta', dishName: 'carbonara', changes: { price: { amount: 14, currency: 'EUR' } } })
      .then([{ type: 'DishChanged', data: { restaurantId: ID, section: 'Pasta', dishName: 'Carbonara', dish: { ...carbonara, price: { amount: 14, currency: 'EUR' } } } }]);
    expect(state?.menu[0]?.dishes[0]?.price.amount).toBe(14);
  });
  it('renames a dish', () => {
    const state = decider
      .given(withDish)
      .when({ type: 'ChangeDish', actor: OWNER, section: 'Pasta', dishName: 'Carbonara', changes: { name: 'Carbonara romana' } })
      .then([{ type: 'DishChanged', data: { restaurantId: ID, section: 'Pasta', dishName: 'Carbonara', dish: { ...carbonara, name: 'Carbonara romana' } } }]);
    expect(state?.menu[0]?.dishes.map((d) => d.name)).toEqual(['Carbonara romana']);
  });
  it('decides nothing for an unchanged dish', () => {
    decider.given(withDish).when({ type: 'ChangeDish', actor: OWNER, section: 'Pasta', dishName: 'Carbonara', changes: { name: 'Carbonara' } }).then([]);
  });
  it('refuses renaming onto another dish', () => {
    const other: CatalogEvent = { type: 'DishAdded', data: { restaurantId: ID, section: 'Pasta', dish: { ...carbonara, name: 'Gricia' } } };
    refuses([...withDish, other], { type: 'ChangeDish', actor: OWNER, section: 'Pasta', dishName: 'Gricia', changes: { name: 'carbonara' } }, 'ALREADY_EXISTS');
  });
  it('refuses changing an unknown dish', () => {
    refuses(withDish, { type: 'ChangeDish', actor: OWNER, section: 'Pasta', dishName: 'Lasagne', changes: { name: 'x' } }, 'NOT_FOUND', /No dish "Lasagne" in section "Pasta"/);
  });
  it('removes a dish', () => {
    const state = decider
      .given(withDish)
      .when({ type: 'RemoveDish', actor: OWNER, section: 'Pasta', dishName: 'CARBONARA' })
      .then([{ type: 'DishRemoved', data: { restaurantId: ID, section: 'Pasta', dishName: 'Carbonara' } }]);
    expect(state?.menu).toEqual([{ name: 'Pasta', dishes: [] }]);
  });
  it('refuses removing an unknown dish', () => {
    refuses(withDish, { type: 'RemoveDish', actor: OWNER, section: 'Pasta', dishName: 'Lasagne' }, 'NOT_FOUND');
  });
});

describe('CloseRestaurant', () => {
  it('closes', () => {
    const state = decider.given([created]).when({ type: 'CloseRestaurant', actor: OWNER }).then([closed]);
    expect(state?.closed).toBe(true);
  });
  it('closing again decides nothing', () => {
    decider.given([created, closed]).when({ type: 'CloseRestaurant', actor: OWNER }).then([]);
  });
});
