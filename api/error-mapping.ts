/**
 * Any error a route (or Fastify itself) throws, as the problem the client sees: one mapping for the whole
 * API. A dependency that is down or slow is 503 + Retry-After, never a hang or a 500.
 */
import type { FastifyError } from 'fastify';
import { HttpProblem, RETRY_AFTER_SECONDS, unavailable } from './problem';
import { validationProblem } from './validation';
import { unavailableDependency } from '../platform/unavailable';
import { ConcurrencyError, EventStoreLimitError } from '../eventstore/types';
import { isDomainError, type DomainErrorKind } from '../domain/errors';

/** A domain error's kind (domain/errors.ts) → HTTP status; the domain never speaks HTTP itself. */
const KIND_STATUS: Record<DomainErrorKind, number> = { invalid: 422, conflict: 409, not_found: 404, forbidden: 403 };

export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isDomainError(err)) {
    return new HttpProblem(KIND_STATUS[err.kind] ?? 422, err.message, { code: err.code, ...(err.details ?? {}) });
  }
  if (err instanceof ConcurrencyError) {
    return new HttpProblem(409, 'Someone else changed this at the same time; read it again and retry.', { code: 'CONCURRENT_CHANGE' });
  }
  if (err instanceof EventStoreLimitError) return new HttpProblem(413, err.message);
  const dependency = unavailableDependency(err);
  if (dependency) {
    return unavailable(
      dependency === 'the server'
        ? 'This request took too long to complete; retry shortly.'
        : `The ${dependency} is not answering right now; retry shortly.`,
      RETRY_AFTER_SECONDS,
    );
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return validationProblem(fe.validation, fe.validationContext);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'The request body is larger than this route accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(415, 'Send the body as application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(400, `The body is not valid JSON: ${fe.message ?? 'parse error'}.`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HttpProblem(414, 'A path segment is too long.');
    case 'FST_ERR_BAD_URL':
      return new HttpProblem(400, 'The URL is not valid (a malformed percent-encoding?).');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpProblem(fe.statusCode, fe.message ?? 'Bad request');
  }
  return new HttpProblem(500, 'Something went wrong on our side; it has been logged.');
}
