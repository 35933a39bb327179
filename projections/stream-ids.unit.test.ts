/** Stream ids read back: each parser undoes its builder and refuses every other stream. */
import { restaurantIdOfStream, restaurantStreamId } from '../domain/catalog/events';
import { emailStreamId, userStreamId } from '../domain/auth/user';
import { ledgerStreamId } from '../domain/reservation/ledger';
import { reservationStreamId } from '../domain/reservation/reservation';
import { ledgerOfStream, reservationIdOfStream, userIdOfStream } from './stream-ids';

test('each parser undoes its builder (ids with dashes included)', () => {
  expect(restaurantIdOfStream(restaurantStreamId('3f2a-b1'))).toBe('3f2a-b1');
  expect(userIdOfStream(userStreamId('u-1'))).toBe('u-1');
  expect(reservationIdOfStream(reservationStreamId('res-1'))).toBe('res-1');
  expect(ledgerOfStream(ledgerStreamId('r-1-x', '2026-12-01'))).toEqual({ restaurantId: 'r-1-x', date: '2026-12-01' });
});

test('every other stream is none of theirs', () => {
  const others = [emailStreamId('a@b.co'), ledgerStreamId('r1', '2026-12-01'), reservationStreamId('x'), restaurantStreamId('x'), userStreamId('x')];
  expect(others.map(restaurantIdOfStream).filter((x) => x !== undefined)).toEqual(['x']);
  expect(others.map(userIdOfStream).filter((x) => x !== undefined)).toEqual(['x']);
  expect(others.map(reservationIdOfStream).filter((x) => x !== undefined)).toEqual(['x']);
  expect(others.map(ledgerOfStream).filter((x) => x !== undefined)).toEqual([{ restaurantId: 'r1', date: '2026-12-01' }]);
  expect(ledgerOfStream('ledger-r1-someday')).toBeUndefined();
});
