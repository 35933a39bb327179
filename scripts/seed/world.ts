/**
 * The demo world as data: who signs in, which restaurants they own, and which reservations diners hold.
 * scripts/seed.ts turns it into API calls; nothing here talks to the network.
 */
import type { RestaurantDetails, Table } from '../../domain/catalog/events';

export const DEMO_PASSWORD = 'demo-password-2026';

export interface DemoPerson {
  name: string;
  email: string;
}

export const OWNERS = [
  { name: 'Giulia Romano', email: 'giulia@demo.example.com' },
  { name: 'Marcus Bell', email: 'marcus@demo.example.com' },
  { name: 'Aiko Tanaka', email: 'aiko@demo.example.com' },
] as const satisfies readonly DemoPerson[];

export const DINERS = [
  { name: 'Dario Conti', email: 'dario@demo.example.com' },
  { name: 'Emma Walsh', email: 'emma@demo.example.com' },
  { name: 'Kenji Mori', email: 'kenji@demo.example.com' },
  { name: 'Sofia Lind', email: 'sofia@demo.example.com' },
  { name: 'Liam Carter', email: 'liam@demo.example.com' },
] as const satisfies readonly DemoPerson[];

type Interval = { open: string; close: string };
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
type Day = (typeof DAYS)[number];

/** The same services every day, except the days listed in `except` (closed when given []). */
function week(services: Interval[], except: Partial<Record<Day, Interval[]>> = {}): Record<Day, Interval[]> {
  return Object.fromEntries(DAYS.map((d) => [d, except[d] ?? services])) as Record<Day, Interval[]>;
}

