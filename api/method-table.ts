/**
 * An unknown route's answer: 405 with `Allow` when the path exists with other methods, else 404, both
 * problem+json. The table learns each route's pattern and methods as it is registered.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, sendProblem } from './problem';

/** Route patterns and their methods, to tell "no such path" (404) from "not this method" (405 + Allow). */
export class MethodTable {
  private readonly paths = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(url: string, methods: string[]): void {
    let entry = this.paths.get(url);
    if (!entry) {
      const source = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { pattern: new RegExp(`^${source}/?$`), methods: new Set() };
      this.paths.set(url, entry);
    }
    for (const m of methods) entry.methods.add(m.toUpperCase());
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  }

  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: ms } of this.paths.values()) if (pattern.test(path)) for (const m of ms) methods.add(m);
    return [...methods].sort();
  }
}

/** The not-found handler over `methods`: 405 with Allow when the path exists with other methods, else 404. */
export function noRouteHandler(methods: MethodTable) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allow = methods.allowed(path);
    if (allow.length > 0) {
      void reply.header('allow', allow.join(', '));
      return sendProblem(reply, request, new HttpProblem(405, `${request.method} is not supported on ${path}; use ${allow.join(', ')}.`));
    }
    return sendProblem(reply, request, new HttpProblem(404, `No route ${request.method} ${path}`));
  };
}
