/**
 * What the waitlist operations' documentation says beyond their route schemas (issue 14), in the shape of
 * ./operations.ts, for OPERATIONS. None takes part in the README walkthrough: the walkthrough's evening is
 * not full, so a join would be refused with SLOT_AVAILABLE, and an offer needs a cancellation while others
 * wait (api/reservation/waitlist.int.test.ts and the end-to-end test play that through).
 */
import type { OperationDoc } from './operations';

const SKIP = 'Needs a fully booked evening and a freed table, which the walkthrough does not have; api/reservation/waitlist.int.test.ts plays the waitlist through.';

const LOCATION = { Location: { description: 'Where the created resource is', schema: { type: 'string' } } };

const BOOKING_RULES = ['INVALID_START', 'NONEXISTENT_LOCAL_TIME', 'INVALID_PARTY_SIZE', 'PARTY_TOO_LARGE', 'CLOSED_THAT_DAY', 'BETWEEN_SERVICES', 'TURN_PAST_CLOSING', 'OFF_SLOT_GRID', 'IN_THE_PAST', 'TOO_EARLY', 'TOO_LATE'];

const NOT_ITS_DINER = 'Not the diner who joined (the owner may read the entry, not act for the diner).';
const NO_ENTRY = 'No such waitlist entry (right after joining, the entry may take about a second to be found).';
const NOT_DELIVERED = 'No answer within the deadline; retry after Retry-After seconds (with the same Idempotency-Key, to be safe).';

/** What a 202 means on the waitlist's writes. */
const UNDER_WAY = 'Not answered within the deadline, but the waitlist has the request and carries it out: GET the entry (Location) for the outcome.';

export const WAITLIST_OPERATIONS: Record<string, OperationDoc> = {
  'POST /restaurants/{id}/waitlist': {
    operationId: 'joinWaitlist',
    description:
      'For a start with no table free: the diner waits in line (first come, first served among the entries a freed table fits). ' +
      'When a table is freed (a cancellation, a rejection, an expiry, a no-show) and fits the entry, it is offered, held for the policy\'s waitlistOfferMinutes: GET the entry to see the offer, accept it before it expires. ' +
      'The response\'s `entryId` is the `{entryId}` of the waitlist routes.',
    ok: {
      200: 'The same Idempotency-Key again: already in line (position is the current one).',
      201: 'In line: position 1 is next.',
      202: UNDER_WAY,
    },
    errors: {
      404: 'No such restaurant.',
      409: 'A table is free within the window now (start says the nearest free start, alternatives a few more): book it instead. Or the Idempotency-Key was used for another body.',
      422: 'The start breaks a booking rule (one code per rule), or the party is too large.',
      503: NOT_DELIVERED,
    },
    codes: {
      404: ['NOT_FOUND'],
      409: ['SLOT_AVAILABLE', 'ALREADY_EXISTS', 'RESTAURANT_CLOSED'],
      422: [...BOOKING_RULES, 'VALIDATION'],
      503: ['UNAVAILABLE'],
    },
    headers: { 200: LOCATION, 201: LOCATION },
    steps: [],
    skip: SKIP,
  },
  'GET /waitlist/{entryId}': {
    operationId: 'getWaitlistEntry',
    ok: { 200: 'The entry: waiting (with its position), offered (with the offer and when it expires), booked (with the reservationId), expired or withdrawn.' },
    errors: { 403: 'Neither the diner who joined nor the restaurant owner.', 404: NO_ENTRY },
    codes: { 403: ['FORBIDDEN'] },
    steps: [],
    skip: SKIP,
  },
  'POST /waitlist/{entryId}/accept': {
    operationId: 'acceptWaitlistOffer',
    description: 'The table offered becomes a reservation (pending under manual acceptance, else accepted): its Location is the reservation.',
    ok: { 201: 'Booked: the reservation and its status.', 202: UNDER_WAY },
    errors: {
      403: NOT_ITS_DINER,
      404: NO_ENTRY,
      409: 'Nothing is offered to this entry (waitlistStatus says what it is), or the offer has expired (expiresAt).',
      422: 'The reservation could not be placed under the restaurant\'s rules.',
      503: NOT_DELIVERED,
    },
    codes: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['NOT_OFFERED', 'OFFER_EXPIRED'], 503: ['UNAVAILABLE'] },
    headers: {
      201: {
        ...LOCATION,
        'Consistency-Token': {
          description: "Names the new reservation: send it back as the Consistency-Token request header on GET /reservations and the list shows it at once",
          schema: { type: 'string' },
        },
      },
    },
    steps: [],
    skip: SKIP,
  },
  'POST /waitlist/{entryId}/withdraw': {
    operationId: 'withdrawFromWaitlist',
    description: 'A table offered to the entry passes to the next entry it fits. Withdrawing again is a no-op.',
    ok: { 200: 'Out of line.', 202: UNDER_WAY },
    errors: { 403: NOT_ITS_DINER, 404: NO_ENTRY, 409: 'Already booked or expired (waitlistStatus says which).', 503: NOT_DELIVERED },
    codes: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['ALREADY_FINAL'], 503: ['UNAVAILABLE'] },
    steps: [],
    skip: SKIP,
  },
  'GET /restaurants/{id}/waitlist': {
    operationId: 'listRestaurantWaitlist',
    ok: { 200: "Every entry of the restaurant's waitlist for that opening day, in queue (join) order (owner only)." },
    errors: { 400: 'date is not a calendar date.', 403: "Not the restaurant's owner.", 404: 'No such restaurant.' },
    codes: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] },
    steps: [],
    skip: SKIP,
  },
};
