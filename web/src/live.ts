/**
 * Live reservation changes from `GET /reservations/live` (Server-Sent Events): read with fetch so the
 * token travels in the Authorization header, parsed by ./sse.ts. A dropped stream reconnects with
 * backoff (and the page re-reads its list on each `ready`, so nothing missed while away is lost); an
 * API without the endpoint (404) is polled every 2 s instead; a refused token (401) signs the tab out,
 * as ./api.ts does for other calls, and ends the following.
 */
import { session, SIGNED_OUT_EVENT, type Reservation } from './api';
import { SseParser } from './sse';

export type LiveState = 'connecting' | 'live' | 'polling' | 'offline' | 'signed-out';

export interface LiveOptions {
  restaurantId?: string;
  /** A reservation as GET /reservations/:id returns it, each time it changes. */
  onReservation: (r: Reservation) => void;
  /** Re-read the whole list: after each (re)connect, and every 2 s when polling. */
  refresh: () => Promise<void> | void;
  onState?: (s: LiveState) => void;
}

export const POLL_MS = 2000;
/** The server pings every 15 s: three missed pings mean the connection is gone even if the socket is not. */
export const SILENCE_MS = 45_000;

/** Milliseconds before reconnect attempt `attempt` (0-based): doubling from 1 s to 30 s, with up to 20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (1 - 0.2 * random()));
}

/** Starts following changes; the function returned stops it. */
export function followReservations(opts: LiveOptions): () => void {
  let stopped = false;
  let attempt = 0;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const state = (s: LiveState) => {
    if (!stopped) opts.onState?.(s);
  };
  const refresh = async () => {
    try {
      await opts.refresh();
    } catch {
      /* the page shows its own errors */
    }
  };

  const poll = () => {
    state('polling');
    const tick = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    timer = setTimeout(() => void tick(), POLL_MS);
  };

  const retry = () => {
    if (stopped) return;
    state('offline');
    timer = setTimeout(() => void connect(), backoffMs(attempt++));
  };

  const connect = async () => {
    if (stopped) return;
    state('connecting');
    const ctl = new AbortController();
    controller = ctl;
    let silence: ReturnType<typeof setTimeout> | undefined;
    const quiet = () => {
      clearTimeout(silence);
      silence = setTimeout(() => ctl.abort(), SILENCE_MS);
    };
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = session.token();
      if (token) headers.authorization = `Bearer ${token}`;
      const url = opts.restaurantId ? `/reservations/live?restaurantId=${encodeURIComponent(opts.restaurantId)}` : '/reservations/live';
      // only the connection has a deadline; the stream is open-ended and watched by `quiet`
      const connectDeadline = setTimeout(() => ctl.abort(), 15_000);
      const res = await fetch(url, { headers, signal: ctl.signal, cache: 'no-store' });
      clearTimeout(connectDeadline);
      if (res.status === 404 || res.status === 405) return poll();
      if (res.status === 401) {
        await res.body?.cancel().catch(() => undefined);
        // the token expired (or was never good): retrying cannot mend it, so sign out like every other call
        if (token) {
          session.clear();
          dispatchEvent(new Event(SIGNED_OUT_EVENT));
        }
        state('signed-out');
        stopped = true;
        return;
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => undefined);
        // a 403 or 5xx: back off and try again, the page shows the list anyway
        return retry();
      }
      quiet();
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped) break;
        quiet();
        for (const ev of parser.push(value)) {
          if (ev.event === 'ready') {
            attempt = 0;
            state('live');
            await refresh();
          } else if (ev.event === 'reservation') {
            try {
              opts.onReservation(JSON.parse(ev.data) as Reservation);
            } catch {
              /* a frame that is not JSON: skip it */
            }
          }
        }
      }
    } catch {
      /* aborted, or the network dropped: reconnect below */
    } finally {
      clearTimeout(silence);
    }
    retry();
  };

  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}
