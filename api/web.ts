/**
 * The web app (web/, built into web/dist by `npm run web:build`): `/` is its index.html and
 * `/assets/<file>` its hashed scripts and styles. The routes are hidden from the OpenAPI document and
 * claim nothing else: the app routes by the URL's hash, so any other path keeps its 404 problem+json.
 * A process started before the app was built answers `/` with a 503 problem saying how to build it
 * (the files are looked up on each request, so a build while the API runs is served at once).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HttpProblem, notFound } from './problem';
import type { RoutePlugin } from './server';
import { ROOT_DIR } from '../platform/config';

export const WEB_DIST = path.join(ROOT_DIR, 'web', 'dist');

/**
 * The page loads only its own script and styles and talks only to this origin; nothing may frame it
 * (the token it holds would be one click away).
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Asset names the build writes (name-hash.ext): no slashes or dots to climb out of the folder with. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map|svg|png|ico|woff2)$/;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

export function webApp(dist: string = WEB_DIST): RoutePlugin {
  const hidden = { schema: { hide: true } };
  return async (app: FastifyInstance) => {
    // sendFile only (ETag, Last-Modified, ranges, content types); the routes below decide what exists
    await app.register(fastifyStatic, { root: dist, serve: false });

    app.get('/', hidden, async (request, reply) => {
      if (!(await isFile(path.join(dist, 'index.html')))) {
        throw new HttpProblem(503, 'The web app is not built: run `npm run web:build` (npm start and npm test build it).', {
          title: 'Web app not built',
        });
      }
      // the HTML names the current hashed assets: always revalidate it
      return reply
        .header('content-security-policy', WEB_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .sendFile('index.html', dist, { cacheControl: false });
    });

    app.get<{ Params: { file: string } }>('/assets/:file', hidden, async (request, reply) => {
      const { file } = request.params;
      // checked here, not by sendFile: its not-found path would reach the 405 table, which knows GET /assets/:file
      if (!ASSET_NAME.test(file) || !(await isFile(path.join(dist, 'assets', file)))) throw notFound(`No asset ${file}.`);
      // names carry a content hash: a changed file is a new name
      return reply
        .header('x-content-type-options', 'nosniff')
        .sendFile(file, path.join(dist, 'assets'), { cacheControl: true, maxAge: '365d', immutable: true });
    });
  };
}
