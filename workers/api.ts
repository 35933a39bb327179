/** Process entry point: the HTTP API (Fastify) on config.api.port. */
import { loadConfig } from '../platform/config';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { connectTemporal } from '../platform/temporal';
import { MongoClient } from 'mongodb';
import { createApp } from '../api/app';

async function main(): Promise<void> {
  const config = loadConfig();
  const aws = awsClients(config);
  const mongo = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 50 });
  await mongo.connect();
  const temporal = await connectTemporal(config);
  const app = await createApp({ config, aws, mongo, temporal });
  await app.listen({ host: config.api.host, port: config.api.port });

  const shutdown = async () => {
    await app.close();
    await mongo.close();
    await temporal.connection.close();
    destroyAwsClients(aws);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
