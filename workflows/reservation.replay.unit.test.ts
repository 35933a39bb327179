/**
 * Replays recorded histories of every path (workflows/histories/*.json, recorded by
 * `RECORD_HISTORIES=1 npx jest workflows/reservation.int.test.ts`) against the current workflow code.
 * A change that is not replay-safe (a reordered activity, a new timer on an old path) fails here, in CI,
 * before it can break reservations already in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** The paths the workflow test records (its `record('<path>', …)` calls), so a new one cannot go unrecorded. */
const recordedPaths = [...fs.readFileSync(path.join(__dirname, 'reservation.int.test.ts'), 'utf8').matchAll(/record\('([a-z0-9-]+)'/g)].map((m) => m[1]!);
/** The suffix the test records under now (`<path>.<suffix>.json`). */
const suffix = /const RECORDING = '([a-z0-9-]+)'/.exec(fs.readFileSync(path.join(__dirname, 'reservation.int.test.ts'), 'utf8'))?.[1];

test('every path the workflow test records has a history recorded by the current code', () => {
  expect(suffix).toBeDefined();
  expect(recordedPaths.length).toBeGreaterThanOrEqual(9); // the pattern still finds them
  const missing = recordedPaths.filter((p) => !files.includes(`${p}.${suffix}.json`));
  expect(missing).toEqual([]);
});

test('there is a recorded history for each path', () => {
  expect(files).toEqual([
    'auto-cancelled.json',
    'auto-cancelled.local-placement.json',
    'auto-no-table.json',
    'auto-no-table.local-placement.json',
    'auto-reminded-owner-cancelled-past-cutoff.local-placement.json',
    'auto-requested-twice.local-placement.json',
    'manual-accepted-completed.json',
    'manual-accepted-completed.local-placement.json',
    'manual-expired.json',
    'manual-expired.local-placement.json',
    'manual-rejected.json',
    'manual-rejected.local-placement.json',
    'manual-reminder-failed.json',
    'manual-reminder-failed.local-placement.json',
    'withdrawn.local-placement.json',
  ]);
});

test('every recorded history replays deterministically', async () => {
  const noop = () => undefined;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./index'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never,
  });
  const histories = files.map((f) => ({
    workflowId: path.basename(f, '.json'),
    history: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as object,
  }));
  const replayed: string[] = [];
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed.push(result.workflowId);
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
  // each one was replayed (an empty run would have no failures too)
  expect(replayed.sort()).toEqual(files.map((f) => path.basename(f, '.json')));
}, 60_000);
