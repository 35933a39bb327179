/**
 * Local stand-in for the Lambda event-source mapping of an event table's stream: polls the stream, hands
 * batches to the forwarder handler (forwarder.ts) and checkpoints per shard in the checkpoints table.
 * Delivery is at least once: publish, then checkpoint (see `checkpointIntervalMs` for how much a crash
 * republishes).
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
import type { DynamoDBRecord } from 'aws-lambda';
import { BackgroundLoop } from './background-loop';
import type { ForwarderHandler } from './forwarder';

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
  private readonly loop = new BackgroundLoop(() => this.run());

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
    this.loop.start();
  }

  /** Stops after the in-flight batch is published and checkpointed (every position kept is written). */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Writes the positions kept in memory but not yet in the checkpoints table. */
  async flushCheckpoints(): Promise<void> {
    for (const [shardId, s] of [...this.state]) {
      if (s.unsaved) await this.save(shardId, s);
    }
  }

  /**
   * One pass over every shard (the loop's step); returns the number of records forwarded. Positions are
   * written per `checkpointIntervalMs`: a caller that drives passes itself calls `flushCheckpoints()` after its last.
   */
  async pollOnce(): Promise<number> {
    if (this.shards.length === 0 || Date.now() - this.shardsAt > this.o.shardRefreshMs) await this.refreshShards();
    let forwarded = 0;
    for (const shard of this.readyShards()) {
      if (this.loop.stopping) break;
      forwarded += await this.pollShard(shard);
    }
    return forwarded;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let idle = 0;
    while (!this.loop.stopping) {
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
      if (failures > 0) await this.loop.sleep(Math.min(5000, 200 * 2 ** failures));
      else if (idle > 0) await this.loop.sleep(Math.min(this.o.maxPollIntervalMs, this.o.pollIntervalMs * 2 ** (idle - 1)));
      else if (forwarded < this.o.batchSize && this.o.batchWindowMs > 0) await this.loop.sleep(this.o.batchWindowMs);
    }
    try {
      await this.flushCheckpoints();
    } catch (err) {
      this.o.onError(err);
    }
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
      // the SDK's stream records are what Lambda hands the handler, but for the timestamp's type (Date, not a number)
      await this.o.handler({ Records: records as DynamoDBRecord[] });
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
        if (this.loop.stopping || !(err instanceof ExpiredIteratorException)) throw err;
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
