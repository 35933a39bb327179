/** What must hold of the pipeline's queues after the faults: drained, nothing dead-lettered. */
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { decodeEnvelope } from '../../eventstore/consumer';
import type { ResolvedTopology } from '../../platform/provision';
import { short } from './findings';

export interface QueueDepth {
  consumer: string;
  visible: number;
  inFlight: number;
  dlq: number;
}

async function depth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

export async function queueDepths(sqs: SQSClient, resolved: ResolvedTopology): Promise<QueueDepth[]> {
  return Promise.all(
    Object.entries(resolved.queues).map(async ([consumer, q]) => {
      const [main, dlq] = await Promise.all([depth(sqs, q.url), depth(sqs, q.dlqUrl)]);
      return { consumer, ...main, dlq: dlq.visible + dlq.inFlight };
    }),
  );
}

/** Each non-empty DLQ with what it holds (a peek: the messages become visible again at once). */
export async function checkDlqs(sqs: SQSClient, resolved: ResolvedTopology): Promise<string[]> {
  const findings: string[] = [];
  for (const d of await queueDepths(sqs, resolved)) {
    if (d.dlq === 0) continue;
    const q = resolved.queues[d.consumer]!;
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const sample = (out.Messages ?? []).map((m) => {
      try {
        const e = decodeEnvelope(m.Body ?? '');
        return `${e.streamId} v${e.version} ${e.type}`;
      } catch {
        return `undecodable ${short(m.Body, 80)}`;
      }
    });
    findings.push(`DLQ of ${d.consumer} holds ${d.dlq} message(s), e.g. ${sample.join('; ') || '(none received)'}`);
  }
  return findings;
}

