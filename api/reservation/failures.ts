/**
 * Workflow and activity failures as the problems a client sees. Typed failures only (the failure's `type`
 * is a domain code or one of the workflow's FAILURE codes): no error text is ever matched.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApplicationFailure } from '@temporalio/common';
import { HttpProblem, RETRY_AFTER_SECONDS, conflict, sendProblem } from '../problem';
import { DOMAIN_ERROR_KINDS, DomainError, type DomainErrorCode } from '../../domain/errors';
import { FAILURE } from '../../workflows/messages';

/**
 * The typed failure a workflow or an activity raised, wherever it sits in the client error's cause chain
 * (an update fails with the validator's or handler's failure; an activity's refusal comes wrapped in an
 * ActivityFailure).
 */
export function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (e instanceof ApplicationFailure && e.type) return e;
  }
  return undefined;
}

const isDomainCode = (type: string): type is DomainErrorCode => Object.hasOwn(DOMAIN_ERROR_KINDS, type);

/** A refusal by its code: domain codes are rendered by the server's one mapping (kind → status). */
export function refusalProblem(code: string, message: string, details: Record<string, unknown> = {}): unknown {
  if (code === FAILURE.keyReused) return conflict(message, { code });
  if (isDomainCode(code)) return new DomainError(code, message, details);
  return undefined;
}

/** Turns a workflow failure into the problem the client should see; anything else is left as it is. */
export function workflowProblem(err: unknown): unknown {
  const failure = applicationFailureIn(err);
  if (failure?.type) {
    const mapped = refusalProblem(failure.type, failure.message, (failure.details?.[0] ?? {}) as Record<string, unknown>);
    if (mapped) return mapped;
  }
  return err;
}

/** Codes whose answer is "not now": the request did nothing and may be sent again (503 + Retry-After). */
export const TRANSIENT: ReadonlySet<string> = new Set([FAILURE.withdrawn, FAILURE.placementFailed]);

/** Answers 503 + Retry-After: nothing was done, and the same request may be sent again. */
export function sendUnavailable(reply: FastifyReply, request: FastifyRequest, detail: string, extra: Record<string, unknown> = {}) {
  return sendProblem(reply, request, new HttpProblem(503, detail, { ...extra, retryAfterSeconds: RETRY_AFTER_SECONDS }));
}
