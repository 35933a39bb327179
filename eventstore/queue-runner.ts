/**
 * The local stand-in for Lambda's SQS event source: receive a batch, hand it to the consumer's handler
 * (consumer.ts createSqsHandler), delete what succeeded. It keeps a batch's messages invisible while it is
 * handled (visibility heartbeat) and stops receiving while the handler's dependency does not answer
 * (`probe`), so an outage does not burn receive counts into the dead-letter queue.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { BackgroundLoop } from './background-loop';
import type { SqsBatchResponse, SqsHandler, SqsRecord } from './consumer';

export interface QueueConsumerRunnerOptions {
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl?: string;
  handler: SqsHandler;
  /** Long-poll wait (an idle queue costs one request per wait). stop() cuts a waiting poll short. Default 5 s. */
  waitTimeSeconds?: number;
  /** Default 10 (the SQS maximum). */
  maxMessages?: number;
  /**
   * Batches handled at once. Receives never overlap: one receive at a time, and while batches are being
   * handled it short-polls (no wait). FIFO hands no group to a receive while an earlier message of it is
   * in flight, so order holds. (Seen on moto, which served SQS locally until 2026-12-01: a long poll kept
   * the list of busy groups it took when it began, so overlapping receives could hand out a group's next
   * message while the one before was still being handled, and a long poll facing only busy groups spun at
   * full CPU until its wait ended.) Default 1.
   */
  concurrency?: number;
  /** Called when the dead-letter queue holds messages and their count changed (checked every `dlqCheckMs`, default 10 s). */
  onPoison?: (info: { dlqUrl: string; depth: number }) => void;
  dlqCheckMs?: number;
  onError?: (err: unknown) => void;
  /**
   * Checks the handler's dependency (e.g. a MongoDB ping). After a batch with failures it is called; if it
   * throws, receiving pauses and the probe is retried with exponential backoff (`pauseMs` doubling up to
   * `maxPauseMs`) until it answers. So an outage costs each message one receive, not one every visibility
   * timeout until the redrive policy dead-letters it.
   */
  probe?: () => Promise<void>;
  /** First pause after a failed probe. Default 500 ms. */
  pauseMs?: number;
  /** Longest pause. Default 30 s. */
  maxPauseMs?: number;
  /** Told when receiving pauses and resumes. */
  onPause?: (info: { pausedMs: number; err: unknown }) => void;
  onResume?: (info: { pausedMs: number }) => void;
  /**
   * The queue's visibility timeout; while a batch is being handled its messages' visibility is extended
   * every half of it, so a slow batch is never delivered a second time meanwhile. Default: read from the
   * queue's attributes.
   */
  visibilityTimeoutSeconds?: number;
  /** Stop extending after this long (a hung handler must not hide its messages forever). Default 5 min. */
  maxExtensionMs?: number;
  /**
   * Batching window (what Lambda's SQS event source calls MaximumBatchingWindowInSeconds): after a receive
   * that got some messages but not a full batch, the next receive waits until this long after it, so
   * what arrives meanwhile comes in one fuller batch (one receive and one delete for several messages, and
   * a stream's run of events applied with one read and one write) instead of a trickle of small ones. A
   * full batch, or an empty receive, goes on at once. Default 200 ms; 0 turns it off.
   */
  batchWindowMs?: number;
}

function toRecord(m: Message): SqsRecord {
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle,
    body: m.Body ?? '',
    attributes: { ...(m.Attributes ?? {}) },
  };
}

/** Local stand-in for the Lambda SQS event source: receive, handle, delete what succeeded. */
export class QueueConsumerRunner {
  private readonly o: QueueConsumerRunnerOptions;
  private readonly loop = new BackgroundLoop(() => this.run());
  private lastDlqCheck = 0;
  private lastDlqDepth = 0;
  /** Aborts a long poll waiting for messages when stopping (batches being handled still finish); one per run. */
  private polls = new AbortController();

  constructor(opts: QueueConsumerRunnerOptions) {
    this.o = opts;
  }

