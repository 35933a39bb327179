import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import type { Config } from './config';
import type { ServiceName } from '../eventstore/types';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

/**
 * Driver options that give every operation a deadline. A server that is down fails server selection after
 * serverSelectionTimeoutMS; one that accepts but never answers (SIGSTOP, a dead network) fails the read
 * after socketTimeoutMS (MongoNetworkTimeoutError) instead of waiting for the monitor to notice (14 s
 * measured) or forever, and its one retry then fails server selection; a pool that is full fails the
 * checkout after waitQueueTimeoutMS. The API maps all of them to 503. Driver 6.22 accepts the client-side operation timeout `timeoutMS` (CSOT) but warns that
 * it "has no effect", so it is not relied on here.
 */
export function mongoOptions(config: Pick<Config, 'mongo'>): MongoClientOptions {
  const { timeoutMs, serverSelectionTimeoutMs } = config.mongo;
  const selection = Math.min(serverSelectionTimeoutMs, timeoutMs);
  return {
    maxPoolSize: 50,
    serverSelectionTimeoutMS: selection,
    connectTimeoutMS: selection,
    socketTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
  };
}

export async function connectMongo(config: Pick<Config, 'mongo'>, dbName = config.mongo.db): Promise<Mongo> {
  const client = new MongoClient(config.mongo.uri, mongoOptions(config));
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** Each service owns its own database: `<MONGODB_DB>_<service>`. */
export function serviceDbName(config: Pick<Config, 'mongo'>, service: ServiceName): string {
  return `${config.mongo.db}_${service}`;
}
