/**
 * Replays the waitlist workflow's recorded histories (workflows/histories/waitlist/*.json, recorded by
 * `RECORD_HISTORIES=1 npx jest workflows/waitlist.int.test.ts`) against the current workflow code, so a
 * change that is not replay-safe fails in CI before it breaks a waitlist running through an evening.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';

const dir = path.join(__dirname, 'histories', 'waitlist');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const recordedPaths = [...fs.readFileSync(path.join(__dirname, 'waitlist.int.test.ts'), 'utf8').matchAll(/record\('([a-z0-9-]+)'/g)].map((m) => m[1]!);

test('every path the waitlist workflow test records has a recorded history', () => {
  expect(recordedPaths.sort()).toEqual(['cancel-offer-accept', 'freed-again-while-offered', 'offer-lapsed', 'withdraw-while-offered']);
  expect(files).toEqual(recordedPaths.map((p) => `${p}.json`));
});

test('every recorded waitlist history replays deterministically', async () => {
  const noop = () => undefined;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./index'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never,
  });
  const histories = files.map((f) => ({ workflowId: path.basename(f, '.json'), history: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as object }));
  const replayed: string[] = [];
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed.push(result.workflowId);
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  expect(failures).toEqual([]);
  expect(replayed.sort()).toEqual(files.map((f) => path.basename(f, '.json')));
}, 60_000);
