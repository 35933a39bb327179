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
    'auto-cancelled.waitlist-feed.json',
    'auto-no-show.waitlist-feed.json',
    'auto-no-table.json',
    'auto-no-table.local-placement.json',
    'auto-no-table.waitlist-feed.json',
    'auto-reminded-owner-cancelled-past-cutoff.local-placement.json',
    'auto-reminded-owner-cancelled-past-cutoff.waitlist-feed.json',
    'auto-requested-twice.local-placement.json',
    'auto-requested-twice.waitlist-feed.json',
    'auto-seated-completed-early.waitlist-feed.json',
    'auto-seated-completed.waitlist-feed.json',
    'manual-accepted-completed.json',
    'manual-accepted-completed.local-placement.json',
    'manual-accepted-completed.waitlist-feed.json',
    'manual-accepted-owner-cancelled.local-placement.json',
    'manual-accepted-owner-cancelled.waitlist-feed.json',
    'manual-expired.json',
    'manual-expired.local-placement.json',
    'manual-expired.waitlist-feed.json',
    'manual-rejected.json',
    'manual-rejected.local-placement.json',
    'manual-rejected.waitlist-feed.json',
    'manual-reminder-failed.json',
    'manual-reminder-failed.local-placement.json',
    'manual-reminder-failed.waitlist-feed.json',
    'withdrawn.local-placement.json',
    'withdrawn.waitlist-feed.json',
  ]);
});

let bundle: Promise<Awaited<ReturnType<typeof bundleWorkflowCode>>> | undefined;
const workflowBundle = () => {
  const noop = () => undefined;
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('./index'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop } as never,
  });
  return bundle;
};

/** Replays each history; answers the failures and the ids replayed. */
async function replay(histories: Array<{ workflowId: string; history: object }>) {
  const replayed: string[] = [];
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    replayed.push(result.workflowId);
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  return { replayed, failures };
}

const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { events: Array<{ eventId: string; userMetadata?: unknown }> };

test('every recorded history replays deterministically', async () => {
  const histories = files.map((f) => ({ workflowId: path.basename(f, '.json'), history: read(f) }));
  const { replayed, failures } = await replay(histories);
  expect(failures).toEqual([]);
  // each one was replayed (an empty run would have no failures too)
  expect(replayed.sort()).toEqual(files.map((f) => path.basename(f, '.json')));
}, 60_000);

/**
 * The workflow's activity and timer summaries (user metadata for the Web UI) are on its commands but are
 * not compared on replay, so changing their text, adding them (the histories recorded before them have
 * none and replay above) or dropping them needs no patch. Checked on a history that has them.
 */
test('activity and timer summaries are not part of the determinism check', async () => {
  const withSummaries = 'manual-accepted-owner-cancelled.local-placement.json';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const other = { summary: { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify('another text')) } };
  const commandEvents = (h: ReturnType<typeof read>) => h.events.filter((e) => e.eventId !== '1' && e.userMetadata);
  const changed = read(withSummaries);
  const dropped = read(withSummaries);
  expect(commandEvents(changed).length).toBeGreaterThanOrEqual(5); // the file still has them: placement, 2 activities, timers
  for (const e of commandEvents(changed)) e.userMetadata = other;
  for (const e of commandEvents(dropped)) delete e.userMetadata;
  const { replayed, failures } = await replay([
    { workflowId: 'summaries-changed', history: changed },
    { workflowId: 'summaries-dropped', history: dropped },
  ]);
  expect(failures).toEqual([]);
  expect(replayed.sort()).toEqual(['summaries-changed', 'summaries-dropped']);
  // the control: the same history with another activity in a command's place does fail
  const broken = read(withSummaries) as unknown as { events: Array<{ activityTaskScheduledEventAttributes?: { activityType: { name: string } } }> };
  broken.events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!.activityType.name = 'releaseTable';
  expect((await replay([{ workflowId: 'activity-changed', history: broken }])).failures).toHaveLength(1);
}, 60_000);