  start(): void {
    this.loop.start();
  }

  /** Cuts a waiting long poll short, finishes the batches being handled, then resolves. */
  async stop(): Promise<void> {
    const stopped = this.loop.stop(); // marks the loop stopping and wakes its sleeps at once
    this.polls.abort();
    await stopped;
  }

  private get stopping(): boolean {
    return this.loop.stopping;
  }

  /** Messages waiting in the dead-letter queue (visible + in flight). */
  async dlqDepth(): Promise<number> {
    if (!this.o.dlqUrl) return 0;
    const out = await this.o.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.o.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /** Receives and handles one batch; returns how many messages were received. */
  async pollOnce(): Promise<number> {
    const records = await this.receive(this.o.waitTimeSeconds ?? 5);
    if (records.length > 0) await this.handleAndDelete(records);
    return records.length;
  }

  private async receive(waitTimeSeconds: number): Promise<SqsRecord[]> {
    const out = await this.o.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.o.queueUrl,
        MaxNumberOfMessages: this.o.maxMessages ?? 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['MessageGroupId', 'ApproximateReceiveCount', 'SentTimestamp'],
      }),
      // a message received just as the poll is aborted stays invisible until its visibility timeout, then
      // comes back: at least once, as always
      { abortSignal: this.polls.signal },
    );
    return (out.Messages ?? []).map(toRecord);
  }

  /** The queue's visibility timeout in seconds (asked once). */
  private visibility: Promise<number> | undefined;

  private visibilityTimeout(): Promise<number> {
    if (this.o.visibilityTimeoutSeconds !== undefined) return Promise.resolve(this.o.visibilityTimeoutSeconds);
    this.visibility ??= this.o.sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: this.o.queueUrl, AttributeNames: ['VisibilityTimeout'] }))
      .then((out) => Number(out.Attributes?.VisibilityTimeout ?? 30));
    // asked again next time if it failed
    this.visibility.catch(() => (this.visibility = undefined));
    return this.visibility;
  }

  /**
   * Keeps the batch invisible while it is handled: every half visibility timeout its messages get a fresh
   * one. Without it a batch slower than the timeout is received again and handled twice at once.
   */
  private async heartbeat(records: SqsRecord[]): Promise<() => void> {
    const withHandle = records.filter((r) => r.receiptHandle);
    let seconds: number;
    try {
      seconds = await this.visibilityTimeout();
    } catch (err) {
      this.o.onError?.(err);
      return () => undefined;
    }
    if (withHandle.length === 0 || !(seconds > 0)) return () => undefined;
    const started = Date.now();
    const maxMs = this.o.maxExtensionMs ?? 300_000;
    const timer = setInterval(() => {
      if (Date.now() - started > maxMs) {
        clearInterval(timer);
        this.o.onError?.(new Error(`a batch of ${withHandle.length} message(s) is still being handled after ${maxMs} ms; no longer extending its visibility`));
        return;
      }
      this.o.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.o.queueUrl,
            Entries: withHandle.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle!, VisibilityTimeout: seconds })),
          }),
        )
        .then((out) => {
          if (out.Failed && out.Failed.length > 0) this.o.onError?.(new Error(`visibility extension refused for ${out.Failed.length} message(s): ${out.Failed[0]!.Message ?? out.Failed[0]!.Code}`));
        })
        .catch((err: unknown) => this.o.onError?.(err));
    }, (seconds * 1000) / 2);
    return () => clearInterval(timer);
  }

  private async handleAndDelete(records: SqsRecord[]): Promise<void> {
    const stopHeartbeat = await this.heartbeat(records);
    let batchItemFailures: SqsBatchResponse['batchItemFailures'];
    try {
      ({ batchItemFailures } = await this.o.handler({ Records: records }));
    } finally {
      stopHeartbeat();
    }
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const done = records.filter((r) => !failed.has(r.messageId) && r.receiptHandle);
    if (done.length > 0) {
      const del = await this.o.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.o.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle! })),
        }),
      );
      // not deleted → redelivered and applied again, which idempotent consumers absorb
      if (del.Failed && del.Failed.length > 0) this.o.onError?.(new Error(`delete failed for ${del.Failed.length} message(s)`));
    }
    if (failed.size > 0) await this.checkDependency();
  }

  /** Set while the probe fails: receiving waits for it. */
  private paused: Promise<void> | undefined;

  /**
   * After failures: if the dependency does not answer, receiving pauses until it does (exponential). Not
   * awaited by the batch, so what it did handle is deleted at once.
   */
  private async checkDependency(): Promise<void> {
    const { probe } = this.o;
    if (!probe || this.paused) return;
    try {
      await probe();
    } catch (err) {
      if (this.paused || this.stopping) return;
      const paused: Promise<void> = this.pauseUntilUp(probe, err).finally(() => {
        if (this.paused === paused) this.paused = undefined;
      });
      this.paused = paused;
    }
  }

  private async pauseUntilUp(probe: () => Promise<void>, firstErr: unknown): Promise<void> {
    const started = Date.now();
    const maxMs = this.o.maxPauseMs ?? 30_000;
    let wait = Math.min(maxMs, this.o.pauseMs ?? 500);
    let err = firstErr;
    while (!this.stopping) {
      this.o.onPause?.({ pausedMs: wait, err });
      await this.loop.sleep(wait);
      if (this.stopping) return;
      try {
        await probe();
        this.o.onResume?.({ pausedMs: Date.now() - started });
        return;
      } catch (e) {
        err = e;
        wait = Math.min(maxMs, wait * 2);
      }
    }
  }

  private async run(): Promise<void> {
    this.polls = new AbortController();
    const onError = this.o.onError ?? ((e: unknown) => console.error('[consumer]', e));
    const concurrency = Math.max(1, this.o.concurrency ?? 1);
    const inFlight = new Set<Promise<void>>();
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    let failures = 0;
    const windowMs = this.o.batchWindowMs ?? 200;
    const fullBatch = this.o.maxMessages ?? 10;
    /** When the next receive may go: set after a receive that got a partial batch (see batchWindowMs). */
    let nextReceiveAt = 0;
    while (!this.stopping) {
      try {
        if (inFlight.size >= concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        // a dependency is down: receive nothing until it answers (the batches in flight finish meanwhile)
        if (this.paused) {
          await this.paused;
          continue;
        }
        const wait = nextReceiveAt - Date.now();
        if (wait > 0) {
          await this.loop.sleep(wait);
          if (this.stopping) break;
        }
        // long-poll only when nothing is in flight; otherwise take what is there and go on
        const records = await this.receive(inFlight.size > 0 ? 0 : (this.o.waitTimeSeconds ?? 5));
        nextReceiveAt = records.length > 0 && records.length < fullBatch ? Date.now() + windowMs : 0;
        failures = 0;
        if (records.length > 0) {
          const batch: Promise<void> = this.handleAndDelete(records)
            .catch(onError)
            .finally(() => inFlight.delete(batch));
          inFlight.add(batch);
        } else if (inFlight.size > 0) {
          // nothing else to take now: wait for a batch to finish (its groups free up, and the next
          // receive may long-poll again)
          await Promise.race(inFlight);
        }
        await this.checkDlq();
      } catch (err) {
        if (this.stopping) break;
        failures++;
        onError(err);
        await sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
    await Promise.all(inFlight);
  }

  private async checkDlq(): Promise<void> {
    if (!this.o.onPoison || !this.o.dlqUrl) return;
    if (Date.now() - this.lastDlqCheck < (this.o.dlqCheckMs ?? 10_000)) return;
    this.lastDlqCheck = Date.now();
    const depth = await this.dlqDepth();
    // told when the depth changes, not every check: a message left for a human would repeat it forever
    if (depth > 0 && depth !== this.lastDlqDepth) this.o.onPoison({ dlqUrl: this.o.dlqUrl, depth });
    this.lastDlqDepth = depth;
  }
}
