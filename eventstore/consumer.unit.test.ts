/** The Lambda-shaped SQS handler: envelopes in any wrapping, partial batch failures, order per group. */
import { createSqsHandler, decodeEnvelope, type SqsRecord } from './consumer';
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
