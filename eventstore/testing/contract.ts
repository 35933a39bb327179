/**
 * Test support, not production code: the one contract every EventStore implementation passes. Call it
 * from a test file:
 *   eventStoreContract('InMemoryEventStore', async () => new InMemoryEventStore('catalog'));
 * `makeStore` is called before each test; stream ids are unique per test, so a store may share a table.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore, EventStoreLimitError, type NewEvent, type StoredEvent } from '../types';

type Ev = { type: 'Happened'; data: { n: number; pad?: string } };

function ev(n: number, extra: Partial<NewEvent<Ev>> = {}): NewEvent<Ev> {
  return { type: 'Happened', data: { n }, ...extra };
}

function evs(from: number, count: number, pad = ''): NewEvent<Ev>[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'Happened', data: { n: from + i, ...(pad ? { pad } : {}) } }));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

export function eventStoreContract(name: string, makeStore: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore<Ev>;
    let sid: (label: string) => string;

    beforeEach(async () => {
      store = (await makeStore()) as unknown as EventStore<Ev>;
      const run = randomUUID().slice(0, 8);
      sid = (label) => `${label}-${run}`;
    });

    const versionsOf = async (id: string) => (await store.readStream(id)).map((e) => e.version);

    it('numbers events 1..n without gaps and round-trips the envelope', async () => {
      const id = sid('gapless');
      const first = await store.append(id, [ev(1, { metadata: { actor: 'u1', correlationId: 'c1' } }), ev(2), ev(3)], {
        expectedVersion: 'no_stream',
      });
      expect(first.events.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(first.versions).toEqual({ [id]: 3 });
      expect(first.alreadyStored).toBe(false);
      const second = await store.append(id, [ev(4), ev(5)], { expectedVersion: 3 });
      expect(second.versions[id]).toBe(5);
      const read = await store.readStream(id);
      expect(read.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      expect(read).toEqual([...first.events, ...second.events]);
      const e1 = read[0]!;
      expect(e1).toMatchObject({ type: 'Happened', data: { n: 1 }, streamId: id, service: store.service });
      expect(e1.metadata).toMatchObject({ actor: 'u1', correlationId: 'c1', schemaVersion: 1 });
      expect(typeof e1.metadata.occurredAt).toBe('string');
      expect(typeof e1.eventId).toBe('string');
      expect(await store.streamVersion(id)).toBe(5);
      expect(await store.streamVersion(sid('missing'))).toBe(0);
      expect(await store.readStream(sid('missing'))).toEqual([]);
    });

    it('rejects a wrong expected version with the actual version, writing nothing', async () => {
      const id = sid('mismatch');
      await store.append(id, [ev(1), ev(2)], { expectedVersion: 'no_stream' });
      for (const expected of [1, 5]) {
        const err = await rejection(store.append(id, [ev(9)], { expectedVersion: expected }));
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ streamId: id, expected, actual: 2 });
      }
      // a future expected version must not leave a gap either
      expect(await versionsOf(id)).toEqual([1, 2]);
    });

    it('appends after a version it read or wrote, and still refuses a stale one', async () => {
      const id = sid('seen');
      await store.append(id, [ev(1)], { expectedVersion: 'no_stream' });
      expect(await versionsOf(id)).toEqual([1]);
      const r = await store.append(id, [ev(2)], { expectedVersion: 1 });
      expect(r.versions[id]).toBe(2);
      const err = await rejection(store.append(id, [ev(9)], { expectedVersion: 1 }));
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ streamId: id, expected: 1, actual: 2 });
      // a retry of a stored append is still recognised
      expect((await store.append(id, [r.events[0]!], { expectedVersion: 1 })).alreadyStored).toBe(true);
      // one ahead of the stream never leaves a gap, however recently the stream was read
      expect(await rejection(store.append(id, [ev(9)], { expectedVersion: 3 }))).toMatchObject({ expected: 3, actual: 2 });
      expect(await versionsOf(id)).toEqual([1, 2]);
    });

    it('rejects no_stream on an existing stream', async () => {
      const id = sid('exists');
      await store.append(id, [ev(1)], { expectedVersion: 'no_stream' });
      const err = await rejection(store.append(id, [ev(2), ev(3)], { expectedVersion: 'no_stream' }));
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ actual: 1 });
      expect(await versionsOf(id)).toEqual([1]);
    });

    it("appends with 'any' after whatever is there", async () => {
      const id = sid('any');
      await store.append(id, [ev(1)], { expectedVersion: 'any' });
      const r = await store.append(id, [ev(2), ev(3)], { expectedVersion: 'any' });
      expect(r.versions[id]).toBe(3);
      const concurrent = await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(id, [ev(10 + i)], { expectedVersion: 'any' })));
      expect(concurrent.every((x) => !x.alreadyStored)).toBe(true);
      expect(await versionsOf(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('writes a multi-stream batch atomically', async () => {
      const a = sid('multi-a');
      const b = sid('multi-b');
      await store.append(a, [ev(1)], { expectedVersion: 'no_stream' });
      await store.append(b, [ev(1), ev(2)], { expectedVersion: 'no_stream' });
      const err = await rejection(
        store.appendMany([
          { streamId: a, events: [ev(2), ev(3)], expectedVersion: 1 },
          { streamId: b, events: [ev(3)], expectedVersion: 1 },
        ]),
      );
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ streamId: b, actual: 2 });
      expect(await versionsOf(a)).toEqual([1]);
      expect(await versionsOf(b)).toEqual([1, 2]);

      const ok = await store.appendMany([
        { streamId: a, events: [ev(2), ev(3)], expectedVersion: 1 },
        { streamId: b, events: [ev(3)], expectedVersion: 2 },
        { streamId: sid('multi-c'), events: [ev(1)], expectedVersion: 'no_stream' },
      ]);
      expect(ok.versions).toEqual({ [a]: 3, [b]: 3, [sid('multi-c')]: 1 });
      expect(ok.events).toHaveLength(4);
    });

    it('treats a retry with the same event ids at the same position as success, storing nothing twice', async () => {
      const id = sid('retry');
      await store.append(id, [ev(1)], { expectedVersion: 'no_stream' });
      const batch = [ev(2, { eventId: `${id}-e2` }), ev(3, { eventId: `${id}-e3` })];
      const first = await store.append(id, batch, { expectedVersion: 1 });
      expect(first.alreadyStored).toBe(false);
      const again = await store.append(id, batch, { expectedVersion: 1 });
      expect(again.alreadyStored).toBe(true);
      expect(again.events.map((e) => [e.eventId, e.version])).toEqual([
        [`${id}-e2`, 2],
        [`${id}-e3`, 3],
      ]);
      expect(again.versions[id]).toBe(3);
      // still a retry after the stream moved on
      await store.append(id, [ev(4)], { expectedVersion: 3 });
      expect((await store.append(id, batch, { expectedVersion: 1 })).alreadyStored).toBe(true);
      // 'any' with known ids is recognised too
      expect((await store.append(id, batch, { expectedVersion: 'any' })).alreadyStored).toBe(true);
      // multi-stream retry
      const other = sid('retry-other');
      const many = [
        { streamId: id, events: [ev(5, { eventId: `${id}-e5` })], expectedVersion: 4 },
        { streamId: other, events: [ev(1, { eventId: `${other}-e1` })], expectedVersion: 'no_stream' as const },
      ];
      expect((await store.appendMany(many)).alreadyStored).toBe(false);
      expect((await store.appendMany(many)).alreadyStored).toBe(true);
      // same ids at another position is not a retry
      const moved = await rejection(store.append(id, [ev(2, { eventId: `${id}-e2` })], { expectedVersion: 4 }));
      expect(moved).toBeInstanceOf(ConcurrencyError);
      // a partly new batch is not a retry either
      const partial = await rejection(store.append(id, [batch[0]!, ev(99, { eventId: `${id}-new` })], { expectedVersion: 1 }));
      expect(partial).toBeInstanceOf(ConcurrencyError);
      const stored = await store.readStream(id);
      expect(stored.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(stored.map((e) => e.eventId)).size).toBe(5);
    });

    it('refuses batches over the limits before writing anything', async () => {
      const id = sid('limits');
      await expect(store.append(id, evs(1, 101), { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(EventStoreLimitError);
      await expect(
        store.appendMany([
          { streamId: id, events: evs(1, 60), expectedVersion: 'no_stream' },
          { streamId: sid('limits-b'), events: evs(1, 41), expectedVersion: 'no_stream' },
        ]),
      ).rejects.toBeInstanceOf(EventStoreLimitError);
      await expect(store.append(id, [], { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(EventStoreLimitError);
      await expect(store.append(id, evs(1, 1, 'x'.repeat(400 * 1024)), { expectedVersion: 'no_stream' })).rejects.toBeInstanceOf(
        EventStoreLimitError,
      );
      expect(await store.streamVersion(id)).toBe(0);
      expect(await store.streamVersion(sid('limits-b'))).toBe(0);
      const max = await store.append(id, evs(1, 100), { expectedVersion: 'no_stream' });
      expect(max.versions[id]).toBe(100);
    });

    it('reads from a version, across pages', async () => {
      const id = sid('paged');
      // ~6 KB per event so 250 events span several 1 MB query pages
      const pad = 'p'.repeat(6000);
      await store.append(id, evs(1, 100, pad), { expectedVersion: 'no_stream' });
      await store.append(id, evs(101, 100, pad), { expectedVersion: 100 });
      await store.append(id, evs(201, 50, pad), { expectedVersion: 200 });
      const all = await store.readStream(id);
      expect(all.map((e) => e.version)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      expect(all.map((e) => e.data.n)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      const tail = await store.readStream(id, { fromVersion: 200 });
      expect(tail.map((e) => e.version)).toEqual(Array.from({ length: 51 }, (_, i) => i + 200));
      expect(await store.readStream(id, { fromVersion: 251 })).toEqual([]);
      expect(await store.streamVersion(id)).toBe(250);
    });

    it('readAll keeps per-stream order', async () => {
      const ids = [sid('all-a'), sid('all-b'), sid('all-c')];
      const written: StoredEvent<Ev>[] = [];
      for (let round = 0; round < 4; round++) {
        for (const id of ids) {
          const r = await store.append(id, [ev(round * 2 + 1), ev(round * 2 + 2)], { expectedVersion: round === 0 ? 'no_stream' : round * 2 });
          written.push(...r.events);
        }
      }
      const seen = new Map<string, number[]>();
      for await (const e of store.readAll()) {
        if (!ids.includes(e.streamId)) continue;
        seen.set(e.streamId, [...(seen.get(e.streamId) ?? []), e.version]);
      }
      for (const id of ids) expect(seen.get(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const all: StoredEvent<Ev>[] = [];
      for await (const e of store.readAll()) if (ids.includes(e.streamId)) all.push(e);
      expect(new Set(all.map((e) => e.eventId))).toEqual(new Set(written.map((e) => e.eventId)));
    });

    it.each([1, 3])('lets exactly one of 20 concurrent appends of %i event(s) at the same version win', async (size) => {
      const id = sid(`race${size}`);
      await store.append(id, [ev(1)], { expectedVersion: 'no_stream' });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.append(id, evs(i * 10, size), { expectedVersion: 1 })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(19);
      for (const f of failed) {
        expect(f.reason).toBeInstanceOf(ConcurrencyError);
        expect(f.reason).toMatchObject({ streamId: id, expected: 1, actual: 1 + size });
      }
      expect(await versionsOf(id)).toEqual(Array.from({ length: 1 + size }, (_, i) => i + 1));
    });
  });
}
