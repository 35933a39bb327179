/**
 * Read-your-writes for lists. A write answers with a `Consistency-Token` header naming the reservations
 * the caller has just written (this one, plus those of the token it sent, at most MAX_IDS, newest first).
 * A list read that sends the token back is answered from the read model with those reservations read from
 * their own streams (the record) put over it: the caller's own writes show at once, through any API
 * process, without waiting for the projection. Everyone else's writes stay eventual (about a second).
 *
 * The token is opaque to clients (base64url of a small JSON document, versioned); a token this API cannot
 * read is a 422, never silently ignored.
 */
import { HttpProblem } from '../problem';

export const CONSISTENCY_HEADER = 'consistency-token';
/** How many recent writes a token remembers (each costs one stream read on a list). */
export const MAX_IDS = 10;
const MAX_TOKEN_CHARS = 2048;
const ID = /^[A-Za-z0-9_-]{1,100}$/;

interface TokenV1 {
  v: 1;
  r: string[];
}

/** The reservation ids a token names; [] without one; 400 for one this API did not issue. */
export function readToken(header: string | string[] | undefined): string[] {
  if (header === undefined || header === '') return [];
  const raw = Array.isArray(header) ? header[0]! : header;
  const bad = () => new HttpProblem(422, 'The Consistency-Token header is not one this API issued: send back the value of a write response\'s Consistency-Token header, unchanged.', { code: 'INVALID_CONSISTENCY_TOKEN' });
  if (raw.length > MAX_TOKEN_CHARS) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const t = parsed as Partial<TokenV1> | null;
  if (!t || t.v !== 1 || !Array.isArray(t.r) || t.r.length > MAX_IDS || !t.r.every((id) => typeof id === 'string' && ID.test(id))) throw bad();
  return t.r;
}

/** The token a write answers with: `written` first, then what the caller's own token named. */
export function nextToken(written: string, sent: string | string[] | undefined): string {
  let earlier: string[] = [];
  try {
    earlier = readToken(sent);
  } catch {
    // a write is not refused over a bad token: it just starts a new one
  }
  const r = [written, ...earlier.filter((id) => id !== written)].slice(0, MAX_IDS);
  return Buffer.from(JSON.stringify({ v: 1, r } satisfies TokenV1)).toString('base64url');
}
