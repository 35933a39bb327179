/**
 * What an opening interval `{ open, close }` means: the one reading that the catalog's validation, the
 * "open at" search (domain/catalog/opening-hours.ts), the advisory warnings and the slot math
 * (domain/time/slots.ts) all use. Pure, no time zone: an interval is wall-clock minutes on its opening day's
 * own timeline, and turning those into instants is the slot math's job.
 *
 * - `open` and `close` are `HH:MM` from 00:00 to 23:59 (midnight is 00:00; `24:00` is not a time).
 * - close > open: the interval lies within its day, [open, close).
 * - close < open: it closes after midnight, at `close` on the next day (18:00–02:00 runs into the next day's
 *   first two hours). Close 00:00 is midnight itself: the interval ends with its day, no minute of the next
 *   day is open.
 * - close == open is not an interval: it could mean "never" or "round the clock", so the catalog refuses it
 *   (validateOpeningHours, 422 on the API), and no stored interval is one. `intervalSpan` gives it no span,
 *   like a malformed time; a reader that meets one anyway treats it as unreadable.
 */
import type { OpeningInterval } from '../catalog/events';

export const DAY_MINUTES = 24 * 60;

/** A wall-clock time `HH:MM` from 00:00 to 23:59 (also the pattern the API's schemas declare). */
export const HH_MM_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const HH_MM = new RegExp(HH_MM_PATTERN);

/** Minutes since midnight of a valid `HH:MM` (00:00–23:59), or undefined. */
export function minutesOf(hhmm: string): number | undefined {
  return HH_MM.test(hhmm) ? Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)) : undefined;
}

/**
 * An interval on its opening day's timeline: [open, close) in minutes from that day's local midnight, with
 * open < close ≤ open + DAY_MINUTES; close > DAY_MINUTES when the interval runs into the next day.
 */
export interface IntervalSpan {
  open: number;
  close: number;
}

/** The span of an interval, or undefined when it is not one (a malformed time, or open == close). */
export function intervalSpan(interval: OpeningInterval): IntervalSpan | undefined {
  const open = typeof interval?.open === 'string' ? minutesOf(interval.open) : undefined;
  const close = typeof interval?.close === 'string' ? minutesOf(interval.close) : undefined;
  if (open === undefined || close === undefined || open === close) return undefined;
  return { open, close: close < open ? close + DAY_MINUTES : close };
}

/** Whether the interval is still open after its day's midnight (close 00:00 is not: it ends at midnight). */
export function crossesMidnight(span: IntervalSpan): boolean {
  return span.close > DAY_MINUTES;
}

/** How long the interval is open, in wall-clock minutes. */
export function spanMinutes(span: IntervalSpan): number {
  return span.close - span.open;
}

/** Whether `minute`, counted from the opening day's midnight (the next day's 01:30 is 1530), is in the interval. */
export function spanCovers(span: IntervalSpan, minute: number): boolean {
  return minute >= span.open && minute < span.close;
}

/** Whether two intervals of the same opening day share a minute. */
export function spansOverlap(a: IntervalSpan, b: IntervalSpan): boolean {
  return a.open < b.close && b.open < a.close;
}
