/** Process entry point: the HTTP API (Fastify) on config.api.port, serving the services in config.api.services. */
import { loadConfigWithSecrets } from '../platform/secrets';
import { createRuntime } from '../platform/runtime';
import { connectTemporal } from '../platform/temporal';
import { createApp } from '../api/app';
import { initReadModels } from '../projections';

async function main(): Promise<void> {
  // secrets named by *_SECRET_ARN (on AWS) are read first; locally there are none
  const config = await loadConfigWithSecrets();
  const runtime = await createRuntime(config);
  // the indexes the read models' queries use (the pipeline creates them too; whichever starts first)
  await initReadModels(runtime.dbs);
  // only the reservation routes use Temporal: a process without them (API_SERVICES) does not connect.
  // Every Temporal call from the API has a deadline (the placement sets a shorter one of its own)
  const temporal = config.api.services.includes('reservation')
    ? await connectTemporal(config, { rpcDeadlineMs: config.temporal.rpcDeadlineMs })
    : undefined;
  const app = await createApp({ runtime, ...(temporal ? { temporal } : {}) });
  await app.listen({ host: config.api.host, port: config.api.port });

  const shutdown = async () => {
    await app.close();
    await temporal?.connection.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
