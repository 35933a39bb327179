/**
 * Times as a restaurant's guests read them. The API writes a reservation's `start` and a slot's `start`
 * as the restaurant's wall-clock time with its offset (2026-12-03T19:00:00+01:00), so the local date and
 * time are read off the string itself: they are the restaurant's, wherever the browser is.
 */
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

/** `HH:MM` of a local ISO date-time, as written. */
export function localTime(iso: string): string {
  const m = LOCAL.exec(iso);
  return m ? `${m[4]}:${m[5]}` : iso;
}

/** `YYYY-MM-DD` of a local ISO date-time, as written. */
export function localDate(iso: string): string {
  const m = LOCAL.exec(iso);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : iso;
}

/** `Thu 3 Dec 2026` for a calendar date `YYYY-MM-DD`. */
export function formatDate(date: string): string {
  const [y, mo, d] = date.split('-').map(Number);
  if (y === undefined || mo === undefined || d === undefined || Number.isNaN(y + mo + d)) return date;
  const day = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  return `${WEEKDAYS[day]} ${d} ${MONTHS[mo - 1]} ${y}`;
}

/** `Thu 3 Dec 2026, 19:00`: a reservation's start in its restaurant's time. */
export function formatLocal(iso: string): string {
  return `${formatDate(localDate(iso))}, ${localTime(iso)}`;
}

/** Today's date (`YYYY-MM-DD`) in an IANA time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  try {
    // en-CA formats dates as YYYY-MM-DD
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

/** "expires in 4 min 05 s", "expires in 1 h 12 min", or "expired": what is left before a decision deadline. */
export function timeLeft(deadline: string, now: number): string {
  const ms = Date.parse(deadline) - now;
  if (Number.isNaN(ms)) return '';
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `expires in ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `expires in ${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `expires in ${h} h ${m % 60} min`;
  return `expires in ${Math.floor(h / 24)} days`;
}

/** A `datetime-local` input's value (the browser's own time) as an instant with its offset, for `openAt`. */
export function openAtParam(local: string): string | undefined {
  if (!local) return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
