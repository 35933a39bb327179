/**
 * The dead-letter redrive Lambda (EventBridge schedule, every 15 minutes): one round of the very
 * `DeadLetterRedriver` the local pipeline runs per consumer (eventstore/dead-letters.ts), for every consumer
 * at once. The schedule is the backoff: a round here is what a local redriver does at its longest delay, so
 * no state is kept between invocations (an undecodable message is therefore reported at every round, which
 * is the reminder a human needs).
 *
 * Environment: REDRIVE_QUEUES, a JSON array of `{ "consumer", "queueUrl", "dlqUrl" }` (the consumer's queue
 * and its dead-letter queue), and what platform/config.ts reads (AWS_ENDPOINT_URL empty or unset on AWS:
 * the SDK's own endpoint); any NAME_SECRET_ARN has NAME read from Secrets Manager at cold start
 * (platform/secrets.ts). A consumer whose round fails does not stop the others; the invocation then fails
 * after all of them ran, so the function's Errors alarm fires.
 */
import type { ScheduledEvent } from 'aws-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterRedriver } from '../../eventstore/dead-letters';
import { awsClients } from '../../platform/aws';
import { ConfigError } from '../../platform/config';
import { loadConfigWithSecrets } from '../../platform/secrets';
import { once } from './once';

/** One consumer's queue pair: dead letters go from `dlqUrl` back to `queueUrl`. */
export interface RedriveQueue {
  consumer: string;
  queueUrl: string;
  dlqUrl: string;
}

export interface RedriveLambdaDeps {
  sqs: SQSClient;
  queues: RedriveQueue[];
  /** One line per event; `consumer` is the consumer the line is about. */
  log?: (consumer: string, line: string, err?: unknown) => void;
}

/** What one invocation moved back to its queue, per consumer. */
export interface RedriveResult {
  moved: Record<string, number>;
}

export type RedriveLambda = () => Promise<RedriveResult>;

const defaultLog = (consumer: string, line: string, err?: unknown): void =>
  err === undefined ? console.error(`[redrive ${consumer}] ${line}`) : console.error(`[redrive ${consumer}] ${line}`, err);

export function redriveLambda(deps: RedriveLambdaDeps): RedriveLambda {
  const log = deps.log ?? defaultLog;
  return async () => {
    // all consumers at once: a slow or failing queue costs the others nothing
    const rounds = await Promise.allSettled(
      deps.queues.map((q) =>
        new DeadLetterRedriver({
          sqs: deps.sqs,
          consumer: q.consumer,
          queueUrl: q.queueUrl,
          dlqUrl: q.dlqUrl,
          onMove: (m) => log(q.consumer, `moved ${m.streamId} v${m.version} (message ${m.messageId}) back to the queue, redrive #${m.redrives}`),
          onUndecodable: ({ messageId }) => log(q.consumer, `message ${messageId} is not an event: left in the dead-letter queue for a human`),
        }).redriveOnce(),
      ),
    );
    const moved: Record<string, number> = {};
    const failed: Array<{ consumer: string; err: unknown }> = [];
    rounds.forEach((r, i) => {
      const consumer = deps.queues[i]!.consumer;
      if (r.status === 'fulfilled') {
        moved[consumer] = r.value;
      } else {
        // redriveOnce throws rather than calling onError (that is the loop's), so its failure is logged here
        log(consumer, 'round failed', r.reason);
        failed.push({ consumer, err: r.reason });
      }
    });
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f) => f.err),
        `dead-letter redrive failed for ${failed.map((f) => f.consumer).join(', ')} (the others ran: ${JSON.stringify(moved)})`,
      );
    }
    return { moved };
  };
}

const QUEUE_URL = /^https?:\/\/[^\s/]+\/\S+$/;

/** REDRIVE_QUEUES, checked: a non-empty JSON array of `{ consumer, queueUrl, dlqUrl }`, one entry per consumer. */
export function redriveQueuesFromEnv(env: Record<string, string | undefined>): RedriveQueue[] {
  const raw = env.REDRIVE_QUEUES;
  const shape = 'a JSON array of {"consumer", "queueUrl", "dlqUrl"}';
  if (raw === undefined || raw.trim() === '') throw new ConfigError(`REDRIVE_QUEUES must be ${shape}, but it is not set`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`REDRIVE_QUEUES must be ${shape}, but it is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError(`REDRIVE_QUEUES must be ${shape} with at least one entry`);
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i): RedriveQueue => {
    const at = `REDRIVE_QUEUES[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(`${at} must be an object {"consumer", "queueUrl", "dlqUrl"}`);
    const e = entry as Record<string, unknown>;
    const field = (name: 'consumer' | 'queueUrl' | 'dlqUrl'): string => {
      const v = e[name];
      if (typeof v !== 'string' || v === '') throw new ConfigError(`${at}.${name} must be a non-empty string`);
      return v;
    };
    const consumer = field('consumer');
    const queueUrl = field('queueUrl');
    const dlqUrl = field('dlqUrl');
    for (const [name, v] of [['queueUrl', queueUrl], ['dlqUrl', dlqUrl]] as const) {
      // shape only, not new URL(): LocalStack's URLs (http://sqs.<region>.127.0.0.1:5000/…) are no WHATWG URLs
      if (!QUEUE_URL.test(v)) throw new ConfigError(`${at}.${name} must be a queue URL (http(s)://host/account/name), got "${v}"`);
    }
    // a swapped or copied pair would move dead letters onto themselves
    if (queueUrl === dlqUrl) throw new ConfigError(`${at}: queueUrl and dlqUrl are the same queue (${queueUrl})`);
    if (seen.has(consumer)) throw new ConfigError(`${at}: consumer ${consumer} is listed twice`);
    seen.add(consumer);
    return { consumer, queueUrl, dlqUrl };
  });
}

const fromEnv = once(async (): Promise<RedriveLambda> => {
  // validated before any connection is made (Secrets Manager's included)
  const queues = redriveQueuesFromEnv(process.env);
  // no NAME_SECRET_ARN set (the usual case here): no Secrets Manager client is made
  const config = await loadConfigWithSecrets();
  return redriveLambda({ sqs: awsClients(config).sqs, queues });
});

export const handler = async (_event: ScheduledEvent): Promise<RedriveResult> => (await fromEnv())();
