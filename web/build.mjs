#!/usr/bin/env node
/**
 * Builds the web app: web/src/main.tsx and web/src/styles.css → web/dist/assets/*-<hash>.{js,css} and
 * web/dist/index.html naming them (the API serves the folder, see api/web.ts). `--watch` rebuilds on every
 * change and the open page reloads itself (a dev build polls index.html for new asset names: same origin,
 * so the Content-Security-Policy needs no exception); the API needs no restart, it looks the files up on each request.
 */
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(WEB, 'dist');
const watch = process.argv.includes('--watch');

const page = (js, css) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reservations</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${css}">
<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>This app needs JavaScript.</noscript></div>
</body>
</html>
`;

/** Writes index.html for the assets of this build and removes the previous builds' assets. */
const indexPlugin = {
  name: 'index-html',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const outputs = Object.keys(result.metafile.outputs).map((o) => path.basename(o));
      const js = outputs.find((o) => o.endsWith('.js'));
      const css = outputs.find((o) => o.endsWith('.css'));
      fs.writeFileSync(path.join(DIST, 'index.html'), page(js, css));
      for (const f of fs.readdirSync(path.join(DIST, 'assets'))) if (!outputs.includes(f)) fs.rmSync(path.join(DIST, 'assets', f));
      if (watch) process.stderr.write(`[web] built ${js} ${css}\n`);
    });
  },
};

const options = {
  entryPoints: [path.join(WEB, 'src', 'main.tsx'), path.join(WEB, 'src', 'styles.css')],
  outdir: path.join(DIST, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  metafile: true,
  logLevel: 'warning',
  tsconfig: path.join(WEB, 'tsconfig.json'),
  define: { __DEV_RELOAD__: watch ? 'true' : 'false' },
  plugins: [indexPlugin],
};

fs.mkdirSync(path.join(DIST, 'assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  process.stderr.write('[web] watching web/src; open the app the API serves (npm start): it reloads after each rebuild\n');
} else {
  const started = Date.now();
  await esbuild.build(options);
  process.stderr.write(`[web] built web/dist in ${Date.now() - started} ms\n`);
}
