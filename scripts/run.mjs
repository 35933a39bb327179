#!/usr/bin/env node
/**
 * `npm start` and `npm test` on a fresh clone: install npm deps if absent, bring the local stack up
 * (installing it the first time), then run the system or the tests. Whatever this script started, it
 * stops on exit or Ctrl-C; servers that were already running (or named by the environment) are left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, install, up } from './stack.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the pinned AWS SDK runs on Node 20; its notice about 2027 releases needing Node 22 is not actionable here
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = (msg) => process.stderr.write(`[${process.argv[2]}] ${msg}\n`);

function ensureDeps() {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (fs.existsSync(installed) && fs.statSync(installed).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing npm dependencies (npm ci)…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci failed');
}

const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

function step(label, cmd, args, env = process.env) {
  log(label);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  return r.status ?? 1;
}

/** The web app the API serves at / (web/dist): rebuilt on every start and test run (esbuild, well under a second). */
const buildWeb = () => step('building the web app (web/build.mjs)', process.execPath, [path.join(ROOT, 'web', 'build.mjs')]);

async function test(extra) {
  const started = await up();
  let code = 1;
  // jest's closing line (test/summary-reporter.js), printed again last, after the stack's own output
  const summary = path.join(ROOT, '.stack', 'run', 'test-summary.txt');
  fs.mkdirSync(path.dirname(summary), { recursive: true });
  fs.rmSync(summary, { force: true });
  try {
    code = buildWeb();
    if (code === 0) code = step('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit']);
    if (code === 0) code = step('typecheck the web app (tsc --noEmit -p web)', bin('tsc'), ['--noEmit', '-p', 'web']);
    if (code === 0) code = step('lint (eslint)', bin('eslint'), ['.']);
    if (code === 0) {
      code = step('unit and integration tests (jest)', bin('jest'), ['--ci', ...extra], { ...process.env, NODE_ENV: 'test', TEST_SUMMARY_FILE: summary });
    }
  } finally {
    await down(started);
  }
  if (fs.existsSync(summary)) process.stdout.write(`\n${fs.readFileSync(summary, 'utf8').trim()}\n`);
  return code;
}

/**
 * The fault suite (`npm run test:faults`): it starts and kills its own FerretDB and Temporal (and LocalStack or dynoxide when
 * none answers), so it only needs the stack installed, not running.
 */
async function faults(extra) {
  await install();
  return step('fault suite (jest, test/faults)', bin('jest'), ['-c', 'test/faults/jest.config.js', '--runInBand', '--forceExit', ...extra], {
    ...process.env,
    NODE_ENV: 'test',
  });
}

async function start() {
  const started = await up();
  const children = [];
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const c of children) c.kill('SIGTERM');
    // a child that has exited has emitted 'exit' already (one ended by a signal has exitCode null but signalCode
    // set), and one that never started (no pid) emits none: waiting for either would hang Ctrl-C
    const running = (c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null;
    await Promise.all(children.map((c) => (running(c) ? new Promise((r) => c.once('exit', r)) : null)));
    await down(started);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  if (buildWeb() !== 0) return stop(1);
  if (step('provisioning tables, topics and queues', bin('tsx'), ['scripts/provision.ts']) !== 0) return stop(1);
  for (const entry of ['workers/api.ts', 'workers/reservation-worker.ts', 'workers/pipeline.ts']) {
    const child = spawn(bin('tsx'), [entry], { cwd: ROOT, stdio: 'inherit', env: process.env });
    child.on('exit', (code) => {
      if (!stopping) {
        log(`${entry} exited (${code}); stopping everything`);
        void stop(1);
      }
    });
    children.push(child);
  }
  const port = process.env.PORT ?? '3000';
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      log('the API did not become healthy within 60 s');
      return stop(1);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  // demo data through the API (scripts/seed.ts; idempotent), unless SEED=off: it returns once the read models
  // show it, and its summary (the app's URL, the demo logins) is printed last. A failure leaves the system up.
  let demo = '';
  if (process.env.SEED === 'off') log('demo data skipped (SEED=off)');
  else {
    log('demo data (npm run seed; SEED=off skips it)…');
    const seeding = spawn(bin('tsx'), ['scripts/seed.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: port } });
    children.push(seeding); // so Ctrl-C meanwhile stops it too
    seeding.stdout.on('data', (chunk) => (demo += chunk));
    const code = await new Promise((r) => {
      seeding.once('exit', r);
      seeding.once('error', () => r(1));
    });
    if (stopping) return;
    if (code !== 0) {
      log('demo data could not be seeded (see above); the system runs without it, `npm run seed` tries again');
      demo = '';
    }
  }
  log(
    [
      'ready:',
      `  Web app         http://127.0.0.1:${port}/`,
      `  API             http://127.0.0.1:${port}`,
      `  OpenAPI docs    http://127.0.0.1:${port}/docs`,
      `  Health          http://127.0.0.1:${port}/health`,
      `  Temporal Web UI ${process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233'}`,
      'Ctrl-C stops everything this command started.',
    ].join('\n'),
  );
  if (demo) process.stdout.write(`\n${demo.trim()}\n`);
}

try {
  ensureDeps();
  const cmd = process.argv[2];
  if (cmd === 'test') process.exit(await test(process.argv.slice(3)));
  else if (cmd === 'faults') process.exit(await faults(process.argv.slice(3)));
  else if (cmd === 'start') await start();
  else throw new Error(`usage: run.mjs start|test|faults`);
} catch (err) {
  log(err.stackFailure ? err.message : err.stack ?? String(err));
  process.exit(1);
}
