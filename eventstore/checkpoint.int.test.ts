import { randomBytes } from 'node:crypto';
import type { Collection, MongoClient } from 'mongodb';
import { loadConfig } from '../platform/config';
import { connectMongo } from '../platform/mongo';
import { applyEvents, checkpointOf, GapError } from './checkpoint';
import { applyOnce } from './testing/apply-once';

interface Restaurant {
  _id: string;
  name?: string;
  visits?: number;
  tags?: string[];
}

const ev = (streamId: string, version: number) => ({ streamId, version });

let client: MongoClient;
let col: Collection<Restaurant>;
const dbName = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const m = await connectMongo(loadConfig(), dbName);
  client = m.client;
  col = m.db.collection<Restaurant>('restaurants');
});

afterAll(async () => {
  await client.db(dbName).dropDatabase().catch(() => undefined);
  await client.close();
});

it('applies the next version, skips old ones and refuses gaps', async () => {
  const s = 'restaurant-1.a$b'; // dots and dollars must survive as a field name
  expect(await applyOnce(col, 'r1', ev(s, 1), { $set: { name: 'Chez A' }, $inc: { visits: 1 } })).toBe('applied');
  expect(await applyOnce(col, 'r1', ev(s, 1), { $set: { name: 'WRONG' }, $inc: { visits: 1 } })).toBe('skipped');
  expect(await applyOnce(col, 'r1', ev(s, 2), { $inc: { visits: 1 }, $push: { tags: 'x' } })).toBe('applied');
  await expect(applyOnce(col, 'r1', ev(s, 4), { $inc: { visits: 1 } })).rejects.toMatchObject({ name: 'GapError', expected: 3, got: 4 });
  expect(await applyOnce(col, 'r1', ev(s, 2), { $inc: { visits: 1 } })).toBe('skipped');
  expect(await applyOnce(col, 'r1', ev(s, 3), {})).toBe('applied');
  expect(await applyOnce(col, 'r1', ev(s, 4), { $set: { name: 'Chez B' } })).toBe('applied');
  const doc = await col.findOne({ _id: 'r1' });
  expect(doc).toMatchObject({ name: 'Chez B', visits: 2, tags: ['x'] });
  expect(checkpointOf(doc, s)).toBe(4);
});

it('refuses a first event that is not version 1 and never creates the doc', async () => {
  await expect(applyOnce(col, 'r2', ev('s2', 3), { $set: { name: 'x' } })).rejects.toBeInstanceOf(GapError);
  expect(await col.findOne({ _id: 'r2' })).toBeNull();
});

it('keeps one checkpoint per stream in a shared document', async () => {
  expect(await applyOnce(col, 'r3', ev('a', 1), { $set: { name: 'A' } })).toBe('applied');
  expect(await applyOnce(col, 'r3', ev('b', 1), { $inc: { visits: 1 } })).toBe('applied');
  expect(await applyOnce(col, 'r3', ev('b', 1), { $inc: { visits: 1 } })).toBe('skipped');
  const doc = await col.findOne({ _id: 'r3' });
  expect([checkpointOf(doc, 'a'), checkpointOf(doc, 'b'), doc?.visits]).toEqual([1, 1, 1]);
});

it('with the filter guard, concurrent duplicate deliveries apply once', async () => {
  for (let v = 1; v <= 5; v++) {
    // concurrent writers of one document need the race-proof guard (a FIFO consumer never does this)
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => applyOnce(col, 'r4', ev('s4', v), { $inc: { visits: 1 } }, { guard: 'filter' })));
    // FerretDB may report matchedCount 1 to several racing updates although only one changed the doc
    expect(outcomes.filter((o) => o === 'applied').length).toBeGreaterThanOrEqual(1);
  }
  // what matters: the effect happened exactly once per version
  expect((await col.findOne({ _id: 'r4' }))?.visits).toBe(5);
});

