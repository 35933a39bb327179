import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server';
import { WEB_CSP, webApp } from './web';

describe('the web app routes (api/web.ts)', () => {
  let dist: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    app = await buildServer({
      plugins: [
        webApp(dist),
        async (a) => {
          a.get('/restaurants', async () => ({ items: [] }));
        },
      ],
      docsUi: false,
    });
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('answers / with a 503 problem naming the build command until the app is built, then serves it', async () => {
    const before = await app.inject({ url: '/' });
    expect(before.statusCode).toBe(503);
    expect(before.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(before.json()).toMatchObject({ status: 503, title: 'Web app not built', detail: expect.stringContaining('npm run web:build') });

    fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/main-ABC123.js"></script>');
    fs.writeFileSync(path.join(dist, 'assets', 'main-ABC123.js'), 'console.log(1)');
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(WEB_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('main-ABC123.js');

    const js = await app.inject({ url: '/assets/main-ABC123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('keeps problem+json 404s for missing assets, paths out of the folder and unknown paths', async () => {
    for (const url of ['/assets/main-OLD.js', '/assets/..%2Findex.html', '/assets/.hidden.js', '/nope', '/index.html']) {
      const res = await app.inject({ url });
      expect([url, res.statusCode]).toEqual([url, 404]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    // the API's own routes are untouched
    expect((await app.inject({ url: '/restaurants' })).json()).toEqual({ items: [] });
  });

  it('is not in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(['/restaurants']);
  });
});
