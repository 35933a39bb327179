/**
 * OpenAPI `links`: where an id in a response (a new restaurant's or reservation's) goes in later operations.
 */

const RESTAURANT_ID = '$response.body#/restaurantId';
const RESERVATION_ID = '$response.body#/reservationId';

/** Source operation → its response status → links. */
export const LINKS: Record<string, Record<number, Record<string, Record<string, unknown>>>> = {
  'POST /restaurants': {
    201: {
      ...Object.fromEntries(
        [
          'getRestaurant',
          'changeRestaurant',
          'setOpeningHours',
          'setTables',
          'setPolicy',
          'addMenuSection',
          'addDish',
          'changeDish',
          'getMenu',
          'getAvailability',
          'listRestaurantReservations',
          'removeDish',
          'removeMenuSection',
          'closeRestaurant',
        ].map((op) => [op, { operationId: op, parameters: { id: RESTAURANT_ID }, description: `The new restaurant's id is the {id} of ${op}` }]),
      ),
      requestReservation: {
        operationId: 'requestReservation',
        description: 'Book at the new restaurant: its id is the body field restaurantId (x-request-body-fields)',
        'x-request-body-fields': { restaurantId: RESTAURANT_ID },
      },
    },
  },
  ...Object.fromEntries(
    (['POST /reservations'] as const).map((key) => [
      key,
      Object.fromEntries(
        [200, 201, 202].map((status) => [
          status,
          {
            ...Object.fromEntries(
              ['getReservation', ...(status === 202 ? [] : ['acceptReservation', 'rejectReservation', 'cancelReservation'])].map((op) => [
                op,
                { operationId: op, parameters: { id: RESERVATION_ID }, description: `The reservation's id is the {id} of ${op}` },
              ]),
            ),
            listMyReservations: {
              operationId: 'listMyReservations',
              parameters: { 'header.consistency-token': '$response.header.Consistency-Token' },
              description: 'Send the Consistency-Token back and the list shows this reservation at once',
            },
          },
        ]),
      ),
    ]),
  ),
};
