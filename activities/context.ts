/**
 * What an activity learns from Temporal's activity context (its attempt, its deadline) and how a domain
 * refusal is handed back to the workflow. Outside an activity (scripts) there is no context: a first
 * attempt with no deadline.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DomainError } from '../domain/errors';

/**
 * Which try of its step this is, 1 for the first. A remote run of placement comes only after local runs
 * failed (or, before the local-placement patch, ran alone: reading the stored state first costs one read),
 * so it never counts as a first try, whatever its own attempt number says.
 */
export function activityAttempt(): number {
  try {
    const { attempt, isLocal } = Context.current().info;
    return isLocal ? attempt : attempt + 1;
  } catch {
    return 1; // called outside an activity
  }
}

/** When the running activity's attempt times out, and its cancellation; none outside an activity. */
export function turnLimit(): { deadline: number; signal: AbortSignal } | undefined {
  try {
    const c = Context.current();
    return { deadline: Date.now() + c.info.startToCloseTimeoutMs, signal: c.cancellationSignal };
  } catch {
    return undefined;
  }
}

/** A broken rule fails the activity for good (retrying cannot change the answer); anything else is retried. */
export function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, details: [err.details ?? {}], nonRetryable: true });
  }
  return err;
}
