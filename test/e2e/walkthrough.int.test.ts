/**
 * The README's walkthrough, run as it is written: its ```sh block under "## Walkthrough" is executed by
 * bash against two API processes, its `$API` uses alternating between them, with no sleeps and no
 * retries. Every line ending in `# → <text>` must print exactly <text>. The only changes made to the
 * block: the emails get a unique suffix (so the test can run again) and `$API` is the two APIs in turn.
 * A second test shows the lists' read-your-writes holds with the read models frozen (pipeline stopped).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT_DIR } from '../../platform/config';
import { createRestaurant, json, localDate, signUp, startSystem, type System } from '../system';

let sys: System;

beforeAll(async () => {
  sys = await startSystem({ apis: 2, workers: 1 });
}, 180_000);

afterAll(async () => {
  await sys?.stop();
}, 60_000);

/** The fenced sh block of the README's "## Walkthrough" section. */
async function walkthroughBlock(): Promise<string> {
  const readme = await readFile(path.join(ROOT_DIR, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Walkthrough\n'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Walkthrough"');
  return block;
}

const EXPECT = /^(.*?)\s+# → (.+)$/;

/** The block as a script: expectations checked line by line, `$API` alternating, emails unique. */
function asScript(block: string, suffix: string): { script: string; steps: number; apiCalls: number } {
  let apiCalls = 0;
  let steps = 0;
  const lines = block.split('\n').map((line, i) => {
    if (/^API=/.test(line)) return '# (API: set by the test)';
    const l = line.replace(/@example\.com/g, `-${suffix}@example.com`).replace(/\$API\b/g, () => `\${APIS[${apiCalls++ % 2}]}`);
    const m = EXPECT.exec(l);
    if (!m) return l;
    steps++;
    const [, cmd, want] = m;
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    return `__got=$(${cmd}); if [ "$__got" != ${q(want!.trim())} ]; then echo "README line ${i + 1}: printed '$__got', the README says ${q(want!.trim())}" >&2; exit 1; fi; echo "ok ${i + 1}"`;
  });
  return { script: ['set -euo pipefail', ...lines].join('\n'), steps, apiCalls };
}

test("the README's walkthrough works the first time through two APIs, alternating, with no sleeps or retries", async () => {
  const block = await walkthroughBlock();
  const { script, steps, apiCalls } = asScript(block, randomBytes(4).toString('hex'));
  expect(steps).toBeGreaterThanOrEqual(8);
  const cwd = await mkdtemp(path.join(tmpdir(), 'walkthrough-'));
  const t0 = Date.now();
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        ['-c', `APIS=(${sys.apis.map((a) => `'${a.url}'`).join(' ')})\n${script}`],
        { cwd, timeout: 60_000, env: { ...process.env, TZ: 'UTC' } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}\n${stdout}`)) : resolve(stdout)),
      );
    });
    expect(out.trim().split('\n').filter((l) => l.startsWith('ok '))).toHaveLength(steps);
    console.log(`walkthrough: ${steps} checked lines, ${apiCalls} API uses over 2 processes, ${Date.now() - t0} ms`);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}, 90_000);

test('with the pipeline stopped (read models frozen), a list read with the write\'s Consistency-Token shows the write; without it the list is still behind', async () => {
  const api = (i: number) => sys.apis[i % 2]!.url;
  const owner = await signUp(api(0), 'frozen-owner');
  const diner = await signUp(api(1), 'frozen-diner');
  const restaurantId = await createRestaurant(api(0), owner.token, { policy: { acceptance: 'manual' } });
  sys.pipeline.process.kill('SIGSTOP');
  try {
    const start = `${localDate('Europe/Rome', 2)}T12:00`;
    const booked = await json<{ reservationId: string; status: string }>(`${api(1)}/reservations`, { body: { restaurantId, partySize: 2, start }, token: diner.token });
    expect([booked.status, booked.body.status]).toEqual([201, 'pending']);
    const id = booked.body.reservationId;
    const token = booked.headers.get('consistency-token')!;
    expect(token).toBeTruthy();
    const ids = (r: { body: { items: Array<{ reservationId: string; status: string }> } }) => r.body.items.map((i) => `${i.reservationId}:${i.status}`);
    const list = (i: number, who: string, extra: Record<string, string> = {}, qs = '') =>
      json<{ items: Array<{ reservationId: string; status: string }> }>(`${api(i)}${who}${qs}`, { token: who === '/reservations' ? diner.token : owner.token, headers: extra });
    expect(ids(await list(0, '/reservations'))).toEqual([]);
    expect(ids(await list(0, '/reservations', { 'consistency-token': token }))).toEqual([`${id}:pending`]);
    // a filter applies to what the token brings in too
    expect(ids(await list(1, '/reservations', { 'consistency-token': token }, '?status=accepted'))).toEqual([]);
    expect(ids(await list(1, '/reservations', { 'consistency-token': token }, `?from=${start.slice(0, 10)}&to=${start.slice(0, 10)}`))).toEqual([`${id}:pending`]);

    const accepted = await json(`${api(0)}/reservations/${id}/accept`, { method: 'POST', token: owner.token });
    expect(accepted.status).toBe(200);
    const ownerToken = accepted.headers.get('consistency-token')!;
    const mine = `/restaurants/${restaurantId}/reservations`;
    expect(ids(await list(1, mine, { 'consistency-token': ownerToken }, `?date=${start.slice(0, 10)}`))).toEqual([`${id}:accepted`]);
    const item = (await list(0, mine, { 'consistency-token': ownerToken })).body.items[0] as unknown as Record<string, unknown>;
    // what an owner needs to decide: who (the diner's account name when no other was given), how many, by when
    expect(item).toMatchObject({ name: 'frozen-diner', partySize: 2, status: 'accepted', restaurantName: expect.any(String), decideBy: expect.any(String) });
    // the diner's token names the reservation: the diner's list shows the owner's decision too
    expect(ids(await list(1, '/reservations', { 'consistency-token': token }))).toEqual([`${id}:accepted`]);
    // a token this API did not issue is a 400, not silently ignored
    const bad = await list(0, '/reservations', { 'consistency-token': 'not-a-token' });
    expect([bad.status, (bad.body as unknown as { code: string }).code]).toEqual([422, 'INVALID_CONSISTENCY_TOKEN']);
    expect((await json(`${api(1)}/reservations/${id}/cancel`, { method: 'POST', token: diner.token })).status).toBe(200);
  } finally {
    sys.pipeline.process.kill('SIGCONT');
  }
}, 60_000);
