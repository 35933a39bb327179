/** The forwarder Lambda: stream records → PublishBatch calls, in order per stream, stopping at a refusal. */
import type { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { eventToItem } from './dynamodb';
import { createForwarderHandler, type StreamRecordLike } from './forwarder';
import type { StoredEvent } from './types';
import { storedEvent } from './testing/events';

const ev = storedEvent;
const insert = (e: StoredEvent): StreamRecordLike => ({ eventName: 'INSERT', dynamodb: { NewImage: eventToItem(e) as never } });

/** A fake SNS that records each PublishBatch and refuses the entries named in `refuse`. */
function fakeSns(refuse: string[] = []) {
  const batches: string[][] = [];
  const sns = {
    send: async (cmd: PublishBatchCommand) => {
      const entries = cmd.input.PublishBatchRequestEntries ?? [];
      batches.push(entries.map((x) => x.MessageDeduplicationId!));
      const failed = entries.filter((x) => refuse.includes(x.MessageDeduplicationId!));
      return { Successful: [], Failed: failed.map((x) => ({ Id: x.Id, Code: 'Refused', SenderFault: false })) };
    },
  };
  return { sns: sns as unknown as SNSClient, batches };
}

test('at most one event per stream in a batch, every stream in order, up to 10 entries', async () => {
  const { sns, batches } = fakeSns();
  const events = [...Array.from({ length: 3 }, (_, i) => ev('a', i + 1)), ...Array.from({ length: 12 }, (_, i) => ev(`s${i}`, 1))];
  await createForwarderHandler({ sns, topicArn: 'arn:topic' })({ Records: [...events.map(insert), { eventName: 'MODIFY' }] });
  const published = batches.flat();
  expect(published.sort()).toEqual(events.map((e) => e.eventId).sort());
  for (const b of batches) {
    expect(b.length).toBeLessThanOrEqual(10);
    expect(new Set(b.map((id) => id.split('-')[0])).size).toBe(b.length);
  }
  const order = batches.flat().filter((id) => id.startsWith('a-'));
  expect(order).toEqual(['a-1', 'a-2', 'a-3']);
});

test('a refused entry fails the call and nothing later of its stream is published', async () => {
  const { sns, batches } = fakeSns(['a-2']);
  const handler = createForwarderHandler({ sns, topicArn: 'arn:topic' });
  await expect(handler({ Records: [ev('a', 1), ev('a', 2), ev('a', 3)].map(insert) })).rejects.toThrow(/refused 1 of 1/);
  expect(batches.flat()).toEqual(['a-1', 'a-2']);
});
