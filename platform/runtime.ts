/**
 * The real clients of one process, built from config: each service's event store (its own DynamoDB table)
 * and its own MongoDB database. Entry points (workers/*) and integration tests start here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Db, MongoClient } from 'mongodb';
import type { WriteGuard } from '../eventstore/checkpoint';
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
  /**
   * How projections condition their writes (eventstore/checkpoint.ts WriteGuard): 'checkpoint' on
   * MongoDB; 'id' on FerretDB, where a guard in the filter costs 3–4× per write.
   */
  writeGuard: WriteGuard;
  close(): Promise<void>;
}

/** FerretDB says so in `buildInfo`; anything else is taken for MongoDB (the race-proof choice). */
async function writeGuardFor(mongo: MongoClient): Promise<WriteGuard> {
  try {
    const info = await mongo.db('admin').command({ buildInfo: 1 });
    return typeof info.ferretdbVersion === 'string' ? 'id' : 'checkpoint';
  } catch {
    return 'checkpoint';
  }
}

/**
 * Whether DynamoDB is moto, which needs the event store's workarounds (eventstore/dynamodb-emulator.ts).
 * `auto`: DynamoDB on the same local endpoint as SNS/SQS is taken for a moto serving everything; a DynamoDB
 * endpoint of its own is dynoxide (or DynamoDB Local), and no endpoint is real AWS: neither needs them.
 */
export function motoWorkarounds(config: Pick<Config, 'aws'>): boolean {
  const { motoWorkarounds: mode, endpoint, dynamodbEndpoint } = config.aws;
  if (mode !== 'auto') return mode === 'on';
  return dynamodbEndpoint !== undefined && dynamodbEndpoint === endpoint;
}

/** A service's event store on the configured DynamoDB, with moto's workarounds only when it is moto. */
export function eventStore(config: Pick<Config, 'aws'>, client: DynamoDBClient, tableName: string, service: ServiceName): EventStore {
  const moto = motoWorkarounds(config);
  return new DynamoDBEventStore({ client, tableName, service, serializeTransactions: moto, readByKey: moto });
}

export async function createRuntime(config: Config): Promise<Runtime> {
  const aws = awsClients(config);
  const topo = topology(config.resourcePrefix);
  const { client: mongo } = await connectMongo(config);
  const stores = Object.fromEntries(SERVICES.map((s) => [s, eventStore(config, aws.dynamodb, topo.services[s].table, s)])) as Record<
    ServiceName,
    EventStore
  >;
  const dbs = Object.fromEntries(SERVICES.map((s) => [s, mongo.db(serviceDbName(config, s))])) as Record<ServiceName, Db>;
  const writeGuard = await writeGuardFor(mongo);
  return {
    config,
    aws,
    topo,
    mongo,
    stores,
    dbs,
    writeGuard,
    async close() {
      await mongo.close();
      destroyAwsClients(aws);
    },
  };
}
