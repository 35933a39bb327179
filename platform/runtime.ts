/**
 * The real clients of one process, built from config: each service's event store (its own DynamoDB table)
 * and its own MongoDB database. Entry points (workers/*) and integration tests start here.
 */
import type { Db, MongoClient } from 'mongodb';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import type { EventStore, ServiceName } from '../eventstore/types';
import { awsClients, destroyAwsClients, type AwsClients } from './aws';
import type { Config } from './config';
import { connectMongo, serviceDbName } from './mongo';
import { SERVICES, topology, type Topology } from './topology';

export interface Runtime {
  config: Config;
  aws: AwsClients;
  topo: Topology;
  mongo: MongoClient;
  stores: Record<ServiceName, EventStore>;
  dbs: Record<ServiceName, Db>;
  close(): Promise<void>;
}

export async function createRuntime(config: Config): Promise<Runtime> {
  const aws = awsClients(config);
  const topo = topology(config.resourcePrefix);
  const { client: mongo } = await connectMongo(config);
  const stores = Object.fromEntries(
    SERVICES.map((s) => [s, new DynamoDBEventStore({
        client: aws.dynamodb,
        tableName: topo.services[s].table,
        service: s,
        // moto-specific tuning (see eventstore/dynamodb.ts): on moto, one transaction at a time (it rolls back
        // by restoring whole tables) and stream reads by key (its Query sorts the whole table); on AWS, neither
        serializeTransactions: config.aws.endpoint !== undefined,
        readByKey: config.aws.endpoint !== undefined,
      })]),
  ) as unknown as Record<ServiceName, EventStore>;
  const dbs = Object.fromEntries(SERVICES.map((s) => [s, mongo.db(serviceDbName(config, s))])) as Record<ServiceName, Db>;
  return {
    config,
    aws,
    topo,
    mongo,
    stores,
    dbs,
    async close() {
      await mongo.close();
      destroyAwsClients(aws);
    },
  };
}
