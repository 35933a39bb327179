import { MongoClient, type Db } from 'mongodb';
import type { Config } from './config';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

export async function connectMongo(config: Pick<Config, 'mongo'>, dbName = config.mongo.db): Promise<Mongo> {
  const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 50 });
  await client.connect();
  return { client, db: client.db(dbName) };
}
