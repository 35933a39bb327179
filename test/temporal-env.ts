/**
 * A Temporal dev server for tests, started by @temporalio/testing from the CLI the stack installed
 * (`existing-path`: never a download), with the search attributes declared in platform/local-stack.json
 * (the one declaration) and Update-with-Start on.
 */
import path from 'node:path';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import stack from '../platform/local-stack.json';
import { ROOT_DIR } from '../platform/config';
import { SA_TYPES } from '../workflows/messages';

/** The Temporal CLI the stack manager installed; tests hand it to @temporalio/testing (no download). */
export function temporalCliPath(env: Record<string, string | undefined> = process.env): string {
  return env.TEMPORAL_CLI_PATH ?? path.join(ROOT_DIR, '.stack', 'bin', 'temporal');
}

export const declaredSearchAttributes = () =>
  Object.entries(stack.searchAttributes).map(([name, type]) => defineSearchAttributeKey(name, SA_TYPES[type as keyof typeof SA_TYPES]));

export function localTestEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: declaredSearchAttributes(),
      extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
    },
  });
}
