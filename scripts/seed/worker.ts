/**
 * Waits until a reservation worker polls the system's task queue, so the seed's bookings are placed at
 * once: on a fresh clone `npm start` has the API healthy ~20 s before the worker has bundled its workflows,
 * and a booking made meanwhile answers 202 and waits. /health does not say whether a worker polls (the API
 * does not need one to answer), so this asks Temporal itself, as the API's config reaches it.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../platform/config';
import { connectTemporal } from '../../platform/temporal';
import { sleep } from './http';

// temporal.api.enums.v1: TASK_QUEUE_KIND_NORMAL, TASK_QUEUE_TYPE_WORKFLOW / _ACTIVITY
const KIND_NORMAL = 1;
const TYPES = [1, 2] as const;
/**
 * A poller the server still lists after its worker stopped (it keeps them for minutes) is older than this:
 * a live worker starts a long poll at least every ~70 s.
 */
const POLLER_FRESH_MS = 90_000;

/** Whether a worker polls both the workflow and the activity queue now. */
async function polled(client: Client, config: Pick<Config, 'temporal'>): Promise<boolean> {
  for (const taskQueueType of TYPES) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue, kind: KIND_NORMAL },
      taskQueueType,
    });
    const fresh = (res.pollers ?? []).some((p) => {
      const seconds = Number(p.lastAccessTime?.seconds?.toString() ?? '0');
      return Date.now() - seconds * 1000 < POLLER_FRESH_MS;
    });
    if (!fresh) return false;
  }
  return true;
}

/**
 * Resolves once a worker polls `config.temporal.taskQueue`; throws after `timeoutMs` saying so. Each call
 * to Temporal has the config's RPC deadline.
 */
export async function waitForWorker(config: Pick<Config, 'temporal'>, timeoutMs: number, log: (line: string) => void = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { address, namespace, taskQueue } = config.temporal;
  let client: Client | undefined;
  let last: unknown;
  let said = false;
  try {
    for (;;) {
      try {
        client ??= await connectTemporal(config, { rpcDeadlineMs: config.temporal.rpcDeadlineMs });
        if (await polled(client, config)) return;
        last = undefined;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        const why = last instanceof Error ? ` (last error: ${last.message})` : '';
        throw new Error(
          `no reservation worker polls task queue "${taskQueue}" (Temporal ${address}, namespace ${namespace}) after ${Math.round(timeoutMs / 1000)} s${why}: is workers/reservation-worker.ts running with the same TEMPORAL_* settings?`,
        );
      }
      if (!said) {
        log(`waiting for a reservation worker to poll task queue "${taskQueue}" (a first start bundles the workflows, ~20 s)…`);
        said = true;
      }
      await sleep(1000);
    }
  } finally {
    await client?.connection.close();
  }
}
