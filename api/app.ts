/**
 * Composition root of the API process: real clients in, one Fastify app out. Each service mounts its
 * routes; all of them share the auth plugin, the problem+json error handler and the OpenAPI document.
 */
import type { Client } from '@temporalio/client';
import type { MongoClient } from 'mongodb';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config';
import type { AwsClients } from '../platform/aws';
import { buildServer, type RoutePlugin } from './server';
import { dependencyChecks, healthRoutes } from './health';

export interface AppDeps {
  config: Config;
  aws: AwsClients;
  mongo: MongoClient;
  temporal: Client;
}

export async function createApp(deps: AppDeps, opts: { logger?: boolean; docsUi?: boolean } = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const plugins: RoutePlugin[] = [
    healthRoutes(dependencyChecks({ aws: deps.aws, db: deps.mongo.db(config.mongo.db), temporal: deps.temporal })),
  ];
  return buildServer({
    plugins,
    docsUi: opts.docsUi ?? true,
    logger: opts.logger === false ? false : { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
}
