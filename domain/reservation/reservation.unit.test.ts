import type { DomainErrorCode } from '../errors';
import { spec } from '../testing/decider-spec';
import { ledgerStepAfter } from './outcomes';
import { holdsTable, isFinal } from './rules';
import {
  requestOf,
  reservationDecider,
  reservationStreamId,
  type CancelReservation,
  type RequestReservation,
  type ReservationCommand,
  type ReservationEvent,
  type ReservationState,
} from './reservation';

const reservation = spec(reservationDecider);

// ---- fixtures

const START = '2026-06-12T20:00:00+02:00';
const details = {
  reservationId: 'res-1',
  restaurantId: 'r1',
  customerId: 'c1',
  partySize: 4,
  start: START,
  end: '2026-06-12T21:30:00+02:00',
  tableId: 't4',
  name: 'Ada',
  phone: '+39 333 000 0000',
  acceptance: 'manual' as const,
};
const request: RequestReservation = { type: 'RequestReservation', ...details };

const requested: ReservationEvent = { type: 'ReservationRequested', data: details };
const accepted: ReservationEvent = { type: 'ReservationAccepted', data: { by: 'owner' } };
const autoAccepted: ReservationEvent = { type: 'ReservationAccepted', data: { by: 'auto' } };
const rejected: ReservationEvent = { type: 'ReservationRejected', data: { reason: 'fully booked' } };
const expired: ReservationEvent = { type: 'ReservationExpired', data: {} };
const cancelled: ReservationEvent = { type: 'ReservationCancelled', data: { by: 'customer' } };
const reminded: ReservationEvent = { type: 'ReminderDue', data: { start: START } };
const completed: ReservationEvent = { type: 'ReservationCompleted', data: {} };

const accept: ReservationCommand = { type: 'AcceptReservation' };
const reject: ReservationCommand = { type: 'RejectReservation', reason: 'fully booked' };
const expire: ReservationCommand = { type: 'ExpireReservation' };
const remind: ReservationCommand = { type: 'MarkReminderDue' };
const complete: ReservationCommand = { type: 'CompleteReservation' };
/** Cutoff 120 minutes: a customer may cancel until 18:00 for a 20:00 start. */
const cancel = (by: 'customer' | 'owner', at: string, reason?: string): CancelReservation => ({
  type: 'CancelReservation',
  by,
  at: new Date(at),
  cancellationCutoffMinutes: 120,
  ...(reason !== undefined ? { reason } : {}),
});
const EARLY = '2026-06-10T12:00:00+02:00';

type Row = [rule: string, given: ReservationEvent[], when: ReservationCommand, then: ReservationEvent[] | DomainErrorCode];

function check([, given, when, then]: Row): void {
  if (typeof then === 'string') reservation.given(given).when(when).thenThrows(then);
  else reservation.given(given).when(when).then(then);
}

it('one stream per reservation', () => {
  expect(reservationStreamId('res-1')).toBe('reservation-res-1');
});

describe('Request', () => {
  it.each<Row>([
    ['a manual request is pending', [], request, [requested]],
    ['an auto request is accepted in the same decision', [], { ...request, acceptance: 'auto' }, [
      { type: 'ReservationRequested', data: { ...details, acceptance: 'auto' } },
      autoAccepted,
    ]],
    ['notes are kept, absent optionals are left out', [], { ...request, name: undefined, notes: 'window seat' }, [
      { type: 'ReservationRequested', data: { ...withoutName(), notes: 'window seat' } },
    ]],
    ['a retried request is a no-op', [requested], request, []],
    ['a retried auto request finishes an acceptance interrupted after the request', [{ ...requested, data: { ...details, acceptance: 'auto' } }], { ...request, acceptance: 'auto' }, [autoAccepted]],
    ['a retried auto request that was accepted is a no-op', [{ ...requested, data: { ...details, acceptance: 'auto' } }, autoAccepted], { ...request, acceptance: 'auto' }, []],
    ['another booking reusing the id is refused', [requested], { ...request, start: '2026-06-12T21:00:00+02:00' }, 'ALREADY_EXISTS'],
    ['no party', [], { ...request, partySize: 0 }, 'INVALID_PARTY_SIZE'],
    ['end before start', [], { ...request, end: '2026-06-12T19:00:00+02:00' }, 'INVALID_PERIOD'],
    ['a start without offset', [], { ...request, start: '2026-06-12T20:00' }, 'INVALID_PERIOD'],
  ])('%s', (...row) => check(row));

  it('the same booking is the same customer, party and start instant, whatever offset the start is written with', () => {
    reservation.given([requested]).when({ ...request, start: '2026-06-12T18:00:00Z' }).then([]);
    reservation.given([requested]).when({ ...request, customerId: 'c2' }).thenThrows('ALREADY_EXISTS');
    reservation.given([requested]).when({ ...request, partySize: 5 }).thenThrows('ALREADY_EXISTS');
  });

  it('requestOf: the stored request, decided again, finishes an interrupted automatic acceptance and is otherwise a no-op', () => {
    const autoRequested: ReservationEvent = { type: 'ReservationRequested', data: { ...details, acceptance: 'auto' } };
    const interrupted = reservation.given([autoRequested]).state;
    if (interrupted.status === 'none') throw new Error('not requested');
    expect(requestOf(interrupted)).toEqual({ ...request, acceptance: 'auto' });
    reservation.given([autoRequested]).when(requestOf(interrupted)).then([autoAccepted]);
    const manual = reservation.given([requested, accepted]).state;
    if (manual.status === 'none') throw new Error('not requested');
    reservation.given([requested, accepted]).when(requestOf(manual)).then([]);
  });

  it('the state holds the details, pending', () => {
    const state = reservation.given([]).when(request).then([requested]);
    expect(state).toEqual({ ...details, status: 'pending', reminderDue: false });
  });
});

