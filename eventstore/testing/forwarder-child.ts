/**
 * A forwarder in its own process, so tests can SIGKILL it mid-run. Env: RESOURCE_PREFIX, SERVICE, POLL_MS,
 * BATCH_SIZE, CHECKPOINT_MS (the runner's `checkpointIntervalMs`; 0 writes the checkpoint after every batch).
 * Prints `ready` once polling and `batch <records> <lastSequenceNumber>` after each batch is published and
 * its position kept (written, with CHECKPOINT_MS=0).
 */
import { awsClients } from '../../platform/aws';
import { loadConfig } from '../../platform/config';
import { resolveTopology } from '../../platform/provision';
import { topology } from '../../platform/topology';
import { serviceForwarder } from '../../workers/pipeline';
import type { ServiceName } from '../types';

async function main(): Promise<void> {
  const config = loadConfig();
  const service = (process.env.SERVICE ?? 'catalog') as ServiceName;
  const clients = awsClients(config);
  const resolved = await resolveTopology(clients, topology(config.resourcePrefix));
  const runner = serviceForwarder(clients, resolved, service, {
    pollIntervalMs: Number(process.env.POLL_MS ?? 50),
    batchSize: Number(process.env.BATCH_SIZE ?? 100),
    ...(process.env.CHECKPOINT_MS ? { checkpointIntervalMs: Number(process.env.CHECKPOINT_MS) } : {}),
    onBatch: (b) => console.log(`batch ${b.records} ${b.lastSequenceNumber}`),
    onError: (err) => console.error('forwarder error', err),
  });
  runner.start();
  console.log('ready');
  process.on('SIGTERM', () => {
    void runner.stop().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