it("monotonic mode applies newer versions and skips older ones, gaps allowed", async () => {
  expect(await applyOnce(col, 'r5', ev('s5', 3), { $set: { name: 'v3' } }, { mode: 'monotonic' })).toBe('applied');
  expect(await applyOnce(col, 'r5', ev('s5', 2), { $set: { name: 'v2' } }, { mode: 'monotonic' })).toBe('skipped');
  expect(await applyOnce(col, 'r5', ev('s5', 3), { $set: { name: 'v3!' } }, { mode: 'monotonic' })).toBe('skipped');
  expect(await applyOnce(col, 'r5', ev('s5', 7), { $set: { name: 'v7' } }, { mode: 'monotonic' })).toBe('applied');
  expect((await col.findOne({ _id: 'r5' }))?.name).toBe('v7');
});

it('rejects updates that touch the checkpoint', async () => {
  await expect(applyOnce(col, 'r6', ev('s6', 1), { $set: { '_v.x': 3 } as never })).rejects.toThrow(/_v/);
});

describe('applyEvents: one read and one write per run of a stream', () => {
  type Counter = { _id: string; seen: number[] };
  const counters = () => client.db(dbName).collection<Counter>('counters');
  const evolve = (doc: Omit<Counter, '_id'> | undefined, e: { version: number }) => ({ seen: [...(doc?.seen ?? []), e.version] });
  const run = (s: string, ...versions: number[]) => versions.map((v) => ev(s, v));

  it('applies a run, skips what was applied, stops at a gap and takes the rest later', async () => {
    const s = 'counter-1';
    expect(await applyEvents(counters(), 'c1', run(s, 1, 2, 3), evolve)).toEqual({ applied: 3, skipped: 0 });
    // redelivered with new ones: the old ones are skipped
    expect(await applyEvents(counters(), 'c1', run(s, 2, 3, 4), evolve)).toEqual({ applied: 1, skipped: 2 });
    // 5 is missing: 6 and 7 must wait, nothing is written
    await expect(applyEvents(counters(), 'c1', run(s, 6, 7), evolve)).rejects.toMatchObject({ name: 'GapError', expected: 5, got: 6 });
    // a run with a hole: the part before it is applied, then the gap is reported
    await expect(applyEvents(counters(), 'c1', run(s, 5, 7), evolve)).rejects.toBeInstanceOf(GapError);
    expect(await applyEvents(counters(), 'c1', run(s, 5, 6, 7), evolve)).toEqual({ applied: 2, skipped: 1 });
    const doc = await counters().findOne({ _id: 'c1' });
    expect(doc?.seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(checkpointOf(doc, s)).toBe(7);
  });

  it('a first run on a new document, delivered twice', async () => {
    const s = 'counter-2';
    await applyEvents(counters(), 'c2', run(s, 1, 2), evolve);
    expect(await applyEvents(counters(), 'c2', run(s, 1, 2), evolve)).toEqual({ applied: 0, skipped: 2 });
    expect((await counters().findOne({ _id: 'c2' }))?.seen).toEqual([1, 2]);
  });

  it('a replay mixed into a live batch: repeated and older versions are sorted out, not refused', async () => {
    const s = 'counter-3';
    expect(await applyEvents(counters(), 'c3', run(s, 2, 1, 2, 3, 1), evolve)).toEqual({ applied: 3, skipped: 2 });
    expect(await applyEvents(counters(), 'c3', run(s, 4, 1, 4, 2), evolve)).toEqual({ applied: 1, skipped: 3 });
    expect((await counters().findOne({ _id: 'c3' }))?.seen).toEqual([1, 2, 3, 4]);
  });

  it('refuses events of two streams', async () => {
    await expect(applyEvents(counters(), 'c4', [ev('a', 1), ev('b', 2)], evolve)).rejects.toThrow(/one stream/);
    expect(await counters().findOne({ _id: 'c4' })).toBeNull();
  });
});

describe('a delivery handled twice at once never moves a checkpoint back', () => {
  type Counter = { _id: string; seen: number[] };
  const counters = () => client.db(dbName).collection<Counter>('stale');
  const evolve = (doc: Omit<Counter, '_id'> | undefined, e: { version: number }) => ({ seen: [...(doc?.seen ?? []), e.version] });

  /**
   * The collection, except that the first write of the given kind first lets `meanwhile` run: the stale
   * writer has read the document and decided, another delivery writes before it does.
   */
  function interleaved<T extends { _id: string }>(collection: Collection<T>, method: 'replaceOne' | 'updateOne', meanwhile: () => Promise<unknown>) {
    let done = false;
    return new Proxy(collection, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          if (!done) {
            done = true;
            await meanwhile();
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  it('applyEvents: the guarded replace refuses the stale write, reads again and skips what was applied', async () => {
    const s = 'stale-1';
    await applyEvents(counters(), 'd1', [ev(s, 1)], evolve);
    // the stale delivery read v1 and means to write v2; meanwhile the other one writes v2 and v3
    const stale = interleaved(counters(), 'replaceOne', () => applyEvents(counters(), 'd1', [ev(s, 2), ev(s, 3)], evolve));
    expect(await applyEvents(stale, 'd1', [ev(s, 2)], evolve)).toEqual({ applied: 0, skipped: 1 });
    const doc = await counters().findOne({ _id: 'd1' });
    // unguarded, the stale write would have left seen [1, 2] and checkpoint 2
    expect(doc?.seen).toEqual([1, 2, 3]);
    expect(checkpointOf(doc, s)).toBe(3);
  });

  it("applyOnce ('read-then-write'): the guarded update refuses the stale write", async () => {
    const s = 'stale-2';
    const col2 = counters() as unknown as Collection<Restaurant>;
    await applyOnce(col2, 'd2', ev(s, 1), { $set: { name: 'v1' } });
    const stale = interleaved(col2, 'updateOne', async () => {
      await applyOnce(col2, 'd2', ev(s, 2), { $set: { name: 'v2' } });
      await applyOnce(col2, 'd2', ev(s, 3), { $set: { name: 'v3' } });
    });
    expect(await applyOnce(stale, 'd2', ev(s, 2), { $set: { name: 'STALE v2' } })).toBe('skipped');
    const doc = await col2.findOne({ _id: 'd2' });
    expect(doc?.name).toBe('v3');
    expect(checkpointOf(doc, s)).toBe(3);
  });

  it("writeGuard 'id' (FerretDB's fast path) applies, skips and stops at gaps the same way", async () => {
    const s = 'fast-1';
    const opts = { writeGuard: 'id' } as const;
    expect(await applyEvents(counters(), 'f1', [ev(s, 1), ev(s, 2)], evolve, opts)).toEqual({ applied: 2, skipped: 0 });
    expect(await applyEvents(counters(), 'f1', [ev(s, 2), ev(s, 3)], evolve, opts)).toEqual({ applied: 1, skipped: 1 });
    await expect(applyEvents(counters(), 'f1', [ev(s, 5)], evolve, opts)).rejects.toMatchObject({ name: 'GapError', expected: 4 });
    const col2 = counters() as unknown as Collection<Restaurant>;
    expect(await applyOnce(col2, 'f2', ev(s, 1), { $set: { name: 'a' } }, opts)).toBe('applied');
    expect(await applyOnce(col2, 'f2', ev(s, 1), { $set: { name: 'b' } }, opts)).toBe('skipped');
    expect((await counters().findOne({ _id: 'f1' }))?.seen).toEqual([1, 2, 3]);
  });

  it('applyOnce: two first deliveries racing to create the document apply once', async () => {
    const s = 'stale-3';
    const col3 = counters() as unknown as Collection<Restaurant>;
    const stale = interleaved(col3, 'updateOne', () => applyOnce(col3, 'd3', ev(s, 1), { $inc: { visits: 1 } }));
    expect(await applyOnce(stale, 'd3', ev(s, 1), { $inc: { visits: 1 } })).toBe('skipped');
    expect((await col3.findOne({ _id: 'd3' }))?.visits).toBe(1);
  });
});
