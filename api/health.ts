import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AwsClients } from '../platform/aws';
import { queueDepth } from '../eventstore/dead-letters';
import { queueUrl } from '../platform/provision';
import type { Topology } from '../platform/topology';

export type Check = () => Promise<void>;

/** Messages in each consumer's dead-letter queue, by consumer name. */
export type DeadLetterCount = () => Promise<Record<string, number>>;

/**
 * Counts what each consumer's dead-letter queue holds (the pipeline redrives them with backoff; a count
 * that stays up means a consumer keeps failing). Queue URLs are looked up once.
 */
export function deadLetterCounts(deps: { sqs: AwsClients['sqs']; topo: Pick<Topology, 'consumers'> }): DeadLetterCount {
  const urls = new Map<string, string>();
  return async () => {
    const entries = await Promise.all(
      deps.topo.consumers.map(async (c) => {
        let url = urls.get(c.name);
        if (!url) {
          url = await queueUrl(deps.sqs, c.dlq);
          if (!url) return [c.name, 0] as const; // not provisioned (yet): nothing dead-lettered there
          urls.set(c.name, url);
        }
        return [c.name, await queueDepth(deps.sqs, url)] as const;
      }),
    );
    return Object.fromEntries(entries);
  };
}

/** The checks of what this process uses: Temporal only when given (a process without the reservation routes has no client). */
export function dependencyChecks(deps: { aws: AwsClients; db: Db; temporal?: Client | undefined }): Record<string, Check> {
  const { temporal } = deps;
  return {
    dynamodb: async () => void (await deps.aws.dynamodb.send(new ListTablesCommand({ Limit: 1 }))),
    sqs: async () => void (await deps.aws.sqs.send(new ListQueuesCommand({ MaxResults: 1 }))),
    mongodb: async () => void (await deps.db.command({ ping: 1 })),
    ...(temporal ? { temporal: async () => void (await temporal.workflowService.getSystemInfo({})) } : {}),
  };
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
  ]);
}

/** The counts, with a log line when any is above zero; undefined when not asked for or not known now. */
async function countDeadLetters(
  count: DeadLetterCount | undefined,
  log: { warn(obj: object, msg: string): void },
): Promise<Record<string, number> | undefined> {
  if (!count) return undefined;
  try {
    const counts = await withTimeout(count());
    const nonZero = Object.entries(counts).filter(([, n]) => n > 0);
    if (nonZero.length > 0) log.warn({ deadLetters: Object.fromEntries(nonZero) }, 'dead letters waiting to be redriven');
    return counts;
  } catch (err) {
    // SQS being down already shows as the sqs dependency; the counts are then unknown
    log.warn({ err }, 'dead letters could not be counted');
    return undefined;
  }
}

/**
 * `GET /health`: 200 when every dependency answers, 503 (with which one failed) otherwise. With
 * `deadLetters`, the body also counts each consumer's dead letters; they do not make the API unhealthy
 * (it still serves), they say a read model may lag. The plugin also mounts the shallow `GET /health/live`.
 */
export function healthRoutes(checks: Record<string, Check>, opts: { deadLetters?: DeadLetterCount; deadLettersCacheMs?: number } = {}) {
  // load balancers poll /health every few seconds: the counts (one SQS call per consumer) are kept briefly
  const cacheMs = opts.deadLettersCacheMs ?? 15_000;
  let cached: { at: number; value: Promise<Record<string, number> | undefined> } | undefined;
  const deadLettersOf = (log: FastifyBaseLogger) => {
    if (!cached || Date.now() - cached.at >= cacheMs) cached = { at: Date.now(), value: countDeadLetters(opts.deadLetters, log) };
    return cached.value;
  };
  return async (app: FastifyInstance) => {
    app.addSchema(healthSchema);
    await liveRoute(app);
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
      async (request, reply) => {
        const counting = deadLettersOf(request.log); // alongside the checks, not after them
        const entries = await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            const started = Date.now();
            try {
              await withTimeout(check());
              return [name, { status: 'up', latencyMs: Date.now() - started }] as const;
            } catch (err) {
              return [name, { status: 'down', error: err instanceof Error ? err.message : String(err) }] as const;
            }
          }),
        );
        const dependencies = Object.fromEntries(entries);
        const ok = entries.every(([, v]) => v.status === 'up');
        const deadLetters = await counting;
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', dependencies, ...(deadLetters ? { deadLetters } : {}) });
      },
    );
  };
}

/**
 * `GET /health/live`: 200 whenever this process serves requests, with no dependency checked. For the load
 * balancer's target group health check: on the deep /health a MongoDB or Temporal blip would fail every
 * task at once and ECS would replace them all, which cures nothing. Registered with /health, so every API
 * process has it whatever API_SERVICES says.
 */
async function liveRoute(app: FastifyInstance): Promise<void> {
  app.get(
    '/health/live',
    {
      // polled every few seconds by every target group: only its failures are worth a log line
      logLevel: 'warn',
      schema: {
        summary: 'Liveness of this API process (no dependency checked)',
        tags: ['ops'],
        response: { 200: liveSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
}

const liveSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok'] } },
  required: ['status'],
  additionalProperties: false,
} as const;

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
    deadLetters: {
      type: 'object',
      description:
        "Messages in each consumer's dead-letter queue, by consumer name. The pipeline moves them back to the consumer's queue with backoff; a count that stays above 0 means that consumer keeps failing and its read model may lag. Does not affect the status. Absent when the counts could not be read.",
      additionalProperties: { type: 'integer', minimum: 0 },
    },
  },
  required: ['status', 'dependencies'],
} as const;
