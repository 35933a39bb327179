/**
 * Process entry point: a Temporal worker for the `reservations` task queue. Any number can run side by
 * side. SIGINT/SIGTERM shut it down gracefully: it stops polling and lets in-flight activities finish.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../platform/config';
import { createRuntime } from '../platform/runtime';
import { loadConfigWithSecrets } from '../platform/secrets';
import { connectTemporal, temporalSecurity } from '../platform/temporal';
import type { Client } from '@temporalio/client';
import { createReservationActivities, type ReservationServiceEvent } from '../activities/reservation';
import { createWaitlistActivities } from '../activities/waitlist';
import { ledgerWriter } from '../activities/ledgers';
import type { LedgerEvent } from '../domain/reservation/ledger';
import { replicaFromCatalogEvents, restaurantReplica } from '../projections/restaurant-replica';
import type { EventStore } from '../eventstore/types';

const SDK_LEVEL = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' } as const;

export async function createReservationWorker(config = loadConfig()) {
  // the SDK logs through its own runtime: give it the process's level (expected refusals are not failures)
  Runtime.install({ logger: new DefaultLogger(SDK_LEVEL[config.logLevel]) });
  const runtime = await createRuntime(config);
  const connection = await NativeConnection.connect({ address: config.temporal.address, ...temporalSecurity(config) });
  const store = runtime.stores.reservation as EventStore<ReservationServiceEvent>;
  // a replica a second old is as good as a fresh one here: it is eventually consistent anyway, and
  // placement decides on the ledger, read at its current version
  const restaurants = restaurantReplica(runtime.dbs.reservation, { cacheMs: 1000, fallback: replicaFromCatalogEvents(runtime.stores.catalog) });
  // the waitlist starts an accepted offer's reservation workflow: a client, connected on first use
  let client: Promise<Client> | undefined;
  const temporal = () => {
    client ??= connectTemporal(config);
    client.catch(() => (client = undefined));
    return client;
  };
  // one set of ledger lanes and caches for both: a waitlist's hold and a booking of the same evening take turns
  const ledgers = ledgerWriter(store as unknown as EventStore<LedgerEvent>, { maxAttempts: 10 });
  const activities = {
    ...createReservationActivities({ store, restaurants, ledgers }),
    ...createWaitlistActivities({ store, restaurants, temporal, taskQueue: config.temporal.taskQueue, ledgers }),
  };
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    // a prebuilt bundle (WORKFLOW_BUNDLE_PATH) spares each start the ~20 s webpack build: tests and benchmarks start many workers
    ...(config.worker.bundlePath
      ? { workflowBundle: { codePath: config.worker.bundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    shutdownGraceTime: '20 seconds',
  });
  return {
    worker,
    async close() {
      if (client) await (await client.catch(() => undefined))?.connection.close();
      await connection.close();
      await runtime.close();
    },
  };
}

if (require.main === module) {
  (async () => {
    // secrets named by *_SECRET_ARN (on AWS) are read first; locally there are none
    const { worker, close } = await createReservationWorker(await loadConfigWithSecrets());
    // Worker.run installs SIGINT/SIGTERM handlers that call shutdown(): polling stops, in-flight work finishes
    await worker.run();
    await close();
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
