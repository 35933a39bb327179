/**
 * The API client: same origin, JSON in and out, a deadline on every call, the token from sessionStorage
 * (a tab's sign-in ends with the tab), and errors as the API's problem details (./problem.ts).
 */
import { ApiError, networkProblem, toProblem } from './problem';

const TOKEN_KEY = 'rr.token';
/** Fired on window when the API refused the token (expired): the app then shows "Sign in" again. */
export const SIGNED_OUT_EVENT = 'rr-signed-out';
const CONSISTENCY_KEY = 'rr.consistency';
/** Longer than the API's own handler deadline (12 s), so its 503 answers first. */
const DEADLINE_MS = 15_000;

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.removeItem(CONSISTENCY_KEY);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(CONSISTENCY_KEY);
  },
};

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the Consistency-Token of this tab's last reservation write (lists then show it). */
  consistent?: boolean;
  signal?: AbortSignal;
}

export async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const ct = sessionStorage.getItem(CONSISTENCY_KEY);
  if (opts.consistent && ct) headers['consistency-token'] = ct;
  // a controller and a timer rather than AbortSignal.timeout/any, which older Safari lacks
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DOMException('The request took too long', 'TimeoutError')), DEADLINE_MS);
  const onAbort = () => ctl.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Response;
  let text: string;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? null : JSON.stringify(opts.body), signal: ctl.signal });
    text = await res.text();
  } catch (err) {
    throw new ApiError(networkProblem(ctl.signal.aborted && ctl.signal.reason instanceof DOMException ? ctl.signal.reason : err));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const written = res.headers.get('consistency-token');
  if (written) sessionStorage.setItem(CONSISTENCY_KEY, written);
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!res.ok) {
    // a token the API no longer accepts: forget it, so the app shows "Sign in" again
    if (res.status === 401 && token) {
      session.clear();
      dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    throw new ApiError(toProblem(res.status, body, res.statusText));
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export const get = async <T>(path: string, opts?: CallOptions): Promise<T> => (await call<T>('GET', path, opts)).body;

/** A query string of the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A random key for Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function randomKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// The API's shapes, as far as the app reads them (api/catalog/shapes.ts, api/reservation/schemas.ts)
export interface Me {
  userId: string;
  email: string;
  name: string;
  ownedRestaurantIds: string[];
}
// the catalog's own shapes, as the domain declares them (type-only: nothing of domain/ is bundled)
import type { Dish, ReservationPolicy as Policy, RestaurantDetails } from '../../domain/catalog/events';
export type { Dish, Policy };
export interface Warning {
  code: string;
  field: string;
  detail: string;
}
export interface Restaurant extends RestaurantDetails {
  restaurantId: string;
  ownerId?: string;
  openingHours: Record<string, Array<{ open: string; close: string }>>;
  tables?: Array<{ id: string; seats: number }>;
  policy?: Policy;
  menu?: Array<{ name: string; dishes: Dish[] }>;
  version: number;
  distanceKm?: number;
  warnings?: Warning[];
}
export interface Reservation {
  reservationId: string;
  restaurantId: string;
  customerId: string;
  partySize: number;
  start: string;
  end?: string;
  status: string;
  tableId?: string;
  restaurantName?: string;
  decideBy?: string;
  name?: string;
  phone?: string;
  notes?: string;
  problem?: { code: string; detail: string };
}
export interface Availability {
  timezone: string;
  slots: Array<{ start: string }>;
  reason?: { code: string; detail: string };
}
