/**
 * SQS FIFO queue → a consumer's `handle(event)`.
 *
 * `createSqsHandler` is the Lambda (SQS event source with ReportBatchItemFailures) and is also what the
 * local `QueueConsumerRunner` calls. Ordering: SQS FIFO delivers one message group (= one event stream) in
 * order; after a failure in a group every later message of that group in the batch is reported failed
 * too, so nothing of that stream is applied out of order. Failed messages come back after the visibility
 * timeout and, after MAX_RECEIVE_COUNT receives, move to the dead-letter queue, unblocking the group
 * (dead-letters.ts moves them back later, with backoff).
 *
 * Nothing freezes on a missing event: a projection that meets a gap throws the one `GapError`
 * (checkpoint.ts); given the source service's store, the handler reads the missing run from it, applies
 * it and then the message, so a lost, skipped or dead-lettered event is mended by the next one of its
 * stream. The runner keeps a batch's messages invisible while it is handled (visibility heartbeat) and
 * stops receiving while the handler's dependency does not answer (`probe`), so an outage does not burn
 * receive counts into the dead-letter queue.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { unavailableDependency } from '../platform/unavailable';
import { GapError } from './checkpoint';
import { type EventImage, itemToEvent } from './dynamodb';
import type { EventStore, StoredEvent } from './types';

/** The parts of a Lambda SQS record the handler reads. */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes?: { MessageGroupId?: string; ApproximateReceiveCount?: string; [k: string]: string | undefined };
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export type SqsHandler = (event: { Records: SqsRecord[] }) => Promise<SqsBatchResponse>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEnvelope(v: Record<string, unknown>): boolean {
  return typeof v.eventId === 'string' && typeof v.streamId === 'string' && typeof v.version === 'number' && typeof v.type === 'string';
}

/**
 * The envelope inside a message body, whatever wraps it: the raw envelope (raw delivery, replay), an SNS
 * notification (`{ Type: 'Notification', Message }`, raw delivery off), a stream record
 * (`{ dynamodb: { NewImage } }`) or a bare DynamoDB image.
 */
export function decodeEnvelope(body: string | Record<string, unknown>): StoredEvent {
  let v: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  for (let depth = 0; depth < 4; depth++) {
    if (!isObject(v)) break;
    if (isEnvelope(v)) return v as unknown as StoredEvent;
    if (typeof v.Message === 'string') {
      v = JSON.parse(v.Message);
      continue;
    }
    if (isObject(v.dynamodb) && isObject(v.dynamodb.NewImage)) return itemToEvent(v.dynamodb.NewImage as EventImage);
    if (isObject(v.NewImage)) return itemToEvent(v.NewImage as EventImage);
    if (isObject(v.streamId) && isObject(v.version)) return itemToEvent(v as EventImage);
    break;
  }
  throw new Error('message body is not an event envelope');
}

export interface SqsHandlerOptions {
  onError?: (err: unknown, record: SqsRecord) => void;
  /**
   * Takes a group's run of events (one stream, in order) at once instead of one by one, e.g. to read and
   * write a projected document once per batch. If it throws, the whole run is retried.
   */
  handleStream?: (events: StoredEvent[]) => Promise<void>;
  /**
   * The SOURCE service's event store. With it, a `GapError` (an earlier event of the stream never reached
   * this consumer: dead-lettered, skipped, or the projection was emptied) is healed in place: the missing
   * events are read from the store and applied, then the message is applied again (by then usually a
   * duplicate, skipped). Without it the message fails and comes back, as before. It also supplies the
   * data of an envelope the forwarder sent without it (`dataOmitted`, too large for SNS).
   */
  store?: Pick<EventStore, 'readStream'>;
  /** Told after each healed gap (default: nothing; the pipeline logs it). */
  onHealed?: (info: { streamId: string; fromVersion: number; applied: number }) => void;
}

/** Heals in a row for one message before it is failed (each heal reads the store once). */
const MAX_HEALS = 3;

/** A GapError, also one thrown by another copy of checkpoint.ts (checked by shape, not only by class). */
export function isGapError(err: unknown): err is GapError {
  if (err instanceof GapError) return true;
  const e = err as Partial<GapError> | null;
  return typeof e === 'object' && e !== null && e.name === 'GapError' && typeof e.streamId === 'string' && typeof e.expected === 'number';
}

/**
 * Whether an error says a dependency is unreachable or too slow (MongoDB, the AWS SDK, a refused or reset
 * connection) rather than that this message is wrong: the one classification the API also answers 503 by.
 */
export const isDependencyDown = (err: unknown): boolean => unavailableDependency(err) !== null;

/** One message group's records of a batch, in order, decoded or with why not. */
type Lane = Array<{ record: SqsRecord; event?: StoredEvent; error?: unknown }>;

