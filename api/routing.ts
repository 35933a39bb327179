/**
 * Which API service the load balancer sends each request to, as data: on AWS every service runs its own
 * API process (API_SERVICES) behind one Application Load Balancer, whose listener rules the CDK app
 * (platform/cdk/) builds from API_ROUTES, one rule per entry, in this order of priority; a request no rule
 * matches goes to DEFAULT_API_SERVICE (so /restaurants…, /health and /docs… reach the catalog).
 *
 * Patterns are ALB path patterns: matched against the whole path (not the query string), case-sensitive,
 * `*` any run of characters including '/', `?` exactly one character; at most 5 per rule. Because `*`
 * spans '/', a catalog path can look like a reservation one (a menu section named "availability"): the
 * catalog's menu paths are claimed first. api/routing.unit.test.ts checks every route the app registers
 * against these rules, so a new route the balancer would send elsewhere fails there.
 */
import type { ServiceName } from '../eventstore/types';

export type { ServiceName } from '../eventstore/types';

export interface ApiRoute {
  service: ServiceName;
  /** ALB path patterns, at most 5 (the balancer's limit of condition values per rule). */
  patterns: readonly string[];
}

/** Where requests no rule matches go. */
export const DEFAULT_API_SERVICE: ServiceName = 'catalog';

/** The listener rules, highest priority first. */
export const API_ROUTES: readonly ApiRoute[] = [
  // before the reservation rules: `/restaurants/*/availability` would also match …/menu/sections/availability
  { service: 'catalog', patterns: ['/restaurants/*/menu/*'] },
  {
    service: 'reservation',
    patterns: ['/reservations', '/reservations/*', '/restaurants/*/availability', '/restaurants/*/reservations'],
  },
  // the waitlist (issue 14): a rule of its own, a rule takes at most 5 patterns
  { service: 'reservation', patterns: ['/waitlist', '/waitlist/*', '/restaurants/*/waitlist'] },
  { service: 'auth', patterns: ['/auth/*', '/.well-known/*'] },
];

/** An ALB path pattern as an anchored regular expression (`*` any characters, `?` one; the rest literal). */
export function patternRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

const compiled = API_ROUTES.map((r) => ({ service: r.service, patterns: r.patterns.map(patternRegExp) }));

/**
 * The service the load balancer sends `path` to: the first rule (in priority order) with a matching
 * pattern, else the default. A query string, if given, is ignored, as the balancer ignores it.
 */
export function routeTarget(path: string): ServiceName {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  return compiled.find((r) => r.patterns.some((re) => re.test(p)))?.service ?? DEFAULT_API_SERVICE;
}
