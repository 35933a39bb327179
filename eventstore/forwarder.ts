/**
 * Event table stream → SNS FIFO topic: the Lambda handler (DynamoDB stream event source), free of local
 * concerns. Locally, `StreamForwarderRunner` (stream-runner.ts) stands in for the event-source mapping.
 *
 * Delivery is at least once (publish, then checkpoint). A crash republishes what was published since the
 * last checkpoint; that is harmless because the topic dedups on the event id for 5 minutes and consumers
 * apply idempotently (checkpoint.ts). Order: records of one stream are published one after another and a
 * failure stops that stream's sequence, so a retry can never overtake an earlier event.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBStreamEvent, DynamoDBStreamHandler } from 'aws-lambda';
import { itemToEvent } from './dynamodb-items';
import { ATTRIBUTE_BYTES, publishEntry } from './sns-message';
import type { StoredEvent } from './types';

/** The forwarder Lambda: a `DynamoDBStreamHandler` that needs no context and fails the whole batch on error. */
export type ForwarderHandler = (event: DynamoDBStreamEvent) => Promise<void>;

/** SNS limits for one PublishBatch: 10 entries, 256 KiB in all (messages and their attributes). */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 250 * 1024;
/** Tries of an entry SNS refuses as the sender's fault before it is skipped (see publishInOrder). */
const PERMANENT_REFUSALS = 3;
/** Streams are spread over this many lanes published in parallel. */
const LANES = 4;

export interface ForwarderDeps {
  sns: SNSClient;
  topicArn: string;
  /**
   * Told about each entry skipped after SNS refused it for good (default: a console.error line). This is
   * the one signal of a skip (workers/pipeline.ts logs it with the service name): hook an alert here.
   */
  onSkipped?: (info: { event: StoredEvent; code: string; message: string }) => void;
}

export function createForwarderHandler(deps: ForwarderDeps): ForwarderHandler {
  const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
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
  return handler satisfies DynamoDBStreamHandler;
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
