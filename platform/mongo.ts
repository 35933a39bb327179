import { MongoClient, type Db } from 'mongodb';
import type { Config } from './config';
import type { ServiceName } from '../eventstore/types';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

export async function connectMongo(config: Pick<Config, 'mongo'>, dbName = config.mongo.db): Promise<Mongo> {
  const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 50 });
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** Each service owns its own database: `<MONGODB_DB>_<service>`. */
export function serviceDbName(config: Pick<Config, 'mongo'>, service: ServiceName): string {
  return `${config.mongo.db}_${service}`;
}
