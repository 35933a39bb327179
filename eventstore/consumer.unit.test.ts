/** The Lambda-shaped SQS handler: envelopes in any wrapping, partial batch failures, order per group. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { GapError } from './checkpoint';
import { createSqsHandler, decodeEnvelope, isDependencyDown, type SqsRecord } from './consumer';
import { QueueConsumerRunner } from './queue-runner';
import { InMemoryEventStore } from './memory';
import type { StoredEvent } from './types';
import { storedEvent } from './testing/events';

const ev = storedEvent;

const record = (e: StoredEvent | string, id = typeof e === 'string' ? e : e.eventId): SqsRecord => ({
  messageId: id,
  body: typeof e === 'string' ? e : JSON.stringify(e),
  attributes: typeof e === 'string' ? {} : { MessageGroupId: e.streamId },
});

describe('decodeEnvelope', () => {
  const e = ev('s-1', 3);
  it.each<[string, string]>([
    ['raw delivery', JSON.stringify(e)],
    ['an SNS notification', JSON.stringify({ Type: 'Notification', Message: JSON.stringify(e) })],
  ])('%s', (_, body) => expect(decodeEnvelope(body)).toEqual(e));

  it('refuses anything else', () => {
    expect(() => decodeEnvelope('{"hello":"world"}')).toThrow(/not an event envelope/);
  });
});

test('groups run in parallel, each in order; a failure fails the rest of its group only', async () => {
  const applied: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handler = createSqsHandler(async (e) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    if (e.eventId === 'a-2') throw new Error('boom');
    applied.push(e.eventId);
  });
  const records = [ev('a', 1), ev('b', 1), ev('a', 2), ev('b', 2), ev('a', 3), ev('c', 1)].map((e) => record(e));
  const out = await handler({ Records: [...records, record('not json at all', 'junk')] });

  expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a-2', 'a-3', 'junk']);
  expect(applied.filter((id) => id.startsWith('a'))).toEqual(['a-1']);
  expect(applied.filter((id) => id.startsWith('b'))).toEqual(['b-1', 'b-2']);
  expect(applied).toContain('c-1');
  expect(maxInFlight).toBeGreaterThan(1);
});

test('handleStream: one call per group with its run of events; a failure fails that group only', async () => {
  const calls: string[][] = [];
  const handler = createSqsHandler(
    async () => {
      throw new Error('handle must not be called when handleStream is given');
    },
    {
      handleStream: async (events) => {
        calls.push(events.map((e) => e.eventId));
        if (events[0]!.streamId === 'b') throw new Error('boom');
      },
    },
  );
  const records = [ev('a', 1), ev('b', 1), ev('a', 2), ev('b', 2), ev('c', 1)].map((e) => record(e));
  const junk = { ...record('not json', 'junk'), attributes: { MessageGroupId: 'c' } };
  const out = await handler({ Records: [...records, junk, record(ev('c', 2))] });
  expect(calls.sort()).toEqual([['a-1', 'a-2'], ['b-1', 'b-2'], ['c-1']]);
  // b failed as a whole; in c, the undecodable message and everything after it fail
  expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['b-1', 'b-2', 'c-2', 'junk']);
});

describe('a gap heals from the source store', () => {
  /** A projection in memory that, like applyOnce, only takes the next version of each stream. */
  function projection() {
    const applied = new Map<string, number[]>();
    const handle = async (e: StoredEvent) => {
      const seen = applied.get(e.streamId) ?? [];
      const at = seen.at(-1) ?? 0;
      if (e.version <= at) return; // a duplicate
      if (e.version !== at + 1) throw new GapError(e.streamId, at + 1, e.version);
      applied.set(e.streamId, [...seen, e.version]);
    };
    return { applied, handle };
  }

  async function storeWith(streamId: string, n: number) {
    const store = new InMemoryEventStore('reservation');
    await store.append(streamId, Array.from({ length: n }, (_, i) => ({ type: 'T', data: { n: i + 1 } })), { expectedVersion: 'no_stream' });
    return store;
  }

  it('v1 then v3: v3 reads v2 from the store, applies it, then itself; nothing fails', async () => {
    const store = await storeWith('s', 3);
    const [e1, , e3] = await store.readStream('s');
    const p = projection();
    const healed: unknown[] = [];
    const handler = createSqsHandler(p.handle, { store, onHealed: (h) => healed.push(h) });
    expect((await handler({ Records: [record(e1!)] })).batchItemFailures).toEqual([]);
    expect((await handler({ Records: [record(e3!)] })).batchItemFailures).toEqual([]);
    expect(p.applied.get('s')).toEqual([1, 2, 3]);
    expect(healed).toEqual([{ streamId: 's', fromVersion: 2, applied: 2 }]);
  });

  it('handleStream: a run after a gap heals the same way', async () => {
    const store = await storeWith('s', 5);
    const events = await store.readStream('s');
    const p = projection();
    const handleStream = async (run: StoredEvent[]) => {
      for (const e of run) await p.handle(e);
    };
    const handler = createSqsHandler(p.handle, { store, handleStream });
    // v1 was dead-lettered: v4 and v5 arrive first
    expect((await handler({ Records: [record(events[3]!), record(events[4]!)] })).batchItemFailures).toEqual([]);
    expect(p.applied.get('s')).toEqual([1, 2, 3, 4, 5]);
  });

  it('without a store, or when the store lacks the event too, the message fails as before', async () => {
    const store = await storeWith('s', 1);
    const orphan = ev('s', 3);
    const p = projection();
    expect((await createSqsHandler(p.handle)({ Records: [record(orphan)] })).batchItemFailures).toEqual([{ itemIdentifier: 's-3' }]);
    const errors: unknown[] = [];
    const handler = createSqsHandler(p.handle, { store, onError: (err) => errors.push(err) });
    // v1 heals from the store, v2 exists nowhere: the gap stays and the message fails
    expect((await handler({ Records: [record(orphan)] })).batchItemFailures).toEqual([{ itemIdentifier: 's-3' }]);
    expect(errors[0]).toMatchObject({ name: 'GapError', expected: 2 });
  });

  it('an envelope sent without its data (too large for SNS) is completed from the store', async () => {
    const store = await storeWith('s', 1);
    const [e1] = await store.readStream('s');
    const seen: StoredEvent[] = [];
    const handler = createSqsHandler(async (e) => void seen.push(e), { store });
    const out = await handler({ Records: [record(JSON.stringify({ ...e1, data: null, dataOmitted: true }), 'm1')] });
    expect(out.batchItemFailures).toEqual([]);
    expect(seen).toEqual([e1]);
  });
});

