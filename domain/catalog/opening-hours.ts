/**
 * "Is the restaurant open at this instant?" Opening hours are wall-clock times in the restaurant's zone,
 * so the instant is turned into the local weekday and time first; DST then needs no special case: on a
 * spring-forward night the skipped wall times simply never occur, and on a fall-back night the repeated
 * hour is open both times the clock shows it.
 *
 * An interval with `close <= open` runs past midnight: its tail counts for the next local day.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type OpeningHours, type OpeningInterval } from './events';
import { minutesOf } from './validation';

function bounds(i: OpeningInterval): { open: number; close: number } | undefined {
  const open = minutesOf(i.open);
  const close = minutesOf(i.close);
  return open === undefined || close === undefined || open === close ? undefined : { open, close };
}

export function isOpenAt(openingHours: Partial<OpeningHours>, timezone: string, instant: Date): boolean {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  if (!local.isValid) return false;
  // fractional minutes so that 22:59:30 is before a 23:00 close
  const t = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
  const today = WEEKDAYS[local.weekday - 1]!;
  const yesterday = WEEKDAYS[(local.weekday + 5) % 7]!;
  for (const i of openingHours[today] ?? []) {
    const b = bounds(i);
    if (!b) continue;
    if (b.close > b.open ? t >= b.open && t < b.close : t >= b.open) return true;
  }
  for (const i of openingHours[yesterday] ?? []) {
    const b = bounds(i);
    if (b && b.close < b.open && t < b.close) return true;
  }
  return false;
}

