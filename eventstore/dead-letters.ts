/**
 * Dead letters are retried, not left for a human: a `DeadLetterRedriver` per consumer moves what its
 * dead-letter queue holds back to the consumer's queue, in rounds that back off while the same trouble
 * persists. A message reaches the DLQ after MAX_RECEIVE_COUNT failed receives (platform/topology.ts):
 * a dependency that stayed down for minutes, or a bug. Moving it back is safe at any time: consumers
 * apply idempotently and heal gaps from the store (consumer.ts), so a redriven event that is older than
 * what the projection holds is skipped, and one that is newer first pulls in what it missed.
 *
 * Rounds: the first round runs `baseDelayMs` after start; a round that finds the DLQ empty resets the
 * delay, a round that finds messages again (they came back, so the trouble persists) doubles it, up to
 * `maxDelayMs`. Each moved message carries a `redrives` attribute (how often it was moved), logged with
 * each move. A message whose body is not an event envelope is left in the DLQ (moving it back cannot
 * help) and reported once.
 *
 * Why not SQS's own redrive (StartMessageMoveTask): it has no backoff, and the round logic is small.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BackgroundLoop } from './background-loop';
import { decodeEnvelope } from './consumer';
import { fifoId, messageGroupId } from './fifo-ids';

/** Messages waiting in a queue (visible + in flight), e.g. a dead-letter queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

const REDRIVES_ATTRIBUTE = 'redrives';

export interface RedriveMove {
  consumer: string;
  messageId: string;
  streamId: string;
  version: number;
  /** How often this message has now been moved back. */
  redrives: number;
}

export interface DeadLetterRedriverOptions {
  sqs: SQSClient;
  consumer: string;
  /** The consumer's queue, where messages go back to. */
  queueUrl: string;
  dlqUrl: string;
  /** Delay before the first round, and after a round that found the DLQ empty. Default 30 s. */
  baseDelayMs?: number;
  /** Longest delay between rounds. Default 15 min. */
  maxDelayMs?: number;
  /** Most messages moved in one round. Default 100. */
  maxPerRound?: number;
  onMove?: (move: RedriveMove) => void;
  /** A message left in the DLQ because it is not an event (reported once per message). */
  onUndecodable?: (info: { consumer: string; messageId: string }) => void;
  onError?: (err: unknown) => void;
}

export class DeadLetterRedriver {
  private readonly o: DeadLetterRedriverOptions;
  private readonly loop = new BackgroundLoop(() => this.run());
  private readonly reported = new Set<string>();
  /** Delay before the next round. */
  private delayMs: number;

  constructor(opts: DeadLetterRedriverOptions) {
    this.o = opts;
    this.delayMs = opts.baseDelayMs ?? 30_000;
  }

  start(): void {
    this.loop.start();
  }

  /** Stops after the round in flight. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: moves what the DLQ holds back to the queue; returns how many were moved. */
  async redriveOnce(): Promise<number> {
    let moved = 0;
    const max = this.o.maxPerRound ?? 100;
    while (moved < max && !this.loop.stopping) {
      const out = await this.o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.o.dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - moved),
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['MessageGroupId'],
        }),
      );
      const messages = out.Messages ?? [];
      let movedNow = 0;
      for (const m of messages) if (await this.move(m)) movedNow++;
      moved += movedNow;
      // nothing (more) to take, or only messages that stay
      if (messages.length === 0 || movedNow === 0) break;
    }
    const base = this.o.baseDelayMs ?? 30_000;
    this.delayMs = moved === 0 ? base : Math.min(this.o.maxDelayMs ?? 900_000, Math.max(base, this.delayMs * 2));
    return moved;
  }

  private async move(m: Message): Promise<boolean> {
    let event;
    try {
      event = decodeEnvelope(m.Body ?? '');
    } catch {
      if (!this.reported.has(m.MessageId!)) {
        this.reported.add(m.MessageId!);
        this.o.onUndecodable?.({ consumer: this.o.consumer, messageId: m.MessageId! });
      }
      return false;
    }
    const attributes: Record<string, MessageAttributeValue> = { ...(m.MessageAttributes ?? {}) };
    const redrives = Number(attributes[REDRIVES_ATTRIBUTE]?.StringValue ?? 0) + 1;
    attributes[REDRIVES_ATTRIBUTE] = { DataType: 'Number', StringValue: String(redrives) };
    await this.o.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.o.queueUrl,
        MessageBody: m.Body!,
        MessageGroupId: m.Attributes?.MessageGroupId ?? messageGroupId(event.streamId),
        // new per move (the live delivery's id may still be remembered), the same if this send is retried
        MessageDeduplicationId: fifoId(`${m.MessageId!}:redrive:${redrives}`),
        MessageAttributes: attributes,
      }),
    );
    // a crash here leaves a copy in the DLQ; moving it again is harmless (applied once, see checkpoint.ts)
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
    this.o.onMove?.({ consumer: this.o.consumer, messageId: m.MessageId!, streamId: event.streamId, version: event.version, redrives });
    return true;
  }

  private async run(): Promise<void> {
    while (!this.loop.stopping) {
      await this.loop.sleep(this.delayMs);
      if (this.loop.stopping) break;
      try {
        await this.redriveOnce();
      } catch (err) {
        this.o.onError?.(err);
      }
    }
  }
}
