/**
 * Environment of the system schemathesis runs against: it signs up and signs in far more often than a
 * person, so the per-address limits are raised (their own tests are in api/auth); everything else is as
 * deployed.
 */
export const SCHEMATHESIS_ENV: Record<string, string> = {
  AUTH_SIGNUPS_PER_IP: '100000',
  AUTH_LOGIN_ATTEMPTS_PER_IP: '100000',
  AUTH_LOGIN_FAILURES_PER_ACCOUNT_IP: '100000',
};
