/**
 * A domain refusal as the failure a workflow's update handler or validator raises: non-retryable, typed by
 * the domain's code, its details carried along (the API maps the type to an HTTP status). Shared by the
 * reservation and waitlist workflows; imports nothing but the SDK's workflow-safe failure class.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { DomainError } from '../domain/errors';

export const refusal = (err: DomainError): ApplicationFailure =>
  ApplicationFailure.create({ type: err.code, message: err.message, details: [err.details ?? {}], nonRetryable: true });

/** Refuses when the rule said why not; goes on when it said nothing. */
export const refuse = (err: DomainError | undefined): void => {
  if (err) throw refusal(err);
};
