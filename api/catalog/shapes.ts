/**
 * The catalog's JSON shapes, in and out: a restaurant's details, opening hours, tables, policy, menu and
 * warnings as the route schemas (./schemas.ts) take and answer them, and so as the OpenAPI document shows
 * them. Bounds come from the domain's LIMITS; rules across fields are the domain's (→ 422).
 */
import { DEFAULT_POLICY, WEEKDAYS } from '../../domain/catalog/events';
import { LIMITS } from '../../domain/catalog/validation';
import { POLICY_WARNING_CODES } from '../../domain/catalog/warnings';
import { HH_MM_PATTERN } from '../../domain/time/opening-interval';

/** At least one character that is not a space: the domain trims, and an all-blank name is no name. */
const NOT_BLANK = '\\S';

const text = (maxLength: number, description?: string) =>
  ({ type: 'string', maxLength, ...(description ? { description } : {}) }) as const;

const location = {
  type: 'object',
  required: ['lat', 'lon'],
  additionalProperties: false,
  properties: {
    lat: { type: 'number', minimum: -90, maximum: 90 },
    lon: { type: 'number', minimum: -180, maximum: 180 },
  },
} as const;

const hhmm = { type: 'string', pattern: HH_MM_PATTERN, description: 'Local wall-clock time HH:MM (00:00-23:59)', examples: ['19:00'] } as const;

const interval = {
  type: 'object',
  required: ['open', 'close'],
  additionalProperties: false,
  properties: { open: hhmm, close: hhmm },
  description: 'close <= open means the interval ends after midnight (on the next day); open == close is refused.',
} as const;

export const openingHours = {
  type: 'object',
  additionalProperties: false,
  description: 'Per weekday a list of local intervals; a missing or empty day is closed. Intervals on a day must not overlap, and an after-midnight tail must not overlap the next day.',
  properties: Object.fromEntries(WEEKDAYS.map((d) => [d, { type: 'array', maxItems: LIMITS.intervalsPerDay, items: interval }])),
} as const;

/** Responses always carry all seven days. */
const openingHoursOut = {
  type: 'object',
  required: [...WEEKDAYS],
  properties: Object.fromEntries(WEEKDAYS.map((d) => [d, { type: 'array', items: interval }])),
} as const;

export const tables = {
  type: 'array',
  minItems: 1,
  maxItems: LIMITS.tables,
  description: 'At least one table; ids unique.',
  items: {
    type: 'object',
    required: ['id', 'seats'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', minLength: 1, maxLength: LIMITS.tableIdLength },
      seats: { type: 'integer', minimum: LIMITS.minSeats, maximum: LIMITS.maxSeats },
      combinableWith: {
        type: 'array',
        maxItems: LIMITS.combinableWith,
        items: { type: 'string', minLength: 1, maxLength: LIMITS.tableIdLength },
        description:
          'Ids of other tables of this restaurant this one may be pushed together with (not its own, each once). ' +
          'Tables are combined only when each names the other: a party no single free table seats gets the smallest free ' +
          'combination of up to 3 such tables. Absent or empty: never combined.',
        examples: [['t2']],
      },
    },
  },
} as const;

export const policy = {
  type: 'object',
  additionalProperties: false,
  description: 'Omitted fields take their defaults (also on PUT: the policy is replaced, not merged).',
  properties: {
    acceptance: { type: 'string', enum: ['manual', 'auto'], default: DEFAULT_POLICY.acceptance },
    maxPartySize: { type: 'integer', minimum: LIMITS.minPartySize, maximum: LIMITS.maxPartySize, default: DEFAULT_POLICY.maxPartySize },
    turnMinutes: {
      type: 'integer', minimum: LIMITS.minTurnMinutes, maximum: LIMITS.maxTurnMinutes, default: DEFAULT_POLICY.turnMinutes,
      description: 'A multiple of slotMinutes.',
    },
    slotMinutes: { type: 'integer', enum: [...LIMITS.slotMinutes], default: DEFAULT_POLICY.slotMinutes },
    decisionTimeoutMinutes: { type: 'integer', minimum: 1, maximum: LIMITS.maxDecisionTimeoutMinutes, default: DEFAULT_POLICY.decisionTimeoutMinutes },
    minAdvanceMinutes: { type: 'integer', minimum: 0, maximum: LIMITS.maxMinAdvanceMinutes, default: DEFAULT_POLICY.minAdvanceMinutes },
    maxAdvanceDays: { type: 'integer', minimum: 1, maximum: LIMITS.maxAdvanceDays, default: DEFAULT_POLICY.maxAdvanceDays },
    cancellationCutoffMinutes: { type: 'integer', minimum: 0, maximum: LIMITS.maxCancellationCutoffMinutes, default: DEFAULT_POLICY.cancellationCutoffMinutes },
    reminderMinutesBefore: { type: 'integer', minimum: 0, maximum: LIMITS.maxReminderMinutesBefore, default: DEFAULT_POLICY.reminderMinutesBefore },
    maxBookingsPerCustomerPerDay: {
      type: 'integer', minimum: 1, maximum: LIMITS.maxBookingsPerCustomerPerDay, default: DEFAULT_POLICY.maxBookingsPerCustomerPerDay,
      description: 'Active (pending or accepted) reservations one customer may hold at this restaurant on one opening day.',
    },
    waitlistOfferMinutes: {
      type: 'integer', minimum: 1, maximum: LIMITS.maxWaitlistOfferMinutes, default: DEFAULT_POLICY.waitlistOfferMinutes,
      description: 'How long a waitlist offer holds a freed table for its diner before it passes to the next entry.',
    },
    seatEarlyMinutes: {
      type: 'integer', minimum: 0, maximum: LIMITS.maxSeatEarlyMinutes, default: DEFAULT_POLICY.seatEarlyMinutes,
      description: 'How long before the start the owner may mark a party seated.',
    },
    noShowGraceMinutes: {
      type: 'integer', minimum: 0, maximum: LIMITS.maxNoShowGraceMinutes, default: DEFAULT_POLICY.noShowGraceMinutes,
      description: 'How long after the start a party that has not come may be marked a no-show.',
    },
  },
} as const;