describe('Accept, Reject, Expire: only a pending reservation', () => {
  it.each<Row>([
    ['accept a pending one', [requested], accept, [accepted]],
    ['reject a pending one, with a reason', [requested], reject, [rejected]],
    ['the reason is trimmed', [requested], { type: 'RejectReservation', reason: '  fully booked ' }, [rejected]],
    ['reject without a reason', [requested], { type: 'RejectReservation', reason: '   ' }, 'REASON_REQUIRED'],
    ['expire a pending one', [requested], expire, [expired]],

    ['accept twice', [requested, accepted], accept, 'NOT_PENDING'],
    ['accept an auto-accepted one', [requested, autoAccepted], accept, 'NOT_PENDING'],
    ['accept a rejected one', [requested, rejected], accept, 'NOT_PENDING'],
    ['accept an expired one (the owner was too late)', [requested, expired], accept, 'NOT_PENDING'],
    ['accept a cancelled one', [requested, cancelled], accept, 'NOT_PENDING'],
    ['reject an accepted one', [requested, accepted], reject, 'NOT_PENDING'],
    ['reject an expired one', [requested, expired], reject, 'NOT_PENDING'],
    ['expire an accepted one (the owner won the race)', [requested, accepted], expire, 'NOT_PENDING'],
    ['expire a rejected one', [requested, rejected], expire, 'NOT_PENDING'],
    ['expire twice', [requested, expired], expire, 'NOT_PENDING'],

    ['accept what does not exist', [], accept, 'NOT_FOUND'],
    ['reject what does not exist', [], reject, 'NOT_FOUND'],
    ['expire what does not exist', [], expire, 'NOT_FOUND'],
  ])('%s', (...row) => check(row));
});

describe('Cancel (start 20:00, customer cutoff 120 minutes → until 18:00)', () => {
  it.each<Row>([
    ['the customer cancels a pending one in time', [requested], cancel('customer', EARLY), [cancelled]],
    ['the customer cancels an accepted one in time', [requested, accepted], cancel('customer', EARLY), [cancelled]],
    ['the customer cancels exactly at the cutoff', [requested, accepted], cancel('customer', '2026-06-12T18:00:00+02:00'), [cancelled]],
    ['the customer cancels a minute past the cutoff', [requested, accepted], cancel('customer', '2026-06-12T18:01:00+02:00'), 'PAST_CUTOFF'],
    ['the customer cancels a pending one past the cutoff', [requested], cancel('customer', '2026-06-12T19:00:00+02:00'), 'PAST_CUTOFF'],
    [
      'the owner cancels past the customer cutoff, with a reason',
      [requested, accepted],
      cancel('owner', '2026-06-12T19:59:00+02:00', 'kitchen fire'),
      [{ type: 'ReservationCancelled', data: { by: 'owner', reason: 'kitchen fire' } }],
    ],
    ['the owner cannot cancel once it started', [requested, accepted], cancel('owner', START), 'ALREADY_STARTED'],
    ['the customer cannot cancel once it started', [requested, accepted], cancel('customer', '2026-06-12T20:30:00+02:00'), 'ALREADY_STARTED'],
    ['a blank reason is left out', [requested], cancel('customer', EARLY, '  '), [cancelled]],

    // the 2020 system allowed this and re-released a table someone else held: a known bug
    ['cancelling a rejected one is refused', [requested, rejected], cancel('customer', EARLY), 'ALREADY_FINAL'],
    ['cancelling an expired one is refused', [requested, expired], cancel('owner', EARLY), 'ALREADY_FINAL'],
    ['cancelling twice is refused', [requested, accepted, cancelled], cancel('customer', EARLY), 'ALREADY_FINAL'],
    ['cancelling a completed one is refused', [requested, accepted, completed], cancel('owner', EARLY), 'ALREADY_FINAL'],
    ['finality is checked before time', [requested, rejected], cancel('customer', '2026-06-12T21:00:00+02:00'), 'ALREADY_FINAL'],
    ['cancelling what does not exist', [], cancel('customer', EARLY), 'NOT_FOUND'],
  ])('%s', (...row) => check(row));
});

