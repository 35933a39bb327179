/**
 * A Temporal dev server for tests, started by @temporalio/testing from the CLI the stack installed
 * (`existing-path`: never a download), with the reservation search attributes and Update-with-Start on.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliPath } from '../platform/temporal';
import { SA } from '../workflows/messages';

export function localTestEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: Object.values(SA),
      extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'],
    },
  });
}
