/** The forwarder Lambda: stream records → PublishBatch calls, in order per stream, stopping at a refusal. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExpiredIteratorException, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { PublishBatchCommand, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import { eventToItem } from './dynamodb-items';
import { fifoId, messageGroupId } from './fifo-ids';
import type { DynamoDBRecord } from 'aws-lambda';
import { createForwarderHandler } from './forwarder';
import { messageBody } from './sns-message';
import { StreamForwarderRunner } from './stream-runner';
import type { StoredEvent } from './types';
import { storedEvent } from './testing/events';

const ev = storedEvent;
const insert = (e: StoredEvent): DynamoDBRecord => ({ eventName: 'INSERT', dynamodb: { NewImage: eventToItem(e) as never } });

/**
 * A fake SNS that records each PublishBatch and refuses the entries named in `refuse`: a transient refusal
 * by default, or one SNS blames on the sender (`Code` given).
 */
function fakeSns(refuse: string[] = [], refusal: { Code: string; SenderFault: boolean } = { Code: 'Refused', SenderFault: false }) {
  const batches: string[][] = [];
  const sns = {
    send: async (cmd: PublishBatchCommand) => {
      const entries = cmd.input.PublishBatchRequestEntries ?? [];
      batches.push(entries.map((x) => x.MessageDeduplicationId!));
      const failed = entries.filter((x) => refuse.includes(x.MessageDeduplicationId!));
      return { Successful: [], Failed: failed.map((x) => ({ Id: x.Id, ...refusal })) };
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

test('a few streams share one PublishBatch call; more than 10 streams spread over parallel lanes', async () => {
  const few = fakeSns();
  await createForwarderHandler({ sns: few.sns, topicArn: 'arn:topic' })({ Records: ['a', 'b', 'c'].map((id) => insert(ev(id, 1))) });
  expect(few.batches).toEqual([['a-1', 'b-1', 'c-1']]);
  const many = fakeSns();
  await createForwarderHandler({ sns: many.sns, topicArn: 'arn:topic' })({ Records: Array.from({ length: 25 }, (_, i) => insert(ev(`s${i}`, 1))) });
  expect(many.batches.map((b) => b.length).sort()).toEqual([8, 8, 9]);
});

test('a refused entry fails the call and nothing later of its stream is published', async () => {
  const { sns, batches } = fakeSns(['a-2']);
  const handler = createForwarderHandler({ sns, topicArn: 'arn:topic' });
  await expect(handler({ Records: [ev('a', 1), ev('a', 2), ev('a', 3)].map(insert) })).rejects.toThrow(/refused 1 of 1/);
  expect(batches.flat()).toEqual(['a-1', 'a-2']);
});

describe('valid FIFO ids for any stream', () => {
  /** Records every entry published. */
  function recordingSns() {
    const entries: PublishBatchRequestEntry[] = [];
    const sns = {
      send: async (cmd: PublishBatchCommand) => {
        entries.push(...(cmd.input.PublishBatchRequestEntries ?? []));
        return { Successful: [], Failed: [] };
      },
    };
    return { sns: sns as unknown as SNSClient, entries };
  }
  const VALID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

  it('a 300-character email stream id gets one stable, valid group id; short valid ids stay as they are', async () => {
    const email = `email-${'a'.repeat(280)}@example.com`;
    expect(email.length).toBeGreaterThan(290);
    const { sns, entries } = recordingSns();
    const events = [ev(email, 1), ev(email, 2), ev('user-1', 1), ev('email-zoë@exämple.com', 1)];
    await createForwarderHandler({ sns, topicArn: 'arn:topic' })({ Records: events.map(insert) });
    const groups = entries.map((x) => x.MessageGroupId!);
    for (const id of [...groups, ...entries.map((x) => x.MessageDeduplicationId!)]) expect(id).toMatch(VALID);
    const ofEmail = entries.filter((x) => JSON.parse(x.Message!).streamId === email).map((x) => x.MessageGroupId);
    expect(ofEmail).toEqual([messageGroupId(email), messageGroupId(email)]);
    expect(messageGroupId(email)).toMatch(/^~h:[0-9a-f]{64}$/);
    expect(messageGroupId(email)).not.toBe(messageGroupId(`${email}x`));
    expect(groups).toContain('user-1');
    // not ASCII: hashed as well, and distinct
    expect(messageGroupId('email-zoë@exämple.com')).toMatch(/^~h:/);
    expect(fifoId('a'.repeat(128))).toBe('a'.repeat(128));
    expect(fifoId('a'.repeat(129))).toMatch(/^~h:/);
    expect(fifoId('has space')).toMatch(/^~h:/);
  });

  it('text SQS would refuse is escaped, still the same JSON', () => {
    const e = { ...ev('s', 1), data: { note: 'a\uFFFEb\uFFFF\u0001' } };
    const body = messageBody(e);
    expect(body).not.toMatch(/[\uFFFE\uFFFF\u0001]/);
    expect(JSON.parse(body)).toEqual(e);
  });

  it('an event too large for SNS goes out without its data, marked for the consumer to read it from the store', () => {
    const e = { ...ev('s', 1), data: { blob: 'x'.repeat(300 * 1024) } };
    expect(JSON.parse(messageBody(e))).toEqual({ ...e, data: null, dataOmitted: true });
    expect(JSON.parse(messageBody(ev('s', 2)))).toEqual(ev('s', 2));
  });
});

test('an entry SNS refuses for good (sender fault, 3 times) is skipped loudly; later events of its stream still go', async () => {
  const { sns, batches } = fakeSns(['a-2'], { Code: 'InvalidParameter', SenderFault: true });
  const skipped: string[] = [];
  const handler = createForwarderHandler({ sns, topicArn: 'arn:topic', onSkipped: ({ event, code }) => skipped.push(`${event.eventId} ${code}`) });
  await handler({ Records: [ev('a', 1), ev('a', 2), ev('a', 3)].map(insert) });
  expect(batches.flat()).toEqual(['a-1', 'a-2', 'a-2', 'a-2', 'a-3']);
  expect(skipped).toEqual(['a-2 InvalidParameter']);
});

test('the last try of an entry SNS keeps refusing goes without its data: it lands, and consumers read it from the store', async () => {
  const messages: string[] = [];
  const sns = {
    send: async (cmd: PublishBatchCommand) => {
      const entries = cmd.input.PublishBatchRequestEntries ?? [];
      // SNS objects to something in a-2's data, not to its envelope
      const failed = entries.filter((x) => x.MessageDeduplicationId === 'a-2' && !x.Message!.includes('"dataOmitted":true'));
      messages.push(...entries.filter((x) => !failed.includes(x)).map((x) => x.Message!));
      return { Successful: [], Failed: failed.map((x) => ({ Id: x.Id, Code: 'InvalidParameter', SenderFault: true })) };
    },
  } as unknown as SNSClient;
  const skipped: string[] = [];
  await createForwarderHandler({ sns, topicArn: 'arn:topic', onSkipped: ({ event }) => skipped.push(event.eventId) })({ Records: [ev('a', 1), ev('a', 2)].map(insert) });
  expect(skipped).toEqual([]);
  expect(messages.map((m) => JSON.parse(m) as { version: number; dataOmitted?: boolean })).toEqual([
    expect.objectContaining({ version: 1 }),
    expect.objectContaining({ version: 2, dataOmitted: true }),
  ]);
});

describe('StreamForwarderRunner (the local event-source mapping)', () => {
  /** A one-shard stream whose iterators encode a position (as dynoxide's do), and a checkpoints table. */
  /** A runner on the fake stream (`arn:stream`, checkpoints in `cp`); `o` adds or overrides options. */
  function runnerOn(f: ReturnType<typeof fakeStream>, o: Partial<ConstructorParameters<typeof StreamForwarderRunner>[0]>) {
    return new StreamForwarderRunner({ streams: f.streams, dynamodb: f.dynamodb, streamArn: 'arn:stream', checkpointTable: 'cp', handler: async () => undefined, ...o });
  }

  function fakeStream(count: number) {
    const calls: string[] = [];
    const checkpoints = new Map<string, string>();
    let refuseIterators = false;
    const records = Array.from({ length: count }, (_, i) => ({ ...insert(ev('s', i + 1)), dynamodb: { ...insert(ev('s', i + 1)).dynamodb, SequenceNumber: String(i + 1) } }));
    const streams = {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = cmd.constructor.name.replace(/Command$/, '');
        calls.push(name);
        if (name === 'DescribeStream') return { StreamDescription: { Shards: [{ ShardId: 'sh1' }] } };
        if (name === 'GetShardIterator') return { ShardIterator: `it:${(cmd.input.SequenceNumber as string | undefined) ?? '0'}` };
        const it = cmd.input.ShardIterator as string;
        if (refuseIterators && calls.filter((c) => c === 'GetShardIterator').length === 0) throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
        const after = Number(it.slice(3));
        const out = records.filter((r) => Number(r.dynamodb.SequenceNumber) > after).slice(0, cmd.input.Limit as number);
        return { Records: out, NextShardIterator: `it:${out.at(-1)?.dynamodb.SequenceNumber ?? after}` };
      },
    } as unknown as DynamoDBStreamsClient;
    const dynamodb = {
      send: async (cmd: { constructor: { name: string }; input: { Key?: { id: { S: string } }; Item?: { id: { S: string }; sequenceNumber?: { S: string } } } }) => {
        const name = cmd.constructor.name.replace(/Command$/, '');
        calls.push(name);
        if (name === 'GetItem') {
          const seq = checkpoints.get(cmd.input.Key!.id.S);
          return { Item: seq ? { sequenceNumber: { S: seq }, done: { BOOL: false } } : undefined };
        }
        checkpoints.set(cmd.input.Item!.id.S, cmd.input.Item!.sequenceNumber!.S);
        return {};
      },
    } as unknown as DynamoDBClient;
    return { streams, dynamodb, calls, checkpoints, records, refuse: () => (refuseIterators = true) };
  }

  test('polls go on from the previous iterator; checkpoints are written at most per interval and when stopping', async () => {
    const f = fakeStream(9);
    const published: number[] = [];
    let failNext = false;
    const runner = runnerOn(f, {
      batchSize: 3,
      checkpointIntervalMs: 60_000,
      handler: async (e) => {
        if (failNext) {
          failNext = false;
          throw new Error('SNS down');
        }
        published.push(...e.Records.map((r) => Number(r.dynamodb!.SequenceNumber)));
      },
    });
    expect(await runner.pollOnce()).toBe(3);
    expect(f.checkpoints.get('arn:stream|sh1')).toBe('3'); // the shard's first position is written at once
    expect(await runner.pollOnce()).toBe(3);
    expect(f.calls.filter((c) => c === 'GetShardIterator')).toHaveLength(1);
    expect(f.checkpoints.get('arn:stream|sh1')).toBe('3'); // within the interval: kept in memory only
    // a failed batch: the next poll starts over from the position kept, with a fresh iterator
    failNext = true;
    await expect(runner.pollOnce()).rejects.toThrow('SNS down');
    expect(await runner.pollOnce()).toBe(3);
    expect(f.calls.filter((c) => c === 'GetShardIterator')).toHaveLength(2);
    expect(published).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await runner.flushCheckpoints();
    expect(f.checkpoints.get('arn:stream|sh1')).toBe('9');
  });

  test('an iterator the stream refuses is replaced by a fresh one at the kept position', async () => {
    const f = fakeStream(4);
    const published: number[] = [];
    const runner = runnerOn(f, {
      batchSize: 2,
      handler: async (e) => void published.push(...e.Records.map((r) => Number(r.dynamodb!.SequenceNumber))),
    });
    await runner.pollOnce();
    f.refuse(); // from now on a reused iterator is refused (a fresh one is not)
    f.calls.length = 0;
    expect(await runner.pollOnce()).toBe(2);
    expect(f.calls).toEqual(['GetRecords', 'GetShardIterator', 'GetRecords']);
    expect(published).toEqual([1, 2, 3, 4]);
  });

  test('a running forwarder writes its position once caught up, and on stop', async () => {
    const f = fakeStream(5);
    const runner = runnerOn(f, {
      batchSize: 2,
      batchWindowMs: 0,
      pollIntervalMs: 5,
      checkpointIntervalMs: 60_000,
      handler: async () => undefined,
    });
    runner.start();
    for (let i = 0; i < 200 && f.checkpoints.get('arn:stream|sh1') !== '5'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(f.checkpoints.get('arn:stream|sh1')).toBe('5');
    f.records.push({ ...insert(ev('s', 6)), dynamodb: { ...insert(ev('s', 6)).dynamodb, SequenceNumber: '6' } });
    for (let i = 0; i < 200 && f.calls.filter((c) => c === 'GetRecords').length < 6; i++) await new Promise((r) => setTimeout(r, 5));
    await runner.stop();
    expect(f.checkpoints.get('arn:stream|sh1')).toBe('6');
  });
});
