/**
 * Event table stream → SNS FIFO topic.
 *
 * `createForwarderHandler` is the Lambda (DynamoDB stream event source) and stays free of local concerns.
 * `StreamForwarderRunner` stands in for the event-source mapping when running locally: it polls the
 * table's stream, hands batches to the handler and checkpoints per shard in the checkpoints table.
 *
 * Delivery is at least once (publish, then checkpoint; the runner writes a shard's checkpoint at most once
 * a second while it keeps forwarding, and when it goes idle or stops). A crash republishes what was published
 * since the last checkpoint write; that is harmless because the topic dedups on the event id for 5 minutes
 * and consumers apply idempotently (checkpoint.ts). Order: records of one stream are published one after another and a
 * failure stops that stream's sequence, so a retry can never overtake an earlier event.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { type EventImage, itemToEvent } from './dynamodb';
import { fifoId, messageGroupId, safeJson, safeText } from './fifo-ids';
import type { StoredEvent } from './types';

/** The parts of a Lambda DynamoDB stream record the forwarder reads. */
export interface StreamRecordLike {
  eventID?: string;
  eventName?: string;
  eventSourceARN?: string;
  dynamodb?: { NewImage?: EventImage; Keys?: EventImage; SequenceNumber?: string };
}

export interface DynamoDBStreamEventLike {
  Records: StreamRecordLike[];
}

export type ForwarderHandler = (event: DynamoDBStreamEventLike) => Promise<void>;

/** The SNS message attributes a consumer can filter or route on without parsing the body. */
export function messageAttributes(e: StoredEvent) {
  return {
    type: { DataType: 'String', StringValue: safeText(e.type) },
    streamId: { DataType: 'String', StringValue: safeText(e.streamId) },
    version: { DataType: 'Number', StringValue: String(e.version) },
  };
}

/**
 * The message body of an event. One that would exceed what SNS takes (an event item may hold up to
 * 400 KB, a message 256 KiB) goes out as its envelope without `data` and with `dataOmitted: true`; the
 * consumer reads that event from the store (consumer.ts). Refusing it instead would stop the shard.
 */
export function messageBody(e: StoredEvent): string {
  const full = safeJson(e);
  if (Buffer.byteLength(full) + ATTRIBUTE_BYTES <= MAX_MESSAGE_BYTES) return full;
  return withoutData(e);
}

/** The envelope alone (`dataOmitted: true`): the consumer reads the event from the store. */
function withoutData(e: StoredEvent): string {
  const { data: _data, ...envelope } = e;
  return safeJson({ ...envelope, data: null, dataOmitted: true });
}

/**
 * The PublishBatch entry of an event: ids and text always valid (fifo-ids.ts). `omitData`: the envelope
 * alone, the last try of an event SNS keeps refusing (whatever in its data SNS objects to is then not sent).
 */
export function publishEntry(e: StoredEvent, id: string, omitData = false): PublishBatchRequestEntry {
  return {
    Id: id,
    Message: omitData ? withoutData(e) : messageBody(e),
    MessageGroupId: messageGroupId(e.streamId),
    MessageDeduplicationId: fifoId(e.eventId),
    MessageAttributes: messageAttributes(e),
  };
}

/** Entries SNS refused for good and the forwarder skipped (see publishInOrder): alert when it moves. */
export const forwarderStats = { skippedEntries: 0 };

/** SNS limits for one PublishBatch: 10 entries, 256 KiB in all (messages and their attributes). */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 250 * 1024;
/** SNS's limit for one message, attributes included. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Tries of an entry SNS refuses as the sender's fault before it is skipped (see publishInOrder). */
const PERMANENT_REFUSALS = 3;
/** A generous bound for one entry's message attributes (type, stream id, version). */
const ATTRIBUTE_BYTES = 1024;
/** Streams are spread over this many lanes published in parallel. */
const LANES = 4;

export interface ForwarderDeps {
  sns: SNSClient;
  topicArn: string;
  /** Told about each entry skipped after SNS refused it for good (default: console.error). */
  onSkipped?: (info: { event: StoredEvent; code: string; message: string }) => void;
}