const tables = (spec: Array<[prefix: string, count: number, seats: number]>): Table[] =>
  spec.flatMap(([prefix, count, seats]) => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i + 1}`, seats })));

/** The tables, with the ones named in each group pushed together (each naming the others: a combination needs both sides). */
const combined = (all: Table[], ...groups: string[][]): Table[] =>
  all.map((t) => {
    const others = groups.filter((g) => g.includes(t.id)).flatMap((g) => g.filter((id) => id !== t.id));
    return others.length > 0 ? { ...t, combinableWith: others } : t;
  });

const dish = (name: string, description: string, amount: number, currency: string) => ({ name, description, price: { amount, currency } });

/** What a seeded reservation ends as. 'soon': the first free start today, so it completes after its turn. */
export type Outcome = 'pending' | 'accepted' | 'rejected' | 'cancelled' | 'expired' | 'soon';

export interface PlannedReservation {
  diner: number;
  partySize: number;
  /** Days from today in the restaurant's zone; a day without a free start moves to the next one. */
  day: number;
  /** Preferred local start HH:MM: the nearest free start the availability route offers is taken. */
  at: string;
  outcome: Outcome;
  notes?: string;
}

export interface DemoRestaurant {
  owner: number;
  body: RestaurantDetails & {
    openingHours: Record<Day, Interval[]>;
    tables: Table[];
    policy: Record<string, number | string>;
    menu: Array<{ name: string; dishes: Array<ReturnType<typeof dish>> }>;
  };
  /**
   * Created with a 1-minute decision window (the least the policy allows) and set to `body.policy` right
   * after the first reservation: that request is left undecided and expires a minute later.
   */
  expiresFirst?: boolean;
  reservations: PlannedReservation[];
}

const basePolicy = {
  maxPartySize: 8,
  turnMinutes: 90,
  slotMinutes: 15,
  minAdvanceMinutes: 30,
  maxAdvanceDays: 60,
  cancellationCutoffMinutes: 120,
  reminderMinutesBefore: 120,
  maxBookingsPerCustomerPerDay: 2,
};

export const MANUAL_RESTAURANT = 'Trattoria da Giulia';

export const RESTAURANTS: DemoRestaurant[] = [
  {
    owner: 0,
    body: {
      name: MANUAL_RESTAURANT,
      cuisine: 'italian',
      description: 'Roman home cooking near Campo de’ Fiori: fresh pasta every morning, and Giulia confirms every table herself.',
      phone: '+39 06 6880 1234',
      address: 'Via dei Cappellari 42, 00186 Roma',
      location: { lat: 41.8961, lon: 12.4713 },
      timezone: 'Europe/Rome',
      openingHours: week([
        { open: '12:00', close: '15:00' },
        { open: '18:30', close: '23:00' },
      ]),
      tables: tables([
        ['T', 4, 2],
        ['F', 3, 4],
        ['G', 1, 8],
      ]),
      // a day to decide: requests stay pending until the owner looks (never past their start)
      policy: { ...basePolicy, acceptance: 'manual', decisionTimeoutMinutes: 24 * 60 },
      menu: [
        { name: 'Antipasti', dishes: [dish('Carciofi alla giudia', 'Fried artichokes, Roman-Jewish style', 9, 'EUR'), dish('Supplì', 'Rice croquettes with tomato and mozzarella', 6, 'EUR')] },
        {
          name: 'Primi',
          dishes: [
            dish('Cacio e pepe', 'Tonnarelli, pecorino romano, black pepper', 13, 'EUR'),
            dish('Carbonara', 'Rigatoni, guanciale, egg yolk, pecorino', 14, 'EUR'),
            dish('Amatriciana', 'Bucatini, guanciale, tomato, pecorino', 13, 'EUR'),
          ],
        },
        { name: 'Dolci', dishes: [dish('Tiramisù', 'Made every morning', 7, 'EUR'), dish('Maritozzo', 'Sweet bun with whipped cream', 5, 'EUR')] },
      ],
    },
    reservations: [
      { diner: 0, partySize: 2, day: 0, at: '20:00', outcome: 'pending', notes: 'Anniversary: a quiet table, please' },
      { diner: 1, partySize: 4, day: 1, at: '19:30', outcome: 'pending' },
      { diner: 2, partySize: 2, day: 1, at: '13:00', outcome: 'accepted' },
      { diner: 3, partySize: 6, day: 2, at: '20:30', outcome: 'rejected' },
      { diner: 4, partySize: 3, day: 3, at: '19:00', outcome: 'cancelled' },
      { diner: 1, partySize: 2, day: 4, at: '21:00', outcome: 'accepted' },
    ],
  },
  {
    owner: 0,
    body: {
      name: 'Pizzeria Vesuvio',
      cuisine: 'pizza',
      description: 'Neapolitan pizza from a wood-fired oven in Trastevere. Tables are confirmed at once; the two long tables push together for parties of up to 12.',
      phone: '+39 06 5830 9876',
      address: 'Via della Lungaretta 88, 00153 Roma',
      location: { lat: 41.8893, lon: 12.4701 },
      timezone: 'Europe/Rome',
      openingHours: week([
        { open: '12:00', close: '15:00' },
        { open: '18:00', close: '23:30' },
      ]),
      // C1 and C2 name each other: a party of 7–12 sits at both
      tables: combined(
        tables([
          ['A', 6, 2],
          ['B', 6, 4],
          ['C', 2, 6],
        ]),
        ['C1', 'C2'],
      ),
      policy: { ...basePolicy, maxPartySize: 12, acceptance: 'auto', turnMinutes: 75, decisionTimeoutMinutes: 60, minAdvanceMinutes: 15, cancellationCutoffMinutes: 60 },
      menu: [
        { name: 'Pizze rosse', dishes: [dish('Margherita', 'Tomato, fior di latte, basil', 8, 'EUR'), dish('Diavola', 'Tomato, mozzarella, spicy salami', 10, 'EUR')] },
        { name: 'Pizze bianche', dishes: [dish('Quattro formaggi', 'Mozzarella, gorgonzola, fontina, parmigiano', 11, 'EUR'), dish('Patate e salsiccia', 'Potatoes, sausage, rosemary', 11, 'EUR')] },
        { name: 'Bevande', dishes: [dish('Birra artigianale', 'Local craft beer, 0.4 l', 6, 'EUR')] },
      ],
    },
    reservations: [
      { diner: 3, partySize: 4, day: 0, at: '20:30', outcome: 'accepted' },
      { diner: 4, partySize: 2, day: 1, at: '19:45', outcome: 'accepted' },
      { diner: 0, partySize: 5, day: 2, at: '20:00', outcome: 'cancelled' },
      { diner: 2, partySize: 2, day: 0, at: '12:00', outcome: 'soon' },
      { diner: 1, partySize: 10, day: 3, at: '20:00', outcome: 'accepted', notes: 'Birthday: ten of us, at the long tables' },
    ],
  },
  {
    owner: 0,
    body: {
      name: 'Osteria del Ponte',
      cuisine: 'tuscan',
      description: 'Florentine steak and Chianti by the Arno. Closed on Mondays; lunch on weekends only.',
      phone: '+39 055 211 4455',
      address: 'Borgo San Jacopo 17, 50125 Firenze',
      location: { lat: 43.7675, lon: 11.2511 },
      timezone: 'Europe/Rome',
      openingHours: week([{ open: '19:00', close: '23:00' }], {
        monday: [],
        saturday: [
          { open: '12:30', close: '15:00' },
          { open: '19:00', close: '23:00' },
        ],
        sunday: [
          { open: '12:30', close: '15:00' },
          { open: '19:00', close: '23:00' },
        ],
      }),
      tables: tables([
        ['P', 5, 2],
        ['Q', 4, 4],
      ]),
      policy: { ...basePolicy, acceptance: 'auto', maxPartySize: 6, turnMinutes: 120, slotMinutes: 30, decisionTimeoutMinutes: 60, minAdvanceMinutes: 60, cancellationCutoffMinutes: 240 },
      menu: [
        { name: 'Antipasti', dishes: [dish('Crostini toscani', 'Chicken liver pâté on toasted bread', 8, 'EUR'), dish('Pappa al pomodoro', 'Tomato and bread soup', 9, 'EUR')] },
        { name: 'Secondi', dishes: [dish('Bistecca alla fiorentina', 'T-bone for two, per kg', 55, 'EUR'), dish('Peposo', 'Beef stewed in Chianti and black pepper', 19, 'EUR')] },
      ],
    },
    reservations: [
      { diner: 1, partySize: 2, day: 1, at: '20:00', outcome: 'accepted' },
      { diner: 4, partySize: 4, day: 2, at: '19:30', outcome: 'accepted' },
      { diner: 3, partySize: 2, day: 3, at: '21:00', outcome: 'cancelled' },
    ],
  },
  {
    owner: 1,
    body: {
      name: 'Hudson Grill',
      cuisine: 'american',
      description: 'Burgers, steaks and a long bar in the West Village; weekend brunch.',
      phone: '+1 212 555 0142',
      address: '301 Hudson St, New York, NY 10013',
      location: { lat: 40.7265, lon: -74.0077 },
      timezone: 'America/New_York',
      openingHours: week([{ open: '11:30', close: '22:00' }], {
        saturday: [
          { open: '10:00', close: '15:00' },
          { open: '17:00', close: '22:30' },
        ],
        sunday: [
          { open: '10:00', close: '15:00' },
          { open: '17:00', close: '22:30' },
        ],
      }),
      tables: tables([
        ['B', 6, 2],
        ['D', 6, 4],
        ['R', 2, 8],
      ]),
      policy: { ...basePolicy, acceptance: 'auto', maxPartySize: 8, turnMinutes: 90, decisionTimeoutMinutes: 60, cancellationCutoffMinutes: 60 },
      menu: [
        { name: 'Starters', dishes: [dish('Buffalo wings', 'Blue cheese dip, celery', 14, 'USD'), dish('Clam chowder', 'New England style', 11, 'USD')] },
        { name: 'Mains', dishes: [dish('Hudson burger', 'Dry-aged beef, cheddar, pickles, fries', 22, 'USD'), dish('NY strip', '12 oz, peppercorn sauce', 42, 'USD')] },
        { name: 'Desserts', dishes: [dish('Cheesecake', 'New York style, berry compote', 10, 'USD')] },
      ],
    },
    reservations: [
      { diner: 1, partySize: 2, day: 0, at: '19:00', outcome: 'accepted' },
      { diner: 4, partySize: 6, day: 1, at: '18:30', outcome: 'accepted', notes: 'Birthday dinner' },
      { diner: 0, partySize: 2, day: 2, at: '12:30', outcome: 'cancelled' },
      { diner: 3, partySize: 4, day: 3, at: '19:30', outcome: 'accepted' },
    ],
  },
  {
    owner: 1,
    body: {
      name: 'Bella Notte',
      cuisine: 'italian',
      description: 'Candle-lit Italian in Little Italy. Every request is confirmed by the maître d’.',
      phone: '+1 212 555 0187',
      address: '143 Mulberry St, New York, NY 10013',
      location: { lat: 40.7191, lon: -73.9973 },
      timezone: 'America/New_York',
      openingHours: week([{ open: '17:00', close: '23:00' }]),
      tables: tables([
        ['T', 5, 2],
        ['F', 4, 4],
      ]),
      policy: { ...basePolicy, acceptance: 'manual', maxPartySize: 6, turnMinutes: 120, decisionTimeoutMinutes: 12 * 60, minAdvanceMinutes: 60, cancellationCutoffMinutes: 180 },
      menu: [
        { name: 'Pasta', dishes: [dish('Linguine alle vongole', 'Littleneck clams, garlic, white wine', 26, 'USD'), dish('Lasagna della nonna', 'Beef ragù, béchamel', 24, 'USD')] },
        { name: 'Dolci', dishes: [dish('Cannoli', 'Ricotta, pistachio, chocolate chips', 9, 'USD')] },
      ],
    },
    reservations: [
      { diner: 2, partySize: 2, day: 1, at: '20:00', outcome: 'pending', notes: 'Celebrating a promotion' },
      { diner: 3, partySize: 4, day: 1, at: '19:00', outcome: 'accepted' },
      { diner: 0, partySize: 2, day: 2, at: '21:00', outcome: 'rejected' },
      { diner: 4, partySize: 2, day: 0, at: '21:30', outcome: 'accepted' },
    ],
  },
  {
    owner: 1,
    body: {
      name: 'The Copper Pot',
      cuisine: 'gastropub',
      description: 'Brooklyn gastropub: seasonal plates, twelve taps, a fireplace in winter.',
      phone: '+1 718 555 0133',
      address: '210 Bedford Ave, Brooklyn, NY 11249',
      location: { lat: 40.7172, lon: -73.9571 },
      timezone: 'America/New_York',
      openingHours: week([{ open: '16:00', close: '23:30' }], {
        saturday: [{ open: '11:00', close: '23:30' }],
        sunday: [{ open: '11:00', close: '22:00' }],
      }),
      tables: tables([
        ['H', 4, 2],
        ['K', 4, 4],
        ['L', 1, 10],
      ]),
      policy: { ...basePolicy, acceptance: 'auto', maxPartySize: 10, turnMinutes: 90, decisionTimeoutMinutes: 60, minAdvanceMinutes: 15, cancellationCutoffMinutes: 60 },
      menu: [
        { name: 'Small plates', dishes: [dish('Scotch egg', 'Pork sausage, mustard', 9, 'USD'), dish('Roasted beets', 'Whipped feta, walnuts', 12, 'USD')] },
        { name: 'Large plates', dishes: [dish('Fish and chips', 'Beer-battered cod, mushy peas', 24, 'USD'), dish('Short rib', 'Braised, root vegetables', 32, 'USD')] },
      ],
    },
    reservations: [
      { diner: 0, partySize: 4, day: 0, at: '20:00', outcome: 'accepted' },
      { diner: 2, partySize: 8, day: 2, at: '19:00', outcome: 'accepted', notes: 'Team dinner' },
      { diner: 1, partySize: 2, day: 1, at: '18:00', outcome: 'cancelled' },
    ],
  },
  {
    owner: 2,
    body: {
      name: 'Sushi Hoshi',
      cuisine: 'japanese',
      description: 'Ten-seat omakase counter in Ginza and two private rooms. Aiko confirms each request.',
      phone: '+81 3 5555 0101',
      address: '6-4-12 Ginza, Chuo-ku, Tokyo 104-0061',
      location: { lat: 35.6702, lon: 139.7636 },
      timezone: 'Asia/Tokyo',
      openingHours: week(
        [
          { open: '11:30', close: '14:00' },
          { open: '17:30', close: '22:00' },
        ],
        { sunday: [] },
      ),
      tables: tables([
        ['C', 5, 2],
        ['R', 2, 4],
      ]),
      policy: { ...basePolicy, acceptance: 'manual', maxPartySize: 4, turnMinutes: 120, slotMinutes: 30, decisionTimeoutMinutes: 6 * 60, minAdvanceMinutes: 120, cancellationCutoffMinutes: 24 * 60 },
      menu: [
        { name: 'Omakase', dishes: [dish('Lunch omakase', 'Twelve pieces and miso soup', 8800, 'JPY'), dish('Dinner omakase', 'Seasonal otsumami and sixteen pieces', 22000, 'JPY')] },
        { name: 'Drinks', dishes: [dish('Junmai daiginjo', 'Glass, 90 ml', 1800, 'JPY'), dish('Green tea', 'Hot, refilled', 0, 'JPY')] },
      ],
    },
    expiresFirst: true,
    reservations: [
      { diner: 4, partySize: 2, day: 1, at: '19:00', outcome: 'expired' },
      { diner: 2, partySize: 2, day: 1, at: '18:00', outcome: 'accepted' },
      { diner: 1, partySize: 4, day: 2, at: '19:30', outcome: 'rejected' },
      { diner: 0, partySize: 2, day: 3, at: '12:00', outcome: 'cancelled' },
    ],
  },
  {
    owner: 2,
    body: {
      name: 'Ramen Kaze',
      cuisine: 'ramen',
      description: 'Tonkotsu and shoyu ramen near Shibuya station; quick turns, booked at once.',
      phone: '+81 3 5555 0178',
      address: '1-22-7 Jinnan, Shibuya-ku, Tokyo 150-0041',
      location: { lat: 35.6627, lon: 139.6989 },
      timezone: 'Asia/Tokyo',
      openingHours: week([
        { open: '11:00', close: '15:00' },
        { open: '17:00', close: '23:00' },
      ]),
      tables: tables([
        ['S', 8, 1],
        ['T', 4, 4],
      ]),
      policy: { ...basePolicy, acceptance: 'auto', maxPartySize: 4, turnMinutes: 45, minAdvanceMinutes: 0, decisionTimeoutMinutes: 30, cancellationCutoffMinutes: 30, reminderMinutesBefore: 60 },
      menu: [
        { name: 'Ramen', dishes: [dish('Tonkotsu', 'Pork bone broth, chashu, ajitama', 1200, 'JPY'), dish('Shoyu', 'Chicken and soy broth, bamboo shoots', 1000, 'JPY')] },
        { name: 'Sides', dishes: [dish('Gyoza', 'Six pan-fried dumplings', 500, 'JPY'), dish('Karaage', 'Fried chicken, yuzu mayo', 650, 'JPY')] },
      ],
    },
    reservations: [
      { diner: 2, partySize: 2, day: 0, at: '12:00', outcome: 'soon' },
      { diner: 3, partySize: 1, day: 1, at: '12:30', outcome: 'accepted' },
      { diner: 4, partySize: 3, day: 1, at: '19:30', outcome: 'accepted' },
      { diner: 0, partySize: 2, day: 2, at: '20:00', outcome: 'cancelled' },
    ],
  },
];

export const REJECT_REASON = 'Sorry, we are fully booked for a private event that evening.';
export const CANCEL_REASON = 'Change of plans, sorry!';
