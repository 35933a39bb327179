/** Hash routes (`/#/...`): the API serves one page and keeps its 404 problem+json for every other path. */
export type Route =
  | { page: 'search'; q: string; cuisine: string }
  | { page: 'restaurant'; id: string }
  | { page: 'reservations' }
  | { page: 'owner' }
  | { page: 'dashboard'; id: string }
  | { page: 'edit'; id: string; what: 'hours' | 'tables' | 'policy' }
  | { page: 'signin'; next: string }
  | { page: 'signup'; next: string }
  | { page: 'signout' }
  | { page: 'notfound'; path: string };

const EDITS = ['hours', 'tables', 'policy'] as const;

function segment(s: string): string | undefined {
  try {
    return s ? decodeURIComponent(s) : undefined;
  } catch {
    return undefined;
  }
}

/** The route a location hash names (`#/restaurants/r1`, `#/signin?next=...`). */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?', 2);
  const params = new URLSearchParams(query);
  const parts = pathPart.split('/').filter(Boolean);
  const [head, id, sub, ...rest] = parts.map((p) => segment(p));
  if (parts.some((p) => segment(p) === undefined)) return { page: 'notfound', path: pathPart };
  // `#/` and `#/restaurants` are both the search page
  if (parts.length === 0 || (head === 'restaurants' && !id)) return { page: 'search', q: params.get('q') ?? '', cuisine: params.get('cuisine') ?? '' };
  if (head === 'restaurants' && id && !sub) return { page: 'restaurant', id };
  if (head === 'reservations' && !id) return { page: 'reservations' };
  if (head === 'owner' && !id) return { page: 'owner' };
  if (head === 'owner' && id && !sub) return { page: 'dashboard', id };
  if (head === 'owner' && id && sub && rest.length === 0 && (EDITS as readonly string[]).includes(sub)) {
    return { page: 'edit', id, what: sub as (typeof EDITS)[number] };
  }
  if ((head === 'signin' || head === 'signup') && !id) return { page: head, next: safeNext(params.get('next')) };
  if (head === 'signout' && !id) return { page: 'signout' };
  return { page: 'notfound', path: pathPart };
}

/** Where to go after signing in: only a hash route of this app (never another origin). */
export function safeNext(next: string | null): string {
  return next && /^#\/[^/\\]/.test(next) && !next.startsWith('#//') ? next : '#/';
}

/** The hash of a route, for links. */
export const href = {
  search: () => '#/restaurants',
  restaurant: (id: string) => `#/restaurants/${encodeURIComponent(id)}`,
  reservations: () => '#/reservations',
  owner: () => '#/owner',
  dashboard: (id: string) => `#/owner/${encodeURIComponent(id)}`,
  edit: (id: string, what: 'hours' | 'tables' | 'policy') => `#/owner/${encodeURIComponent(id)}/${what}`,
  signin: (next?: string) => (next ? `#/signin?next=${encodeURIComponent(next)}` : '#/signin'),
  signup: (next?: string) => (next ? `#/signup?next=${encodeURIComponent(next)}` : '#/signup'),
  signout: () => '#/signout',
};
