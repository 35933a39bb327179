import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { FastifyInstance } from 'fastify';
import type { AwsClients } from '../platform/aws';

export type Check = () => Promise<void>;

export function dependencyChecks(deps: { aws: AwsClients; db: Db; temporal: Client }): Record<string, Check> {
  return {
    dynamodb: async () => void (await deps.aws.dynamodb.send(new ListTablesCommand({ Limit: 1 }))),
    sqs: async () => void (await deps.aws.sqs.send(new ListQueuesCommand({ MaxResults: 1 }))),
    mongodb: async () => void (await deps.db.command({ ping: 1 })),
    temporal: async () => void (await deps.temporal.workflowService.getSystemInfo({})),
  };
}

const TIMEOUT_MS = 2000;

/** `GET /health`: 200 when every dependency answers, 503 (with which one failed) otherwise. */
export function healthRoutes(checks: Record<string, Check>) {
  return async (app: FastifyInstance) => {
    app.addSchema(healthSchema);
    app.get(
      '/health',
      {
        schema: {
          summary: 'Health of the API and each dependency',
          tags: ['ops'],
          response: {
            200: { $ref: 'Health#' },
            503: { $ref: 'Health#' },
          },
        },
      },
      async (_request, reply) => {
        const entries = await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            const started = Date.now();
            try {
              await Promise.race([
                check(),
                new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
              ]);
              return [name, { status: 'up', latencyMs: Date.now() - started }] as const;
            } catch (err) {
              return [name, { status: 'down', error: err instanceof Error ? err.message : String(err) }] as const;
            }
          }),
        );
        const dependencies = Object.fromEntries(entries);
        const ok = entries.every(([, v]) => v.status === 'up');
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', dependencies });
      },
    );
  };
}

export const healthSchema = {
  $id: 'Health',
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    dependencies: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { status: { type: 'string', enum: ['up', 'down'] }, latencyMs: { type: 'number' }, error: { type: 'string' } },
        required: ['status'],
      },
    },
  },
  required: ['status', 'dependencies'],
} as const;
