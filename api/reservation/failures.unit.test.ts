import type { Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { HttpProblem } from '../problem';
import { toProblem } from '../error-mapping';
import { FAILURE } from '../../workflows/messages';
import { workflowProblem } from './failures';
import { withinDeadline } from './temporal-calls';

const refusal = (type: string, details: Record<string, unknown> = {}) => ApplicationFailure.create({ type, message: `refused: ${type}`, details: [details], nonRetryable: true });

describe('workflow failures as problems', () => {
  test("a domain refusal, however deep in the client error's causes, is rendered by its code with its details", () => {
    const wrapped = new Error('update failed', {
      cause: new ActivityFailure('activity failed', 'placeReservation', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, refusal('PAST_CUTOFF', { cancellationCutoffMinutes: 120 })),
    });
    const problem = toProblem(workflowProblem(wrapped));
    expect([problem.status, problem.message, problem.extra]).toEqual([409, 'refused: PAST_CUTOFF', { code: 'PAST_CUTOFF', cancellationCutoffMinutes: 120 }]);
    expect(toProblem(workflowProblem(refusal('FORBIDDEN'))).status).toBe(403);
  });

  test("a reused Idempotency-Key is 409 with its code; a failure of no known type stays what it was", () => {
    const reused = workflowProblem(refusal(FAILURE.keyReused));
    expect(reused).toBeInstanceOf(HttpProblem);
    expect([(reused as HttpProblem).status, (reused as HttpProblem).extra.code]).toEqual([409, FAILURE.keyReused]);
    const unknown = refusal('SOMETHING_ELSE');
    expect(workflowProblem(unknown)).toBe(unknown);
    const plain = new Error('transport');
    expect(workflowProblem(plain)).toBe(plain);
  });
});

describe('withinDeadline', () => {
  /** A client whose calls see the abort signal, as the SDK's do. */
  const client = { withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn() } as unknown as Client;

  test('answers the value in time, a failure as it is, and a call that does not answer as 503 + Retry-After at the deadline', async () => {
    expect(await withinDeadline(client, 1000, async () => 42)).toEqual({ value: 42 });
    const err = new Error('refused');
    expect(await withinDeadline(client, 1000, () => Promise.reject(err))).toEqual({ error: err });
    const t0 = Date.now();
    const slow = await withinDeadline(client, 50, () => new Promise<never>(() => undefined));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect('error' in slow && slow.error instanceof HttpProblem && [slow.error.status, slow.error.retryAfterSeconds]).toEqual([503, 2]);
  });
});
