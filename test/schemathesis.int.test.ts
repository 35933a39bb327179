/**
 * schemathesis against the running system (real API, worker and pipeline processes on their own prefix):
 * every check (`--checks all`), the coverage phase (boundary values, each documented and undocumented
 * method, missing and malformed parameters) and the fuzzing phase, as a signed-in user. The API and its
 * OpenAPI document must agree: 0 failures, 0 errors. Settings that are not defaults are in
 * schemathesis.toml, each with the reason.
 *
 * Time is bounded by examples per operation (SCHEMATHESIS_MAX_EXAMPLES, default 5), one worker:
 * about three minutes on 2 cores. SCHEMATHESIS_SEED picks another seed (the default is fixed, so a run
 * can be reproduced).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../platform/config';
import { signUp, startSystem, type System } from './system';
import { SCHEMATHESIS_ENV } from './schemathesis-env';

const BIN = path.join(ROOT_DIR, '.stack', 'schemathesis', 'bin', 'schemathesis');
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '5';
const SEED = process.env.SCHEMATHESIS_SEED ?? '20261201';
const RUN_TIMEOUT_MS = 9 * 60_000;

let sys: System;
let token: string;

beforeAll(async () => {
  if (!existsSync(BIN)) {
    // `npm test` installs it with the stack; a direct jest run may come first
    const r = spawnSync(process.execPath, ['-e', "import('./scripts/stack.mjs').then((m) => m.installSchemathesis())"], { cwd: ROOT_DIR, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('installing schemathesis failed (see above)');
  }
  sys = await startSystem({ apis: 1, workers: 1, env: SCHEMATHESIS_ENV });
  token = (await signUp(sys.apis[0]!.url, 'fuzz')).token;
}, 180_000);

afterAll(async () => {
  await sys?.stop();
}, 60_000);

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: ROOT_DIR, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test(
  'schemathesis: all checks, coverage and fuzzing phases, as a signed-in user: 0 failures, 0 errors',
  async () => {
    const reportDir = mkdtempSync(path.join(tmpdir(), 'schemathesis-'));
    const started = Date.now();
    const { code, output } = await run([
      '--config-file', path.join(ROOT_DIR, 'schemathesis.toml'),
      'run', `${sys.apis[0]!.url}/docs/json`,
      '--checks', 'all',
      '--phases', 'coverage,fuzzing',
      '--max-examples', MAX_EXAMPLES,
      // one worker: with two threads, hypothesis (ast.parse in its lambda descriptions) crashes CPython 3.11 with
      // "SystemError: AST constructor recursion depth mismatch", reported as schemathesis runtime errors
      '--workers', '1',
      '--seed', SEED,
      '--request-timeout', '20',
      '--header', `Authorization: Bearer ${token}`,
      '--report', 'junit',
      '--report-dir', reportDir,
      '--no-color',
    ]);
    // schemathesis closes like pytest ("==== 1 warning in 45s ===="); CI reads such a line as the run's own closing line
    // (a pytest run of no test), so its "====" lines are left out of what is printed here
    const quiet = (text: string): string => text.split('\n').filter((l) => !/^\s*=+.*=+\s*$/.test(l)).join('\n');
    const summary = quiet(output.slice(output.lastIndexOf('SUMMARY')));
    console.log(`schemathesis (seed ${SEED}, ${MAX_EXAMPLES} examples per operation) finished in ${Math.round((Date.now() - started) / 1000)} s, exit ${code}; report in ${reportDir}\n${summary}`);
    if (code !== 0) console.log(quiet(output.slice(-30_000)));
    expect(code).toBe(0);
    // the last line reads "N passed in …" when nothing failed and nothing errored
    expect(output).not.toMatch(/\d+ (failures?|errors?)\b/);
  },
  RUN_TIMEOUT_MS + 60_000,
);
