/**
 * Opening hours as an owner types them: per weekday `12:00-15:00, 19:00-23:00` (empty = closed). The
 * API checks the rules (overlaps, after-midnight tails); this only turns text into its shape and back.
 */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export interface Interval {
  open: string;
  close: string;
}
export type OpeningHours = Record<Weekday, Interval[]>;

export const dayLabel = (d: Weekday): string => d[0]!.toUpperCase() + d.slice(1);

export function formatIntervals(intervals: readonly Interval[] | undefined): string {
  return (intervals ?? []).map((i) => `${i.open}-${i.close}`).join(', ');
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const pad = (t: string): string => (t.length === 4 ? `0${t}` : t);

/** Intervals from text, or an error sentence naming what could not be read. */
export function parseIntervals(text: string): { intervals: Interval[] } | { error: string } {
  const intervals: Interval[] = [];
  for (const part of text.split(/[,;]/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\S+)\s*[-–]\s*(\S+)$/.exec(part);
    if (!m || !HHMM.test(m[1]!) || !HHMM.test(m[2]!)) return { error: `"${part}" is not an interval like 12:00-15:00.` };
    intervals.push({ open: pad(m[1]!), close: pad(m[2]!) });
  }
  return { intervals };
}
