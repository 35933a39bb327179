/**
 * A throwaway database on the local MongoDB-compatible server for one test file: created before its tests,
 * dropped after them. `const db = testDatabase('users')` then `db().collection(…)` inside tests.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { loadConfig } from '../platform/config';
import { connectMongo, type Mongo } from '../platform/mongo';

export function testDatabase(label: string): () => Db {
  let mongo: Mongo | undefined;
  beforeAll(async () => {
    mongo = await connectMongo(loadConfig(), `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}_${label}`);
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  });
  return () => {
    if (!mongo) throw new Error('testDatabase: used outside a test');
    return mongo.db;
  };
}