test('isDependencyDown: MongoDB network, selection and timeout errors, refused connections; not a bad message', () => {
  const named = (name: string) => Object.assign(new Error('x'), { name });
  expect(isDependencyDown(named('MongoServerSelectionError'))).toBe(true);
  expect(isDependencyDown(named('MongoNetworkTimeoutError'))).toBe(true);
  expect(isDependencyDown(new Error('wrapped', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }))).toBe(true);
  expect(isDependencyDown(new GapError('s', 2, 3))).toBe(false);
  expect(isDependencyDown(new Error('message body is not an event envelope'))).toBe(false);
});

describe('QueueConsumerRunner', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** A fake SQS: hands out `messages` once, records every call by command name. */
  function fakeSqs(messages: SqsRecord[]) {
    const calls: Array<{ name: string; at: number; input: Record<string, unknown> }> = [];
    let pending = [...messages];
    const sqs = {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push({ name: cmd.constructor.name, at: Date.now(), input: cmd.input });
        if (cmd.constructor.name === 'ReceiveMessageCommand') {
          const out = pending.map((m) => ({ MessageId: m.messageId, ReceiptHandle: `rh-${m.messageId}`, Body: m.body, Attributes: m.attributes }));
          pending = [];
          if (out.length === 0) await sleep(20);
          return { Messages: out };
        }
        return {};
      },
    };
    const add = (m: SqsRecord) => void pending.push(m);
    return { sqs: sqs as unknown as SQSClient, calls, add, count: (name: string) => calls.filter((c) => c.name === name).length };
  }

  it('after a partial batch the next receive waits for the batching window, and takes what came meanwhile at once', async () => {
    const { sqs, calls, add, count } = fakeSqs([record(ev('a', 1))]);
    const seen: number[] = [];
    const runner = new QueueConsumerRunner({
      sqs,
      queueUrl: 'q',
      visibilityTimeoutSeconds: 30,
      waitTimeSeconds: 0,
      batchWindowMs: 150,
      handler: createSqsHandler(async (e) => void seen.push(e.version)),
    });
    runner.start();
    await sleep(30);
    add(record(ev('a', 2)));
    add(record(ev('a', 3)));
    await sleep(60);
    // within the window: no second receive yet
    expect(count('ReceiveMessageCommand')).toBe(1);
    await sleep(150);
    await runner.stop();
    expect(seen).toEqual([1, 2, 3]);
    const receives = calls.filter((c) => c.name === 'ReceiveMessageCommand');
    expect(receives[1]!.at - receives[0]!.at).toBeGreaterThanOrEqual(140);
    // the two that came meanwhile: one receive, one delete
    expect(count('DeleteMessageBatchCommand')).toBe(2);
  });

  it('extends the visibility of a batch while it is being handled, and stops after it', async () => {
    const { sqs, calls, count } = fakeSqs([record(ev('a', 1))]);
    const runner = new QueueConsumerRunner({
      sqs,
      queueUrl: 'q',
      visibilityTimeoutSeconds: 0.2,
      waitTimeSeconds: 0,
      handler: createSqsHandler(async () => void (await sleep(550))),
    });
    await runner.pollOnce();
    const extended = count('ChangeMessageVisibilityBatchCommand');
    expect(extended).toBeGreaterThanOrEqual(4); // every 100 ms for 550 ms
    expect(calls.find((c) => c.name === 'ChangeMessageVisibilityBatchCommand')!.input).toMatchObject({
      QueueUrl: 'q',
      Entries: [{ Id: '0', ReceiptHandle: 'rh-a-1', VisibilityTimeout: 0.2 }],
    });
    expect(count('DeleteMessageBatchCommand')).toBe(1);
    await sleep(250);
    expect(count('ChangeMessageVisibilityBatchCommand')).toBe(extended);
  });

  it('pauses receiving while the probe fails, backing off exponentially, and resumes when it answers', async () => {
    const { sqs, calls, count } = fakeSqs([record(ev('a', 1))]);
    let probes = 0;
    const pauses: number[] = [];
    const runner = new QueueConsumerRunner({
      sqs,
      queueUrl: 'q',
      visibilityTimeoutSeconds: 30,
      waitTimeSeconds: 0,
      handler: createSqsHandler(async () => {
        throw Object.assign(new Error('down'), { name: 'MongoServerSelectionError' });
      }),
      // down for the first 4 probes
      probe: async () => {
        if (++probes <= 4) throw new Error('no answer');
      },
      pauseMs: 40,
      maxPauseMs: 100,
      onPause: ({ pausedMs }) => pauses.push(pausedMs),
      onError: () => undefined,
    });
    runner.start();
    await sleep(600);
    await runner.stop();
    expect(pauses).toEqual([40, 80, 100, 100]);
    const firstProbeFailedAt = calls.find((c) => c.name === 'ReceiveMessageCommand')!.at;
    const receivesDuringPause = calls.filter((c) => c.name === 'ReceiveMessageCommand' && c.at > firstProbeFailedAt + 5 && c.at < firstProbeFailedAt + 300);
    expect(receivesDuringPause).toEqual([]);
    // receiving again after the probe answered
    expect(count('ReceiveMessageCommand')).toBeGreaterThan(1);
  });
});

test('a redelivery of a group still being handled (its visibility ran out) waits for the first delivery', async () => {
  const log: string[] = [];
  const handler = createSqsHandler(async (e) => {
    log.push(`start ${e.eventId}`);
    await new Promise((r) => setTimeout(r, 30));
    log.push(`end ${e.eventId}`);
  });
  const first = handler({ Records: [record(ev('a', 1), 'm1')] });
  await new Promise((r) => setTimeout(r, 5));
  // the same message again, and another group, while the first is being handled
  const again = handler({ Records: [record(ev('a', 1), 'm1-again'), record(ev('b', 1), 'mb')] });
  await Promise.all([first, again]);
  expect(log.indexOf('start a-1', 1)).toBeGreaterThan(log.indexOf('end a-1'));
  // other groups do not wait
  expect(log.indexOf('start b-1')).toBeLessThan(log.indexOf('end a-1'));
});
