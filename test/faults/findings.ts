/**
 * The fault suite's checks return findings: one line per violation, naming the stream, reservation,
 * document or queue and what exactly is wrong, so a failing run says where to look without a debugger. An
 * empty list means the property holds.
 */

/** A value as at most `n` characters of text, for a finding. */
export const short = (v: unknown, n = 160): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > n ? `${s.slice(0, n)}…` : s;
};
