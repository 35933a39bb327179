/**
 * The moto workarounds' key-based reads (dynamodb-emulator.ts) and the table gate, against a stand-in client
 * (no servers): paging, the head search at every boundary, unprocessed keys, call counts. The real-server
 * behaviour is in dynamodb.int.test.ts.
 */
import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBEventStore } from './dynamodb';
import { eventToItem } from './dynamodb-items';
import { TableGate } from './table-gate';
import type { StoredEvent } from './types';

const TABLE = 'unit-events';

function stored(streamId: string, version: number): StoredEvent {
  return {
    type: 'Happened',
    data: { n: version, nested: { list: [1, 'two', null] } },
    eventId: `${streamId}-${version}`,
    streamId,
    version,
    service: 'catalog',
    metadata: { occurredAt: '2025-01-01T00:00:00.000Z', schemaVersion: 1, actor: 'u1' },
  };
}

/** Answers BatchGetItem for streams of given lengths, in shuffled order, leaving some keys unprocessed. */
class FakeDynamo {
  calls = 0;
  keysAsked = 0;
  constructor(
    private readonly lengths: Map<string, number>,
    /** Share of keys left unprocessed per call (never all of them unless `stall`). */
    private readonly unprocessed = 0,
    private readonly stall = false,
  ) {}

  async send(cmd: unknown): Promise<unknown> {
    if (!(cmd instanceof BatchGetItemCommand)) throw new Error(`unexpected command ${String(cmd)}`);
    this.calls++;
    const req = cmd.input.RequestItems?.[TABLE];
    if (!req?.Keys || req.ConsistentRead !== true) throw new Error('expected consistent keys for the table');
    if (req.Keys.length > 100) throw new Error('more than 100 keys');
    this.keysAsked += req.Keys.length;
    const items: Record<string, AttributeValue>[] = [];
    const left: Record<string, AttributeValue>[] = [];
    for (const key of req.Keys) {
      if (this.stall || (left.length < req.Keys.length - 1 && Math.random() < this.unprocessed)) {
        left.push(key);
        continue;
      }
      const id = key.streamId!.S!;
      const v = Number(key.version!.N);
      if (v <= (this.lengths.get(id) ?? 0)) {
        const item = eventToItem(stored(id, v));
        items.push(req.ProjectionExpression ? { version: item.version! } : item);
      }
    }
    items.sort(() => Math.random() - 0.5);
    return { Responses: { [TABLE]: items }, UnprocessedKeys: left.length > 0 ? { [TABLE]: { Keys: left } } : {} };
  }
}

function storeOn(fake: FakeDynamo): DynamoDBEventStore {
  return new DynamoDBEventStore({ client: fake as unknown as DynamoDBClient, tableName: TABLE, service: 'catalog', maxAttempts: 3, readByKey: true });
}

describe('DynamoDBEventStore key-based reads (readByKey, a moto workaround)', () => {
  const lengths = [0, 1, 2, 9, 10, 11, 15, 16, 17, 31, 32, 33, 63, 64, 65, 109, 110, 111, 250, 1000, 4097];
  const streams = new Map(lengths.map((n) => [`s-${n}`, n]));

  it.each([0, 0.3])('reads every stream whole, in order, from any version (unprocessed share %p)', async (share) => {
    const store = storeOn(new FakeDynamo(streams, share));
    for (const n of lengths) {
      const all = await store.readStream(`s-${n}`);
      expect(all.map((e) => e.version)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(all).toEqual(all.map((e) => stored(e.streamId, e.version)));
      for (const from of [1, 2, n, n + 1, 11, 111].filter((f) => f >= 1)) {
        const tail = await store.readStream(`s-${n}`, { fromVersion: from });
        expect(tail.map((e) => e.version)).toEqual(Array.from({ length: Math.max(0, n - from + 1) }, (_, i) => i + from));
      }
    }
  });

  it.each([0, 0.3])('finds the head of every stream (unprocessed share %p)', async (share) => {
    const store = storeOn(new FakeDynamo(new Map([...streams, ['huge', 123_456_789]]), share));
    for (const [id, n] of [...streams, ['huge', 123_456_789] as const]) expect(await store.streamVersion(id)).toBe(n);
  });

  it('reads a short stream and finds its head in one small call each', async () => {
    const fake = new FakeDynamo(streams);
    const store = storeOn(fake);
    expect(await store.readStream('s-9')).toHaveLength(9);
    expect([fake.calls, fake.keysAsked]).toEqual([1, 10]);
    expect(await store.streamVersion('s-15')).toBe(15);
    expect(fake.calls).toBe(2);
    // a longer stream: 10, then 100 a page
    fake.calls = 0;
    expect(await store.readStream('s-250')).toHaveLength(250);
    expect(fake.calls).toBe(4);
  });

  it('treats odd fromVersion values like the in-memory store', async () => {
    const store = storeOn(new FakeDynamo(streams));
    expect((await store.readStream('s-2', { fromVersion: -5 })).map((e) => e.version)).toEqual([1, 2]);
    expect((await store.readStream('s-2', { fromVersion: 1.5 })).map((e) => e.version)).toEqual([2]);
    expect(await store.readStream('s-2', { fromVersion: Number.NaN })).toEqual([]);
    expect(await store.readStream('s-2', { fromVersion: Number.POSITIVE_INFINITY })).toEqual([]);
  });

  it('gives up when BatchGetItem keeps returning nothing but unprocessed keys', async () => {
    const store = storeOn(new FakeDynamo(streams, 0, true));
    await expect(store.readStream('s-2')).rejects.toThrow(/unprocessed 3 times in a row/);
  });
});

describe('TableGate', () => {
  function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs puts together, a transaction alone after running puts, and later puts after it', async () => {
    const gate = new TableGate();
    const log: string[] = [];
    const op = (name: string, done: Promise<void>) => async () => {
      log.push(`${name}+`);
      await done;
      log.push(`${name}-`);
    };
    const [p1, p2, t1, t2, p3] = [deferred(), deferred(), deferred(), deferred(), deferred()];
    const all = [
      gate.shared(op('p1', p1.promise)),
      gate.shared(op('p2', p2.promise)),
      gate.exclusive(op('t1', t1.promise)),
      gate.exclusive(op('t2', t2.promise)),
      gate.shared(op('p3', p3.promise)),
    ];
    await tick();
    expect(log).toEqual(['p1+', 'p2+']);
    p1.resolve();
    await tick();
    expect(log).toEqual(['p1+', 'p2+', 'p1-']);
    p2.resolve();
    await tick();
    expect(log.slice(3)).toEqual(['p2-', 't1+']);
    t1.resolve();
    await tick();
    expect(log.slice(5)).toEqual(['t1-', 't2+']);
    t2.resolve();
    await tick();
    expect(log.slice(7)).toEqual(['t2-', 'p3+']);
    p3.resolve();
    await Promise.all(all);
    expect(gate.idle).toBe(true);
  });

  it('keeps going after a failed operation', async () => {
    const gate = new TableGate();
    await expect(gate.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.shared(async () => Promise.reject(new Error('bang')))).rejects.toThrow('bang');
    expect(await gate.exclusive(async () => 1)).toBe(1);
    expect(await gate.shared(async () => 2)).toBe(2);
    expect(gate.idle).toBe(true);
  });
});
