/**
 * Replay through the queue. For a consumer that offers a direct rebuild (projections/index.ts
 * `rebuildFromStore`: read the store, fold with the consumer's own rules, bulk insert with the live
 * checkpoints; projections/rebuild.ts, which documents its own concurrency) `npm run replay -- --rebuild`
 * uses that instead (measured about 70 events/s here vs several thousand direct); this path stays for the
 * others and with `--via-queue`.
 *
 * Replay: re-delivers a service's whole history to ONE consumer's queue, e.g. after a projection bug
 * fix or to build a new read model. Messages look exactly like live ones (raw envelope body, group =
 * stream id) but carry the dedup id `${eventId}:replay:${runId}`, so the queue does not drop them as
 * duplicates of the live deliveries of the last 5 minutes; the consumer's applyOnce skips what it has.
 *
 * `rebuild` first clears the consumer's projection with the `rebuildHook` the caller passes
 * (scripts/replay.ts takes it from projections/index.ts, which knows each consumer's). Live messages
 * queued ahead of the replay then meet an empty projection; the consumer heals such a gap by reading the
 * stream from the store (consumer.ts). On MongoDB (writes guarded by the checkpoint) a rebuild may run while
 * the consumer runs; on FerretDB (writes by `_id` alone, see checkpoint.ts) stop the consumer first: a live
 * write landing between the truncate and the replay would leave a document the replay then skips.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { fifoId, messageGroupId } from './fifo-ids';
import { messageAttributes, messageBody } from './forwarder';
import type { EventStore, StoredEvent } from './types';

export type RebuildHook = () => Promise<void>;

export interface ReplayOptions {
  store: Pick<EventStore, 'readAll'>;
  sqs: SQSClient;
  queueUrl: string;
  consumer: string;
  rebuild?: boolean;
  /** Defaults to a fresh id; reuse one to make a re-run of an interrupted replay dedup against itself. */
  runId?: string;
  /** Empties the consumer's projection; required with `rebuild`. */
  rebuildHook?: RebuildHook;
  onProgress?: (sent: number) => void;
}

export interface ReplayReport {
  runId: string;
  sent: number;
  streams: number;
  rebuilt: boolean;
}

/** SQS caps the dedup id at 128 characters of a limited set; other ids are hashed (fifo-ids.ts). */
function replayDedupId(eventId: string, runId: string): string {
  return fifoId(`${eventId}:replay:${runId}`);
}

export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const runId = opts.runId ?? randomUUID().slice(0, 8);
  let rebuilt = false;
  if (opts.rebuild) {
    if (!opts.rebuildHook) throw new Error(`rebuild of ${opts.consumer} needs a rebuildHook that empties its projection`);
    await opts.rebuildHook();
    rebuilt = true;
  }
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
  return { runId, sent, streams: streams.size, rebuilt };
}