export function createSqsHandler(handle: (event: StoredEvent) => Promise<void>, opts: SqsHandlerOptions = {}): SqsHandler {
  const { handleStream, store } = opts;
  const applyRun = async (events: StoredEvent[]) => {
    if (handleStream) await handleStream(events);
    else for (const e of events) await handle(e);
  };

  /** Applies the missing run the store holds from the version the gap asks for. */
  async function heal(gap: GapError): Promise<void> {
    const missing = await store!.readStream(gap.streamId, { fromVersion: gap.expected });
    // the store lacks it too (a projection asking for a version that was never written): nothing to heal from
    if (missing[0]?.version !== gap.expected) throw gap;
    await applyRun(missing);
    opts.onHealed?.({ streamId: gap.streamId, fromVersion: gap.expected, applied: missing.length });
  }

  /** Runs `apply`; on a gap, heals it from the store and runs it again. */
  async function healing(apply: () => Promise<void>): Promise<void> {
    for (let heals = 0; ; heals++) {
      try {
        return await apply();
      } catch (err) {
        if (!store || !isGapError(err) || heals >= MAX_HEALS) throw err;
        await heal(err);
      }
    }
  }

  /** An envelope sent without its data (see forwarder.ts messageBody) gets it from the store. */
  async function complete(event: StoredEvent): Promise<StoredEvent> {
    if (!(event as { dataOmitted?: unknown }).dataOmitted) return event;
    if (!store) throw new Error(`${event.streamId} v${event.version} came without its data and this consumer has no store to read it from`);
    const [stored] = await store.readStream(event.streamId, { fromVersion: event.version });
    if (stored?.version !== event.version) throw new Error(`${event.streamId} v${event.version} is not in the store`);
    return stored;
  }

  /**
   * Lanes being handled, by message group. SQS FIFO hands out one message of a group at a time, except
   * when a message's visibility ran out while it was still being handled: then its redelivery waits here
   * for the first delivery to finish, so within a process two deliveries of a stream never interleave
   * (projections writing by `_id` alone rely on it, see checkpoint.ts WriteGuard).
   */
  const running = new Map<string, Promise<void>>();

  /** Handles one group's messages in order; returns the ids of those that failed. */
  async function handleLane(lane: Lane): Promise<string[]> {
    if (handleStream) {
      // the decodable run up to the first undecodable message goes in one call; the rest fails
      const end = lane.findIndex((x) => !x.event);
      let failedFrom = end === -1 ? lane.length : end;
      if (end !== -1) opts.onError?.(lane[end]!.error, lane[end]!.record);
      try {
        if (failedFrom > 0) {
          const events = await Promise.all(lane.slice(0, failedFrom).map((x) => complete(x.event!)));
          await healing(() => handleStream(events));
        }
      } catch (err) {
        opts.onError?.(err, lane[0]!.record);
        failedFrom = 0;
      }
      return lane.slice(failedFrom).map((x) => x.record.messageId);
    }
    let failed = false;
    const failedIds: string[] = [];
    for (const { record, event, error } of lane) {
      // after a failure every later message of the group fails too: nothing applied out of order
      if (failed) {
        failedIds.push(record.messageId);
        continue;
      }
      try {
        if (!event) throw error;
        const full = await complete(event);
        await healing(() => handle(full));
      } catch (err) {
        opts.onError?.(err, record);
        failed = true;
        failedIds.push(record.messageId);
      }
    }
    return failedIds;
  }

  return async ({ Records }) => {
    // One lane per message group, in the batch's order; lanes run in parallel (streams are independent).
    // A record with no group attribute goes by its event's stream; one that can't be decoded fails alone.
    const lanes = new Map<string, Lane>();
    Records.forEach((record, i) => {
      let event: StoredEvent | undefined;
      let error: unknown;
      try {
        event = decodeEnvelope(record.body);
      } catch (err) {
        error = err;
      }
      const group = record.attributes?.MessageGroupId ?? event?.streamId ?? `undecodable-${i}`;
      const lane = lanes.get(group) ?? [];
      lane.push({ record, ...(event ? { event } : { error }) });
      lanes.set(group, lane);
    });
    const failures: SqsBatchResponse['batchItemFailures'] = [];
    const serially = async (group: string, run: () => Promise<void>) => {
      const before = running.get(group);
      const mine = (before ? before.then(run, run) : run()).finally(() => {
        if (running.get(group) === mine) running.delete(group);
      });
      running.set(group, mine);
      await mine;
    };
    await Promise.all(
      [...lanes.entries()].map(([group, lane]) =>
        serially(group, async () => {
          for (const id of await handleLane(lane)) failures.push({ itemIdentifier: id });
        }),
      ),
    );
    return { batchItemFailures: failures };
  };
}

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
   * in flight, so order holds. (On moto a long poll keeps the list of busy groups it took when it began:
   * overlapping receives could hand out a group's next message while the one before is still being handled,
   * and a long poll facing only busy groups spins at full CPU until its wait ends.) Default 1.
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
  private loop: Promise<void> | undefined;
  private stopping = false;
  private lastDlqCheck = 0;
  private lastDlqDepth = 0;
  /** Aborts a long poll waiting for messages when stopping (batches being handled still finish). */
  private polls = new AbortController();

  constructor(opts: QueueConsumerRunnerOptions) {
    this.o = opts;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.polls = new AbortController();
    this.loop = this.run();
  }

  /** Cuts a waiting long poll short, finishes the batches being handled, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.polls.abort();
    await this.loop;
    this.loop = undefined;
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
      await this.sleepUnlessStopping(wait);
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

  private sleepUnlessStopping(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const { signal } = this.polls;
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async run(): Promise<void> {
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
          await this.sleepUnlessStopping(wait);
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