export function createForwarderHandler(deps: ForwarderDeps): ForwarderHandler {
  return async (event) => {
    // Events are immutable: only INSERTs are events; anything else would be an operator's edit.
    const byStream = new Map<string, StoredEvent[]>();
    for (const r of event.Records) {
      if (r.eventName !== 'INSERT' || !r.dynamodb?.NewImage) continue;
      const e = itemToEvent(r.dynamodb.NewImage);
      const list = byStream.get(e.streamId) ?? [];
      list.push(e);
      byStream.set(e.streamId, list);
    }
    // Every stream (message group) goes to one lane; lanes run in parallel, each publishing its batches
    // one after another. A lane is opened per BATCH_ENTRIES streams only: a few streams share one lane and
    // so go out in one PublishBatch rather than one call each (every call costs ~1 ms of this process's CPU).
    const lanes: StoredEvent[][][] = Array.from({ length: Math.min(LANES, Math.ceil(byStream.size / BATCH_ENTRIES)) }, () => []);
    [...byStream.values()].forEach((events, i) => lanes[i % lanes.length]!.push(events));
    const results = await Promise.allSettled(lanes.map((streams) => publishInOrder(deps, streams)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // the whole batch is retried; what did get published is deduplicated by the topic
    if (failed) throw failed.reason;
  };
}

/**
 * Publishes several streams' events in PublishBatch calls, one after another, stopping at the first
 * failure. A batch holds at most ONE event per stream (the next one of each, round robin): SNS accepts
 * or refuses each entry on its own, so two events of a stream in one batch could land as "v4 yes, v3 no",
 * and the retry would put v3 after v4.
 */
async function publishInOrder(deps: ForwarderDeps, streams: StoredEvent[][]): Promise<void> {
  const pending = streams.map((events) => [...events]);
  // sender-fault refusals per event id, within this call
  const refusals = new Map<string, number>();
  // events whose last try goes without their data
  const stripped = new Set<string>();
  while (pending.some((q) => q.length > 0)) {
    const batch: PublishBatchRequestEntry[] = [];
    const taken: Array<{ event: StoredEvent; queue: StoredEvent[] }> = [];
    let bytes = 0;
    for (const q of pending) {
      if (q.length === 0 || batch.length === BATCH_ENTRIES) continue;
      const e = q[0]!;
      const entry = publishEntry(e, String(batch.length), stripped.has(e.eventId));
      const size = Buffer.byteLength(entry.Message!) + ATTRIBUTE_BYTES;
      if (batch.length > 0 && bytes + size > BATCH_BYTES) continue;
      q.shift();
      bytes += size;
      batch.push(entry);
      taken.push({ event: e, queue: q });
    }
    const out = await deps.sns.send(new PublishBatchCommand({ TopicArn: deps.topicArn, PublishBatchRequestEntries: batch }));
    if (!out.Failed || out.Failed.length === 0) continue;

    // Ids, text and size are made valid above, so a refusal is expected to be transient (throttling, an
    // internal error): the whole call fails and is retried. An entry refused as the sender's fault
    // PERMANENT_REFUSALS times would be refused forever and stop the shard: it is skipped, loudly. Its
    // consumers then meet a gap at the next event of the stream and read the event from the store.
    let transient: (typeof out.Failed)[number] | undefined;
    for (const f of out.Failed) {
      const t = taken[Number(f.Id)];
      if (!t) continue;
      const permanent = f.SenderFault === true && !/thrott/i.test(f.Code ?? '');
      const n = permanent ? (refusals.get(t.event.eventId) ?? 0) + 1 : 0;
      if (permanent) refusals.set(t.event.eventId, n);
      // the last try sends the envelope alone: if it lands, consumers read the event from the store, so
      // even the last event of a stream is not lost (a skipped one is only mended by a later event)
      if (permanent && n === PERMANENT_REFUSALS - 1) stripped.add(t.event.eventId);
      if (permanent && n >= PERMANENT_REFUSALS) {
        forwarderStats.skippedEntries++;
        const info = { event: t.event, code: f.Code ?? '', message: f.Message ?? '' };
        if (deps.onSkipped) deps.onSkipped(info);
        else console.error(`[forwarder] SKIPPED ${t.event.streamId} v${t.event.version} (${t.event.eventId}): SNS refused it ${n} times: ${info.code} ${info.message}`);
        continue;
      }
      if (!permanent) transient ??= f;
      // try it again: back at the head of its stream's queue, so nothing later of the stream overtakes it
      t.queue.unshift(t.event);
    }
    if (transient) {
      throw new Error(`SNS refused ${out.Failed.length} of ${batch.length} event(s), e.g. entry ${transient.Id}: ${transient.Code} ${transient.Message ?? ''}`);
    }
  }
}

export interface StreamForwarderRunnerOptions {
  streams: DynamoDBStreamsClient;
  dynamodb: DynamoDBClient;
  streamArn: string;
  /** The `${prefix}-checkpoints` table (platform/provision.ts). */
  checkpointTable: string;
  handler: ForwarderHandler;
  /** Pause after a poll that found nothing. Default 100 ms; it doubles with every further empty poll. */
  pollIntervalMs?: number;
  /** The longest pause while idle. Default 1 s. */
  maxPollIntervalMs?: number;
  /**
   * After a poll that found records but not a full batch, wait this long before the next one, so records
   * arriving one by one go out in fewer, fuller batches (Lambda's batching window). Default 200 ms.
   */
  batchWindowMs?: number;
  /** Records per GetRecords / handler call. Default 100. */
  batchSize?: number;
  /**
   * How often shards are re-listed (new shards appear when DynamoDB splits or rolls a shard over); they are
   * also re-listed at once when a shard is read to its end, so its children start without waiting. Default 30 s.
   */
  shardRefreshMs?: number;
  /**
   * A shard's checkpoint is written at most this often while it keeps forwarding (the position is kept in
   * memory after every batch), and at once when the shard goes idle, closes or the runner stops. A crash
   * republishes at most this much, which the topic's 5-minute deduplication and the consumers' per-version
   * checkpoints absorb (see the file comment). Default 1 s; 0 writes after every batch.
   */
  checkpointIntervalMs?: number;
  onError?: (err: unknown) => void;
  /** Called after each batch is published and its position kept (written per `checkpointIntervalMs`). */
  onBatch?: (info: { shardId: string; records: number; lastSequenceNumber: string }) => void;
}

interface ShardState {
  sequenceNumber?: string;
  /** A closed shard read to its end: its children may start. */
  done: boolean;
  /** Kept in memory, not yet written to the checkpoints table. */
  unsaved?: boolean;
}

/**
 * Local stand-in for the Lambda event-source mapping. One runner per table stream (two would publish
 * twice, which is safe but wasteful). A poll goes on from the previous poll's `NextShardIterator` (one
 * call per poll instead of two) when that poll's records were published and checkpointed; otherwise (first
 * poll of a shard, a failed handler or checkpoint, a refused or expired iterator) it takes a fresh iterator
 * from the checkpoint, so what was not checkpointed is always read again and a restart resumes exactly there.
 */
export class StreamForwarderRunner {
  private readonly o: Required<Omit<StreamForwarderRunnerOptions, 'onBatch'>> & Pick<StreamForwarderRunnerOptions, 'onBatch'>;
  private readonly state = new Map<string, ShardState>();
  /** Per shard, the iterator right after its checkpoint (set only once everything before it is checkpointed). */
  private readonly iterators = new Map<string, string>();
  /** Per shard, when its checkpoint was last written. */
  private readonly lastWrite = new Map<string, number>();
  private shards: Shard[] = [];
  private shardsAt = 0;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(opts: StreamForwarderRunnerOptions) {
    this.o = {
      pollIntervalMs: 100,
      maxPollIntervalMs: 1000,
      batchWindowMs: 200,
      batchSize: 100,
      shardRefreshMs: 30_000,
      checkpointIntervalMs: 1000,
      onError: (err) => console.error('[forwarder]', err),
      ...opts,
    };
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Stops after the in-flight batch is published and checkpointed (every position kept is written). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  /** Writes the positions kept in memory but not yet in the checkpoints table. */
  async flushCheckpoints(): Promise<void> {
    for (const [shardId, s] of [...this.state]) {
      if (s.unsaved) await this.save(shardId, s);
    }
  }

  /**
   * Runs one pass over every shard; returns the number of records forwarded. Used by tests and scripts:
   * positions are written per `checkpointIntervalMs`, so call `flushCheckpoints()` after the last pass.
   */
  async pollOnce(): Promise<number> {
    if (this.shards.length === 0 || Date.now() - this.shardsAt > this.o.shardRefreshMs) await this.refreshShards();
    let forwarded = 0;
    for (const shard of this.readyShards()) {
      if (this.stopping) break;
      forwarded += await this.pollShard(shard);
    }
    return forwarded;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let idle = 0;
    while (!this.stopping) {
      let forwarded = 0;
      try {
        forwarded = await this.pollOnce();
        failures = 0;
      } catch (err) {
        failures++;
        this.o.onError(err);
        if (err instanceof ExpiredIteratorException || err instanceof TrimmedDataAccessException) this.shardsAt = 0;
      }
      // keep draining while there is a backlog; back off (bounded) while idle or failing
      idle = forwarded > 0 ? 0 : idle + 1;
      // caught up: write what was forwarded since the last checkpoint write
      if (failures === 0 && idle > 0) {
        try {
          await this.flushCheckpoints();
        } catch (err) {
          failures++;
          this.o.onError(err);
        }
      }
      if (failures > 0) await this.sleep(Math.min(5000, 200 * 2 ** failures));
      else if (idle > 0) await this.sleep(Math.min(this.o.maxPollIntervalMs, this.o.pollIntervalMs * 2 ** (idle - 1)));
      else if (forwarded < this.o.batchSize && this.o.batchWindowMs > 0) await this.sleep(this.o.batchWindowMs);
    }
    try {
      await this.flushCheckpoints();
    } catch (err) {
      this.o.onError(err);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async refreshShards(): Promise<void> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.o.streams.send(new DescribeStreamCommand({ StreamArn: this.o.streamArn, ExclusiveStartShardId: start }));
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    this.shards = shards;
    this.shardsAt = Date.now();
  }

  /** Shards whose parent is finished (or gone), so a stream's records are forwarded in order across splits. */
  private readyShards(): Shard[] {
    const known = new Set(this.shards.map((s) => s.ShardId));
    return this.shards.filter((s) => {
      const parent = s.ParentShardId;
      if (!parent || !known.has(parent)) return true;
      return this.state.get(parent)?.done === true;
    });
  }

  private checkpointId(shardId: string): string {
    return `${this.o.streamArn}|${shardId}`;
  }

  private async load(shardId: string): Promise<ShardState> {
    const cached = this.state.get(shardId);
    if (cached) return cached;
    const out = await this.o.dynamodb.send(
      new GetItemCommand({ TableName: this.o.checkpointTable, Key: { id: { S: this.checkpointId(shardId) } }, ConsistentRead: true }),
    );
    const s: ShardState = { sequenceNumber: out.Item?.sequenceNumber?.S, done: out.Item?.done?.BOOL === true };
    this.state.set(shardId, s);
    return s;
  }

  private async save(shardId: string, s: ShardState): Promise<void> {
    const writtenAt = Date.now();
    await this.o.dynamodb.send(
      new PutItemCommand({
        TableName: this.o.checkpointTable,
        Item: {
          id: { S: this.checkpointId(shardId) },
          ...(s.sequenceNumber ? { sequenceNumber: { S: s.sequenceNumber } } : {}),
          done: { BOOL: s.done },
          updatedAt: { S: new Date(writtenAt).toISOString() },
        },
      }),
    );
    this.state.set(shardId, { sequenceNumber: s.sequenceNumber, done: s.done });
    this.lastWrite.set(shardId, writtenAt);
  }

  /**
   * Keeps the shard's new position (everything up to it is published) and writes it when the shard's last
   * write is `checkpointIntervalMs` old; otherwise it is written later (see run and flushCheckpoints).
   */
  private async advance(shardId: string, sequenceNumber: string): Promise<void> {
    const s: ShardState = { sequenceNumber, done: false };
    if (Date.now() - (this.lastWrite.get(shardId) ?? 0) >= this.o.checkpointIntervalMs) await this.save(shardId, s);
    else this.state.set(shardId, { ...s, unsaved: true });
  }

  private async pollShard(shard: Shard): Promise<number> {
    const shardId = shard.ShardId!;
    const s = await this.load(shardId);
    if (s.done) return 0;
    const out = await this.getRecords(shardId, s);
    if (!out) return 0;
    const records = out.Records ?? [];
    if (records.length > 0) {
      await this.o.handler({ Records: records as StreamRecordLike[] });
      const last = records[records.length - 1]!.dynamodb?.SequenceNumber;
      if (last) {
        await this.advance(shardId, last);
        this.o.onBatch?.({ shardId, records: records.length, lastSequenceNumber: last });
        // everything up to `last` is published and checkpointed: the next poll goes on from here
        if (out.NextShardIterator) this.iterators.set(shardId, out.NextShardIterator);
      }
    } else if (!out.NextShardIterator) {
      await this.save(shardId, { ...s, done: true });
      // its children follow it: list them now rather than at the next periodic refresh
      this.shardsAt = 0;
    } else {
      this.iterators.set(shardId, out.NextShardIterator);
      // this shard is quiet now: write a position kept back, even while other shards stay busy
      if (s.unsaved) await this.save(shardId, s);
    }
    return records.length;
  }

  /**
   * The shard's next records: from the previous poll's iterator when there is one (taken, so a failure
   * anywhere in this poll leaves none and the next poll starts over from the checkpoint), else from a
   * fresh iterator at the checkpoint. An iterator the stream refuses (expired: AWS keeps them 15 minutes)
   * is replaced by a fresh one at once.
   */
  private async getRecords(shardId: string, s: ShardState) {
    const cached = this.iterators.get(shardId);
    this.iterators.delete(shardId);
    if (cached) {
      try {
        return await this.o.streams.send(new GetRecordsCommand({ ShardIterator: cached, Limit: this.o.batchSize }));
      } catch (err) {
        // expired (AWS keeps iterators 15 minutes): start over from the checkpoint; any other error is the
        // poll's (reported, backed off; the next poll starts from the checkpoint, the iterator was taken)
        if (this.stopping || !(err instanceof ExpiredIteratorException)) throw err;
      }
    }
    const it = await this.o.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.o.streamArn,
        ShardId: shardId,
        ...(s.sequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: s.sequenceNumber }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    if (!it.ShardIterator) return undefined;
    return await this.o.streams.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: this.o.batchSize }));
  }
}