describe('MarkReminderDue and Complete: only an accepted reservation', () => {
  it.each<Row>([
    ['remind an accepted one', [requested, accepted], remind, [reminded]],
    ['remind an auto-accepted one', [requested, autoAccepted], remind, [reminded]],
    ['remind twice: no-op (a retried timer)', [requested, accepted, reminded], remind, []],
    ['remind a pending one', [requested], remind, 'NOT_ACCEPTED'],
    ['remind a cancelled one', [requested, accepted, cancelled], remind, 'NOT_ACCEPTED'],
    ['complete an accepted one', [requested, accepted], complete, [completed]],
    ['complete a reminded one', [requested, accepted, reminded], complete, [completed]],
    ['complete a pending one', [requested], complete, 'NOT_ACCEPTED'],
    ['complete a rejected one', [requested, rejected], complete, 'NOT_ACCEPTED'],
    ['complete twice', [requested, accepted, completed], complete, 'NOT_ACCEPTED'],
    ['remind what does not exist', [], remind, 'NOT_FOUND'],
  ])('%s', (...row) => check(row));
});

describe('The floor (start 20:00, end 21:30; seating from 30 minutes before, no-show after a 15-minute grace)', () => {
  const at = (iso: string) => new Date(iso);
  const seat = (iso: string, seatEarlyMinutes = 30): ReservationCommand => ({ type: 'SeatReservation', at: at(iso), seatEarlyMinutes });
  const noShow = (iso: string, noShowGraceMinutes = 15): ReservationCommand => ({ type: 'MarkNoShow', at: at(iso), noShowGraceMinutes });
  const completeEarly = (iso: string): ReservationCommand => ({ type: 'CompleteReservationEarly', at: at(iso) });
  const seatedEvent = (iso: string): ReservationEvent => ({ type: 'ReservationSeated', data: { at: at(iso).toISOString() } });
  const noShowEvent = (iso: string): ReservationEvent => ({ type: 'ReservationNoShow', data: { at: at(iso).toISOString() } });
  const seated = seatedEvent('2026-06-12T19:45:00+02:00');

  it.each<Row>([
    // seated only in its window: from start − seatEarlyMinutes until the end of the turn
    ['seat an accepted party at the start', [requested, accepted], seat(START), [seatedEvent(START)]],
    ['seat it exactly seatEarlyMinutes before the start', [requested, accepted, reminded], seat('2026-06-12T19:30:00+02:00'), [seatedEvent('2026-06-12T19:30:00+02:00')]],
    ['seat it a minute before that', [requested, accepted], seat('2026-06-12T19:29:00+02:00'), 'NOT_YET'],
    ['the policy’s allowance decides', [requested, accepted], seat('2026-06-12T19:29:00+02:00', 60), [seatedEvent('2026-06-12T19:29:00+02:00')]],
    ['seat it at the end of its turn', [requested, accepted], seat('2026-06-12T21:30:00+02:00'), 'PAST_CUTOFF'],
    ['seat a pending one', [requested], seat(START), 'NOT_ACCEPTED'],
    ['seat twice', [requested, accepted, seated], seat(START), 'NOT_ACCEPTED'],
    ['seat a cancelled one', [requested, accepted, cancelled], seat(START), 'ALREADY_FINAL'],

    // a no-show only after the grace, and only of a party not seated
    ['mark a no-show a minute after the grace', [requested, accepted], noShow('2026-06-12T20:16:00+02:00'), [noShowEvent('2026-06-12T20:16:00+02:00')]],
    ['mark it at the end of the grace (the party may still walk in)', [requested, accepted], noShow('2026-06-12T20:15:00+02:00'), 'NOT_YET'],
    ['the policy’s grace decides', [requested, accepted], noShow('2026-06-12T20:06:00+02:00', 5), [noShowEvent('2026-06-12T20:06:00+02:00')]],
    ['mark a seated party a no-show', [requested, accepted, seated], noShow('2026-06-12T20:30:00+02:00'), 'NOT_ACCEPTED'],
    ['mark a pending one a no-show', [requested], noShow('2026-06-12T20:30:00+02:00'), 'NOT_ACCEPTED'],
    ['mark a no-show twice', [requested, accepted, noShowEvent('2026-06-12T20:16:00+02:00')], noShow('2026-06-12T20:30:00+02:00'), 'ALREADY_FINAL'],

    // a seated party completes at the end of its turn, or earlier when the owner ends it
    ['complete a seated one at the end of the turn', [requested, accepted, seated], complete, [completed]],
    ['end a seated one early', [requested, accepted, seated], completeEarly('2026-06-12T21:00:00+02:00'), [
      { type: 'ReservationCompleted', data: { early: true, at: at('2026-06-12T21:00:00+02:00').toISOString() } },
    ]],
    ['end early at the end of the turn (it completes on its own)', [requested, accepted, seated], completeEarly('2026-06-12T21:30:00+02:00'), 'PAST_CUTOFF'],
    ['end early a party not seated', [requested, accepted], completeEarly('2026-06-12T21:00:00+02:00'), 'NOT_SEATED'],
    ['end early a completed one', [requested, accepted, seated, completed], completeEarly('2026-06-12T21:00:00+02:00'), 'ALREADY_FINAL'],
    ['a seated party is not cancelled (even seated before its start)', [requested, accepted, seated], cancel('owner', '2026-06-12T19:50:00+02:00'), 'ALREADY_STARTED'],
    ['nothing follows a no-show', [requested, accepted, noShowEvent('2026-06-12T20:16:00+02:00')], complete, 'NOT_ACCEPTED'],
    ['seat what does not exist', [], seat(START), 'NOT_FOUND'],
  ])('%s', (...row) => check(row));

  it('a no-show frees the rest of the turn: it is final, and its table no longer held', () => {
    const state = reservation.given([requested, accepted]).when(noShow('2026-06-12T20:20:00+02:00')).then([noShowEvent('2026-06-12T20:20:00+02:00')]);
    expect(state).toMatchObject({ status: 'no-show', noShowAt: '2026-06-12T18:20:00.000Z' });
    expect(isFinal(state.status)).toBe(true);
    expect(holdsTable(state.status)).toBe(false);
    expect(ledgerStepAfter('no-show', 'res-1')).toEqual({ type: 'ReleaseTable', reservationId: 'res-1', reason: 'no-show' });
  });

  it('a seated party holds its table until the end; an early end records when, and gives the table back', () => {
    const state = reservation.given([requested, accepted]).when(seat('2026-06-12T19:45:00+02:00')).then([seated]);
    expect(state).toMatchObject({ status: 'seated', seatedAt: '2026-06-12T17:45:00.000Z' });
    expect(holdsTable('seated')).toBe(true);
    expect(isFinal('seated')).toBe(false);
    const ended = reservation.given([requested, accepted, seated]).when(completeEarly('2026-06-12T21:00:00+02:00')).then([
      { type: 'ReservationCompleted', data: { early: true, at: '2026-06-12T19:00:00.000Z' } },
    ]);
    expect(ended).toMatchObject({ status: 'completed', completedEarly: true });
    expect(ledgerStepAfter('complete-early', 'res-1')).toMatchObject({ type: 'ReleaseTable', reason: 'completed-early' });
  });

  it('requestOf leaves the floor’s state out', () => {
    const state = reservation.given([requested, accepted, seated]).state;
    if (state.status === 'none') throw new Error('not requested');
    expect(requestOf(state)).toEqual(request);
  });
});

