/**
 * Replay via queue: re-delivers a service's whole history to ONE consumer's queue. Used by the pipeline's
 * catch-up of a queue newer than its store (workers/pipeline.ts catchUpQueue), and by
 * `npm run replay -- --rebuild --via-queue` to exercise the pipeline. (A rebuild of a read model is
 * projections/rebuild.ts: straight from the store, without the queue, several thousand events/s here
 * against about 70 through the queue.)
 *
 * Messages look exactly like live ones (raw envelope body, group = stream id) but carry the dedup id
 * `${eventId}:replay:${runId}`, so the queue does not drop them as duplicates of the live deliveries of
 * the last 5 minutes; the consumer's checkpoints (eventstore/checkpoint.ts) skip what it has.
 *
 * `truncate` first empties the consumer's read model (the caller passes how: projections/index.ts knows
 * each consumer's). Live messages queued ahead of the replay then meet an empty read model; the consumer
 * heals such a gap by reading the stream from the store (consumer.ts). On MongoDB (writes guarded by the
 * checkpoint) this may run while the consumer runs; on FerretDB (writes by `_id` alone, see checkpoint.ts)
 * stop the consumer first: a live write landing between the truncate and the replay would leave a document
 * the replay then skips.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { fifoId, messageGroupId } from './fifo-ids';
import { messageAttributes, messageBody } from './sns-message';
import type { EventStore, StoredEvent } from './types';

export interface ReplayOptions {
  store: Pick<EventStore, 'readAll'>;
  sqs: SQSClient;
  queueUrl: string;
  /** Defaults to a fresh id; reuse one to make a re-run of an interrupted replay dedup against itself. */
  runId?: string;
  /** Empties the consumer's read model before the history is sent. */
  truncate?: () => Promise<void>;
  onProgress?: (sent: number) => void;
}

export interface ReplayReport {
  runId: string;
  sent: number;
  streams: number;
  /** Whether the read model was emptied first. */
  truncated: boolean;
}

/** SQS caps the dedup id at 128 characters of a limited set; other ids are hashed (fifo-ids.ts). */
function replayDedupId(eventId: string, runId: string): string {
  return fifoId(`${eventId}:replay:${runId}`);
}

export async function replayViaQueue(opts: ReplayOptions): Promise<ReplayReport> {
  const runId = opts.runId ?? randomUUID().slice(0, 8);
  if (opts.truncate) await opts.truncate();
  let sent = 0;
  const streams = new Set<string>();
  let batch: StoredEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const entries: SendMessageBatchRequestEntry[] = batch.map((e, i) => ({
      Id: String(i),
      MessageBody: messageBody(e),
      MessageGroupId: messageGroupId(e.streamId),
      MessageDeduplicationId: replayDedupId(e.eventId, runId),
      MessageAttributes: messageAttributes(e),
    }));
    const out = await opts.sqs.send(new SendMessageBatchCommand({ QueueUrl: opts.queueUrl, Entries: entries }));
    // a hole in a stream would stall it behind GapErrors: stop; re-running with the same runId is safe
    if (out.Failed && out.Failed.length > 0) {
      throw new Error(`replay ${runId}: ${out.Failed.length} message(s) refused after ${sent} sent: ${out.Failed[0]?.Message ?? ''}`);
    }
    sent += batch.length;
    batch = [];
    opts.onProgress?.(sent);
  };
  for await (const e of opts.store.readAll()) {
    streams.add(e.streamId);
    batch.push(e);
    if (batch.length === 10) await flush();
  }
  await flush();
  return { runId, sent, streams: streams.size, truncated: opts.truncate !== undefined };
}
