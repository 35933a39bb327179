/**
 * What guarding a projection's write with its checkpoint costs (not a test):
 *   npx tsx bench/checkpoint-guard.ts [--sizes 30,1000,3000] [--ops 200]
 * On a throwaway database, with `size` reservation-like documents in one collection, times per write:
 *   - replaceOne({ _id })                    the unguarded replace applyEvents did before
 *   - replaceOne({ _id, '_v.<stream>': n })   the guarded replace it does now
 *   - updateOne({ _id } / guarded, $set)      the same pair as an update operator (what the tests'
 *                                             eventstore/testing/apply-once.ts writes)
 *   - applyEvents of one event, end to end    (one read + one write, with each WriteGuard)
 * FerretDB 1.24 on SQLite scans the collection for an `_id` filter (README), so what matters is whether
 * the extra condition makes that scan slower.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Collection, Document } from 'mongodb';
import { applyEvents } from '../eventstore/checkpoint';
import { loadConfig } from '../platform/config';
import { connectMongo } from '../platform/mongo';
import { sequentialLatency } from './load';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '30,1000,3000' }, ops: { type: 'string', default: '200' } } });
const sizes = values.sizes.split(',').map(Number);
const OPS = Number(values.ops);

const body = (i: number, v: number) => ({
  restaurantId: `r-${i % 50}`,
  customerId: `c-${i}`,
  partySize: 2,
  start: '2026-12-01T19:00:00.000Z',
  startAt: new Date('2026-12-01T19:00:00.000Z'),
  status: 'pending',
  history: Array.from({ length: v }, (_, k) => ({ type: `E${k}`, at: '2026-12-01T10:00:00.000Z' })),
});

async function time(label: string, size: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const l = await sequentialLatency(OPS, fn);
  console.log(`${String(size).padStart(6)} docs  ${label.padEnd(34)} mean ${l.mean.toFixed(2)} ms  p50 ${l.p50.toFixed(2)}  p99 ${l.p99.toFixed(2)}`);
}

async function main(): Promise<void> {
  const dbName = `bench${randomBytes(3).toString('hex')}`;
  const { client, db } = await connectMongo(loadConfig(), dbName);
  try {
    for (const size of sizes) {
      const col = db.collection(`docs${size}`) as unknown as Collection<Document & { _id: string }>;
      for (let i = 0; i < size; i += 500) {
        await col.insertMany(Array.from({ length: Math.min(500, size - i) }, (_, k) => ({ _id: `d${i + k}`, ...body(i + k, 1), _v: { [`s${i + k}`]: 1 } })));
      }
      // every op targets a different document, spread over the collection; versions only grow
      const target = (i: number) => (i * 7919) % size;
      const version = new Map<number, number>();
      const next = (d: number) => {
        const v = (version.get(d) ?? 1) + 1;
        version.set(d, v);
        return v;
      };
      await time('replaceOne {_id}', size, (i) => {
        const d = target(i);
        const v = next(d);
        return col.replaceOne({ _id: `d${d}` }, { ...body(d, v), _v: { [`s${d}`]: v } });
      });
      await time("replaceOne {_id, '_v.s': n}", size, (i) => {
        const d = target(i);
        const v = next(d);
        return col.replaceOne({ _id: `d${d}`, [`_v.s${d}`]: v - 1 }, { ...body(d, v), _v: { [`s${d}`]: v } }).then((r) => {
          if (r.matchedCount !== 1) throw new Error('guard did not match');
        });
      });
      await time('updateOne {_id} $set', size, (i) => {
        const d = target(i);
        const v = next(d);
        return col.updateOne({ _id: `d${d}` }, { $set: { status: `s${v}`, [`_v.s${d}`]: v } });
      });
      await time("updateOne {_id, '_v.s': n} $set", size, (i) => {
        const d = target(i);
        const v = next(d);
        return col.updateOne({ _id: `d${d}`, [`_v.s${d}`]: v - 1 }, { $set: { status: `s${v}`, [`_v.s${d}`]: v } }).then((r) => {
          if (r.matchedCount !== 1) throw new Error('guard did not match');
        });
      });
      for (const writeGuard of ['checkpoint', 'id'] as const) {
        await time(`applyEvents, writeGuard '${writeGuard}'`, size, (i) => {
          const d = target(i);
          const v = next(d);
          return applyEvents(col, `d${d}`, [{ streamId: `s${d}`, version: v }], (doc) => ({ ...(doc ?? {}), status: `s${v}` }), { writeGuard });
        });
      }
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