describe('evolve: the status each history leads to', () => {
  it.each<[ReservationEvent[], ReservationState['status']]>([
    [[], 'none'],
    [[requested], 'pending'],
    [[requested, accepted], 'accepted'],
    [[requested, accepted, reminded], 'accepted'],
    [[requested, rejected], 'rejected'],
    [[requested, expired], 'expired'],
    [[requested, cancelled], 'cancelled'],
    [[requested, accepted, cancelled], 'cancelled'],
    [[requested, accepted, reminded, completed], 'completed'],
    [[accepted], 'none'], // an event without a request changes nothing
  ])('%# → %s', (history, status) => {
    expect(reservation.given(history).state.status).toBe(status);
  });

  it('records who decided and why', () => {
    expect(reservation.given([requested, rejected]).state).toMatchObject({ status: 'rejected', rejectionReason: 'fully booked' });
    expect(reservation.given([requested, autoAccepted, reminded]).state).toMatchObject({ acceptedBy: 'auto', reminderDue: true });
    expect(
      reservation.given([requested, { type: 'ReservationCancelled', data: { by: 'owner', reason: 'closed' } }]).state,
    ).toMatchObject({ cancelledBy: 'owner', cancellationReason: 'closed' });
  });

  it('state is plain JSON', () => {
    const state = reservation.given([requested, accepted, reminded]).state;
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

function withoutName() {
  const { name: _name, ...rest } = details;
  return rest;
}
