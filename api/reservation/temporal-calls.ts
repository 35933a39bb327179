/**
 * Calls to Temporal behind an HTTP answer, each bounded so the answer comes in time: a call cut short by
 * its deadline is a 503 + Retry-After, never a hang, a 500 or a 404 for a run that exists.
 */
import type { Client } from '@temporalio/client';
import { HttpProblem, RETRY_AFTER_SECONDS } from '../problem';

/** Bound for the small Temporal reads behind an answer (describe, a closed run's result, an update lookup). */
export const LOOKUP_MS = 2000;

/** temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage: the server has the update. */
export const UPDATE_STAGE_ADMITTED = 1;

const DEADLINE = Symbol('deadline');

/** What a Temporal call cut short by its deadline becomes: 503 + Retry-After wherever it is thrown. */
const workflowEngineSlow = (ms: number) =>
  new HttpProblem(503, `The reservation service did not answer within ${ms} ms; please try again shortly.`, { retryAfterSeconds: RETRY_AFTER_SECONDS });

/**
 * Runs `fn`, answering after `ms` at the latest: its Temporal calls are aborted then, and the answer does
 * not wait for them to notice (a call waiting for a connection to a server that went away, or in the SDK's
 * retry back-off, can take many seconds to see the abort: seen 15-27 s). A call the deadline cut short
 * answers `{ error }` with the 503 problem; what `fn` does after that is ignored.
 */
export async function withinDeadline<T>(temporal: Client, ms: number, fn: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(DEADLINE);
    }, ms);
  });
  const call = temporal.withAbortSignal(ac.signal, fn);
  call.catch(() => undefined); // a late failure after the deadline is not anybody's to handle
  try {
    const value = await Promise.race([call, deadline]);
    if (value === DEADLINE) return { error: workflowEngineSlow(ms) };
    return { value: value as T };
  } catch (error) {
    return { error: ac.signal.aborted ? workflowEngineSlow(ms) : error };
  } finally {
    clearTimeout(timer);
  }
}
