/**
 * The ids in the reservation and auth services' stream ids, read back: each parser undoes its builder in
 * domain/ (the catalog's, `restaurantIdOfStream`, sits beside its builder in domain/catalog/events.ts) and
 * checks the round trip, so a builder that changes cannot be misread here.
 */
import { userStreamId } from '../domain/auth/user';
import { ledgerStreamId } from '../domain/reservation/ledger';
import { reservationStreamId } from '../domain/reservation/reservation';

/** The id after a builder's fixed prefix (the builder applied to ''), undefined for any other stream. */
function idAfterPrefix(build: (id: string) => string, streamId: string): string | undefined {
  const prefix = build('');
  if (!streamId.startsWith(prefix)) return undefined;
  const id = streamId.slice(prefix.length);
  return build(id) === streamId ? id : undefined;
}

/** The user id of a `userStreamId`, undefined for any other stream (e.g. `email-…`). */
export const userIdOfStream = (streamId: string): string | undefined => idAfterPrefix(userStreamId, streamId);

/** The reservation id of a `reservationStreamId`, undefined for any other stream. */
export const reservationIdOfStream = (streamId: string): string | undefined => idAfterPrefix(reservationStreamId, streamId);

/** The restaurant and local date (YYYY-MM-DD) of a `ledgerStreamId`, undefined for any other stream. */
export function ledgerOfStream(streamId: string): { restaurantId: string; date: string } | undefined {
  const m = /^ledger-(.+)-(\d{4}-\d{2}-\d{2})$/.exec(streamId);
  if (!m) return undefined;
  const [, restaurantId, date] = m as unknown as [string, string, string];
  return ledgerStreamId(restaurantId, date) === streamId ? { restaurantId, date } : undefined;
}