const policyOut = { ...policy, required: Object.keys(policy.properties) } as const;

const price = {
  type: 'object',
  required: ['amount', 'currency'],
  additionalProperties: false,
  properties: {
    amount: { type: 'number', minimum: 0, maximum: 1_000_000 },
    // the shape only: the domain checks the code is one the runtime knows (422); an enum of ~300 codes would
    // bloat the document and every generated test
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR', examples: ['EUR'] },
  },
} as const;

const dishFields = {
  name: { type: 'string', minLength: 1, maxLength: LIMITS.dishNameLength, pattern: NOT_BLANK },
  description: text(LIMITS.dishDescriptionLength),
  price,
} as const;

export const dishIn = { type: 'object', required: ['name', 'price'], additionalProperties: false, properties: dishFields } as const;
export const dishPatch = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: dishFields,
  description: 'Any of name, description, price; the rest is kept.',
} as const;
const dishOut = { type: 'object', required: ['name', 'description', 'price'], properties: dishFields } as const;

export const sectionName = { type: 'string', minLength: 1, maxLength: LIMITS.sectionNameLength, pattern: NOT_BLANK } as const;

export const menuIn = {
  type: 'array',
  maxItems: LIMITS.menuSections,
  description: 'Section names unique; dish names unique within a section (both ignoring case).',
  items: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: sectionName, dishes: { type: 'array', maxItems: LIMITS.dishesPerSection, items: dishIn } },
  },
} as const;

const menuOut = {
  type: 'array',
  items: { type: 'object', required: ['name', 'dishes'], properties: { name: { type: 'string' }, dishes: { type: 'array', items: dishOut } } },
} as const;

export const detailFields = {
  name: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength, pattern: NOT_BLANK },
  cuisine: { type: 'string', minLength: 1, maxLength: LIMITS.cuisineLength, pattern: NOT_BLANK, examples: ['italian'] },
  description: text(LIMITS.descriptionLength),
  phone: {
    type: 'string', minLength: 1, maxLength: 40, pattern: '^\\s*\\+?[0-9][0-9 ()./-]*[0-9]\\s*$', examples: ['+39 06 1234567'],
    description: 'Digits, with an optional leading + and spaces, dots, dashes or parentheses between them; 5 to 15 digits.',
  },
  address: { type: 'string', minLength: 1, maxLength: LIMITS.addressLength, pattern: NOT_BLANK },
  location,
  timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Rome', examples: ['Europe/Rome'] },
} as const;

const restaurantOut = {
  type: 'object',
  required: ['restaurantId', 'ownerId', 'name', 'cuisine', 'description', 'phone', 'address', 'location', 'timezone', 'openingHours', 'tables', 'policy', 'menu', 'version'],
  properties: {
    restaurantId: { type: 'string' },
    ownerId: { type: 'string' },
    ...detailFields,
    openingHours: openingHoursOut,
    tables,
    policy: policyOut,
    menu: menuOut,
    version: { type: 'integer', description: 'Stream version; also the ETag.' },
  },
} as const;

/** domain/catalog/warnings.ts: advisory, never a refusal. */
export const warningsOut = {
  type: 'array',
  description:
    'Advisory: the change WAS saved. Settings that are each valid but together leave some or every booking impossible, ' +
    'e.g. a maxPartySize larger than every table and combination of tables (PARTY_SIZE_EXCEEDS_LARGEST_TABLE), no tables (NO_TABLES), ' +
    'a table naming another in combinableWith that does not name it back (ONE_SIDED_COMBINATION), every day closed ' +
    '(NO_OPENING_HOURS), a turn longer than every service (TURN_LONGER_THAN_EVERY_SERVICE). Empty when everything can be booked.',
  items: {
    type: 'object',
    required: ['code', 'field', 'detail'],
    properties: {
      code: { type: 'string', enum: [...POLICY_WARNING_CODES] },
      field: { type: 'string', description: 'The setting to change to clear it, e.g. policy.maxPartySize or tables.' },
      detail: { type: 'string', description: 'What can never be booked and how to fix it, in words.' },
    },
  },
} as const;

/** A restaurant as a write leaves it, with its warnings (always present, possibly empty). */
export const restaurantWritten = {
  ...restaurantOut,
  description: 'The restaurant as saved. `warnings` is advisory: the change was saved even when it is not empty.',
  required: [...restaurantOut.required, 'warnings'],
  properties: { ...restaurantOut.properties, warnings: warningsOut },
} as const;

/** GET: `warnings` only when the caller is the owner. */
export const restaurantRead = {
  ...restaurantOut,
  properties: { ...restaurantOut.properties, warnings: { ...warningsOut, description: `Only when the caller is the owner. ${warningsOut.description}` } },
} as const;

export const summaryOut = {
  type: 'object',
  required: ['restaurantId', 'name', 'cuisine', 'description', 'phone', 'address', 'location', 'timezone', 'openingHours', 'version'],
  properties: {
    restaurantId: { type: 'string' },
    ...detailFields,
    openingHours: openingHoursOut,
    version: { type: 'integer' },
    distanceKm: { type: 'number', description: 'Only when searching near a point.' },
  },
} as const;

export const menuView = {
  type: 'object',
  required: ['restaurantId', 'sections', 'version'],
  properties: { restaurantId: { type: 'string' }, sections: menuOut, version: { type: 'integer' } },
} as const;
