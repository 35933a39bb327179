import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ROOT_DIR, type Config } from './config';

/** The Temporal CLI the stack manager installed; tests hand it to @temporalio/testing (no download). */
export function temporalCliPath(env: Record<string, string | undefined> = process.env): string {
  return env.TEMPORAL_CLI_PATH ?? path.join(ROOT_DIR, '.stack', 'bin', 'temporal');
}

export async function connectTemporal(config: Pick<Config, 'temporal'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}
