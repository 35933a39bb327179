/**
 * Workarounds for moto 5.x serving DynamoDB, chosen by configuration (platform/config.ts
 * `DYNAMODB_MOTO_WORKAROUNDS`, platform/runtime.ts `eventStore`) and off by default: real DynamoDB and the
 * local stack's dynoxide need neither. On dynoxide the event store contract (concurrent transactions
 * included) passes without them, and they buy nothing: measured 2026-12-01 in a table of 3,000 items, a
 * 5-event readStream took a median 3.8 ms by Query and 3.3 ms by key (noise on a loaded 2-core machine),
 * while the gate made 3-event transactions from 8 writers 2.3× slower (10.2 against 4.4 ms each).
 *
 * - `keyedReads`: moto answers a Query by listing and sorting every item of the table and then filtering by
 *   hash key, so a Query costs O(table size) however short the stream; point reads are O(1). Versions are
 *   gapless 1..n, so a stream is read by key instead: BatchGetItem of consecutive versions (10 keys first, so
 *   a short stream costs one small call, then 100 per call) until a page comes back missing a version. The
 *   head is found the same way, by probing versions in batches. On real DynamoDB a Query costs O(items
 *   returned) and fewer read units (a BatchGetItem is billed per key, missing keys included).
 * - `serializedWrites`: moto deep-copies every table a transaction touches before running it (O(table size))
 *   and rolls a cancelled one back by restoring that copy, which also wipes writes other requests made in
 *   between. So this process's transactions on a table run one at a time, each sent only after checking, in
 *   its turn, that its first positions are still free (so one moto would cancel is almost never sent), and
 *   this process's single-event puts on that table are held back while one runs (puts still run side by
 *   side). Writes from other processes are not covered, and the per-transaction table copy remains:
 *   multi-event appends get slower as the table grows.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PositionTaken, type TableAccess } from './dynamodb-access';
import type { Item } from './dynamodb-items';
import { TableGate } from './table-gate';

/** Keys in the first read of a stream: most streams are short, and this keeps their read one small call. */
const FIRST_PAGE = 10;
/** BatchGetItem's limit. */
const PAGE = 100;
/** Versions probed one by one before galloping when looking for a stream's head. */
const DENSE_PROBES = 16;
/** Galloping stops doubling here (and goes on from the last version seen in the next round). */
const MAX_GALLOP = 1 << 24;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** First round of a head search above `known`: a few versions one by one, then doubling distances. */
function gallop(known: number): number[] {
  const probes = range(known + 1, DENSE_PROBES);
  for (let d = DENSE_PROBES * 2; d <= MAX_GALLOP; d *= 2) probes.push(known + d);
  return probes;
}

/** Up to PAGE versions strictly between `lo` and `hi`, evenly spread: each round narrows the gap ~100-fold. */
function spread(lo: number, hi: number): number[] {
  const gap = hi - lo - 1;
  if (gap <= PAGE) return range(lo + 1, gap);
  const step = (hi - lo) / (PAGE + 1);
  return [...new Set(range(1, PAGE).map((i) => lo + Math.round(i * step)))].filter((v) => v > lo && v < hi);
}

/**
 * Stream reads and head searches by key (BatchGetItem) instead of Query. `maxAttempts`: BatchGetItem rounds
 * in a row that process none of the keys left before giving up.
 */
export function keyedReads(client: DynamoDBClient, tableName: string, maxAttempts: number): Pick<TableAccess, 'readFrom' | 'head'> {
  /**
   * Consistent BatchGetItem of some versions of a stream (at most PAGE), by version; missing ones are absent.
   * Unprocessed keys (throttling, or the 16 MB response cap) are asked for again, with backoff when a call
   * processed none of them.
   */
  async function getVersions(streamId: string, versions: number[], versionOnly = false): Promise<Map<number, Item>> {
    const found = new Map<number, Item>();
    let keys: Item[] = versions.map((v) => ({ streamId: { S: streamId }, version: { N: String(v) } }));
    for (let stalled = 0; keys.length > 0; ) {
      const out = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ...(versionOnly ? { ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'version' } } : {}),
            },
          },
        }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(Number(item.version?.N), item);
      const left = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      const progressed = left.length < keys.length;
      keys = left;
      if (keys.length > 0 && !progressed) {
        if (++stalled >= maxAttempts) {
          throw new Error(`BatchGetItem on ${tableName} left ${keys.length} keys of ${streamId} unprocessed ${stalled} times in a row`);
        }
        await sleep(Math.min(1000, 20 * 2 ** stalled) * (0.5 + Math.random() / 2));
      }
    }
    return found;
  }

  return {
    async readFrom(streamId, from) {
      const out: Item[] = [];
      for (let next = from, size = FIRST_PAGE; ; next += size, size = PAGE) {
        const versions = range(next, size);
        const items = await getVersions(streamId, versions);
        for (const v of versions) {
          const item = items.get(v);
          // versions are gapless, so the first missing one is the end of the stream
          if (item === undefined) return out;
          out.push(item);
        }
      }
    },

    /**
     * Probes versions in batches: every version seen raises the lower bound for good (items are never
     * deleted); the first version missing above it bounds the search from above. Usually one call,
     * whatever the stream's length.
     */
    async head(streamId, known) {
      let lo = known;
      let hi: number | undefined;
      for (;;) {
        const probes = hi === undefined ? gallop(lo) : spread(lo, hi);
        const seen = await getVersions(streamId, probes, true);
        for (const v of probes) if (seen.has(v) && v > lo) lo = v;
        // a missing probe below a seen one was written meanwhile; only those above the new bound count
        hi = hi !== undefined && hi > lo ? hi : undefined;
        for (const v of probes) if (!seen.has(v) && v > lo && (hi === undefined || v < hi)) hi = v;
        if (hi === lo + 1) return lo;
      }
    },
  };
}

/** Per-table gates shared by every store in the process; dropped when idle. */
const gates = new Map<string, TableGate>();

async function throughGate<T>(tableName: string, mode: 'exclusive' | 'shared', fn: () => Promise<T>): Promise<T> {
  let gate = gates.get(tableName);
  if (!gate) {
    gate = new TableGate();
    gates.set(tableName, gate);
  }
  try {
    return await (mode === 'exclusive' ? gate.exclusive(fn) : gate.shared(fn));
  } finally {
    if (gate.idle && gates.get(tableName) === gate) gates.delete(tableName);
  }
}

/** `access` with this process's transactions on the table run one at a time and alone (see the file comment). */
export function serializedWrites(access: TableAccess, tableName: string): TableAccess {
  /** Whether some stream's first position in `events` is already written. */
  async function anyTaken(events: Parameters<TableAccess['write']>[0]): Promise<boolean> {
    const first = new Map<string, number>();
    for (const e of events) first.set(e.streamId, Math.min(first.get(e.streamId) ?? e.version, e.version));
    const taken = await Promise.all([...first].map(([id, v]) => access.exists(id, v)));
    return taken.some(Boolean);
  }

  return {
    ...access,
    async write(events) {
      if (events.length === 1) return throughGate(tableName, 'shared', () => access.write(events));
      return throughGate(tableName, 'exclusive', async () => {
        // Inside the gate nothing else this process writes can take a position between this check and the
        // transaction. Gapless versions: if a stream's first new position is free, so are the rest.
        if (await anyTaken(events)) throw new PositionTaken();
        await access.write(events);
      });
    },
  };
}
