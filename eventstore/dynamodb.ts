/**
 * DynamoDB event store: one table per service, one item per event.
 *
 * Item layout (all scalar attributes, so a stream image decodes without a marshalling library):
 *   streamId  S  hash key
 *   version   N  range key, 1, 2, 3… per stream
 *   eventId   S
 *   type      S
 *   service   S
 *   data      S  JSON of the event's `data`
 *   metadata  S  JSON of the envelope's `metadata`
 *   extra     S  JSON of any other top-level envelope fields (only when there are some)
 * JSON strings rather than maps: the envelope round-trips exactly (maps would turn `undefined` members,
 * empty sets or big numbers into something else), and consumers decode a stream image with JSON.parse.
 *
 * Writing: every new item is put with `attribute_not_exists(version)`, so two writers can never both own a
 * position. A numeric expected version n > 0 is verified by a consistent GetItem of version n first: items
 * are never deleted, so "n existed" still holds at write time, and with "n+1 is free" (the put's condition)
 * it proves the stream is exactly at n (no gaps, no skipped positions), without a ConditionCheck item
 * eating into the 100-action transaction limit.
 * One event → a conditional PutItem, never a transaction (one round trip for `no_stream`, a GetItem and the
 * PutItem for a number); more events, even on one stream, → TransactWriteItems, because they must land together.
 *
 * Reading: versions are gapless 1..n, so a stream is read by key: BatchGetItem of consecutive versions
 * (10 keys first, so a short stream costs one small call, then 100 per call) until a page comes back
 * missing a version. The head (`streamVersion`) is found the same way, by probing versions in batches.
 *
 * Two moto 5.x workarounds, both on by default, both to be turned off against real DynamoDB:
 * - `readByKey`: moto answers a Query by listing and sorting every item of the table and then filtering by
 *   hash key, so a Query costs O(table size) however short the stream; point reads are O(1). On real
 *   DynamoDB a Query costs O(items returned) and is cheaper in read units (a BatchGetItem is billed per
 *   key, missing keys included), so pass `readByKey: false` there.
 * - `serializeTransactions`: moto deep-copies every table a transaction touches before running it (O(table
 *   size)) and rolls a cancelled one back by restoring that copy, which also wipes writes other requests
 *   made in between. By default, therefore, this process's transactions on a table run one at a time, each
 *   sent only after checking, in its turn, that its first positions are still free (so one moto would cancel
 *   is almost never sent), and this process's single-event puts on that table are held back while one runs
 *   (puts still run concurrently with each other). Writes from other processes are not covered, and the
 *   per-transaction table copy remains: multi-event appends get slower as the table grows.
 *   Against real DynamoDB pass `serializeTransactions: false`.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { checkExpected, checkLimits, expectedNumber, findRetry, toEnvelopes } from './envelope';
import {
  type AppendOptions,
  type AppendRequest,
  type AppendResult,
  ConcurrencyError,
  type DomainEvent,
  type EventStore,
  type NewEvent,
  type ReadOptions,
  type ServiceName,
  type StoredEvent,
} from './types';

/** The subset of an attribute value the event item uses; both SDK and Lambda stream images fit it. */
export interface ImageValue {
  S?: string;
  N?: string;
}
export type EventImage = Record<string, ImageValue | undefined>;

const ENVELOPE_KEYS = new Set(['streamId', 'version', 'eventId', 'type', 'service', 'data', 'metadata']);

export function eventToItem(e: StoredEvent): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    streamId: { S: e.streamId },
    version: { N: String(e.version) },
    eventId: { S: e.eventId },
    type: { S: e.type },
    service: { S: e.service },
    data: { S: JSON.stringify(e.data ?? null) },
    metadata: { S: JSON.stringify(e.metadata) },
  };
  const extra = Object.fromEntries(Object.entries(e).filter(([k]) => !ENVELOPE_KEYS.has(k)));
  if (Object.keys(extra).length > 0) item.extra = { S: JSON.stringify(extra) };
  return item;
}

/** Decodes an event item (from a Query/Scan, or a stream record's NewImage) back into the envelope. */
export function itemToEvent<E extends DomainEvent = DomainEvent>(item: EventImage): StoredEvent<E> {
  const s = (k: string): string => {
    const v = item[k]?.S;
    if (v === undefined) throw new Error(`event item lacks string attribute ${k}`);
    return v;
  };
  const version = Number(item.version?.N);
  if (!Number.isInteger(version)) throw new Error('event item lacks numeric attribute version');
  const extraRaw = item.extra?.S;
  const extra = extraRaw === undefined ? {} : (JSON.parse(extraRaw) as Record<string, unknown>);
  return {
    ...extra,
    type: s('type'),
    data: JSON.parse(s('data')) as unknown,
    eventId: s('eventId'),
    streamId: s('streamId'),
    version,
    metadata: JSON.parse(s('metadata')) as StoredEvent['metadata'],
    service: s('service') as ServiceName,
  } as unknown as StoredEvent<E>;
}

/** Creates the event table (streams on, NEW_IMAGE, on demand) unless it exists. Returns true if created. */
export async function createEventTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  if (await tableExists(client, tableName)) return false;
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'streamId', AttributeType: 'S' },
          { AttributeName: 'version', AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'streamId', KeyType: 'HASH' },
          { AttributeName: 'version', KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    created = false; // a concurrent provisioner won
  }
  await waitActive(client, tableName);
  return created;
}

export async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

export async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DynamoDBEventStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  service: ServiceName;
  /**
   * moto workaround (see header): run this process's multi-event appends on the table one at a time and hold
   * single-event puts back while one runs. Default true; pass false against real DynamoDB.
   */
  serializeTransactions?: boolean;
  /**
   * moto workaround (see header): read streams and heads with BatchGetItem by version instead of Query.
   * Default true; pass false against real DynamoDB, where a Query is cheaper.
   */
  readByKey?: boolean;
  /** Attempts for `any` appends and transient transaction conflicts, and BatchGetItem rounds that make no progress. Default 10. */
  maxAttempts?: number;
  now?: () => Date;
}

/** Keys in the first read of a stream: most streams are short, and this keeps their read one small call. */
const FIRST_PAGE = 10;
/** BatchGetItem's limit. */
const PAGE = 100;
/** Versions probed one by one before galloping when looking for a stream's head. */
const DENSE_PROBES = 16;
/** Galloping stops doubling here (and goes on from the last version seen in the next round). */
const MAX_GALLOP = 1 << 24;

type Item = Record<string, AttributeValue>;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/**
 * Readers/writer gate for one table: transactions run one at a time and alone, single puts run together.
 * Exported for its unit test.
 * Needed because moto restores a whole-table copy when it cancels a transaction (see header).
 */
export class TableGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly puts = new Set<Promise<unknown>>();
  /** Transactions queued or running. */
  private transactions = 0;
  /** Puts waiting for transactions to finish. */
  private waiting = 0;

  get idle(): boolean {
    return this.transactions === 0 && this.waiting === 0 && this.puts.size === 0;
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.transactions++;
    // puts already running when our turn comes must finish first; later ones wait for us (transactions > 0)
    const run = this.tail.then(async () => {
      await Promise.allSettled([...this.puts]);
      return fn();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.transactions--;
    }
  }

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.transactions > 0) {
      this.waiting++;
      try {
        while (this.transactions > 0) await this.tail;
      } finally {
        this.waiting--;
      }
    }
    // registered in the same tick as the check, so a transaction queued from now on waits for this put
    const p = fn();
    this.puts.add(p);
    try {
      return await p;
    } finally {
      this.puts.delete(p);
    }
  }
}

/** Per-table gates shared by every store instance in the process; dropped when idle. */
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

/** A transaction we did not send because a position it writes was already taken (see `write`). */
class PositionTaken extends Error {
  override readonly name = 'PositionTaken';
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || err instanceof TransactionCanceledException || err instanceof PositionTaken;
}

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

export class DynamoDBEventStore<E extends DomainEvent = DomainEvent> implements EventStore<E> {
  readonly service: ServiceName;
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly serialize: boolean;
  private readonly readByKey: boolean;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(opts: DynamoDBEventStoreOptions) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.service = opts.service;
    this.serialize = opts.serializeTransactions ?? true;
    this.readByKey = opts.readByKey ?? true;
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.now = opts.now ?? (() => new Date());
  }

  async append(streamId: string, events: NewEvent<E>[], opts: AppendOptions): Promise<AppendResult<E>> {
    return this.appendMany([{ streamId, events, ...opts }]);
  }

  async appendMany(requests: AppendRequest<E>[]): Promise<AppendResult<E>> {
    checkLimits(requests as AppendRequest[]);
    const callerIds = requests.every((r) => r.events.every((e) => e.eventId !== undefined));
    // Fix event ids once so every attempt (and an SDK-level resend) writes the same events and a write that
    // actually landed is recognised as ours.
    const reqs: AppendRequest<E>[] = requests.map((r) => ({
      ...r,
      events: r.events.map((e) => ({ ...e, eventId: e.eventId ?? randomUUID() })),
    }));
    return this.appendLoop(reqs, callerIds);
  }

  private async appendLoop(reqs: AppendRequest<E>[], callerIds: boolean): Promise<AppendResult<E>> {
    // `any` with caller-chosen ids may be a retry of a write that landed: the version check can't tell.
    if (callerIds && reqs.some((r) => r.expectedVersion === 'any')) {
      const retried = await this.findRetries(reqs);
      if (retried) return retried;
    }
    // Per request, a version seen to exist: head searches start there instead of at 1.
    const known = reqs.map(() => 0);
    for (let attempt = 1; ; attempt++) {
      // The base each request writes after; undefined when the expected version is already known stale.
      const bases = await Promise.all(
        reqs.map(async (r, i): Promise<number | undefined> => {
          const want = expectedNumber(r.expectedVersion);
          // version 1 free ⇔ stream empty, so `no_stream` needs no read
          if (want === 0) return 0;
          if (want === undefined) return (known[i] = await this.head(r.streamId, known[i]!));
          // a point read, not a head search: "want exists" plus "want+1 free" (the put's condition) pins it
          if (!r.versionSeen && !(await this.exists(r.streamId, want))) return undefined;
          return (known[i] = want);
        }),
      );
      const stale = bases.some((b) => b === undefined);
      let wrote = false;
      if (!stale) {
        const events = reqs.flatMap((r, i) => toEnvelopes(this.service, r, bases[i]!, this.now));
        try {
          await this.write(events);
          const versions = Object.fromEntries(reqs.map((r, i) => [r.streamId, bases[i]! + r.events.length]));
          return { versions, events, alreadyStored: false };
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
          wrote = true;
        }
      }
      // Lost a race or was stale: either our events are there (a retry), or report the actual version.
      // Ids we generated and never sent can't be stored, so only look when a retry is possible.
      const retried = wrote || callerIds ? await this.findRetries(reqs) : undefined;
      if (retried) return wrote && !callerIds ? { ...retried, alreadyStored: false } : retried;
      const actual = await Promise.all(reqs.map(async (r, i) => (known[i] = await this.head(r.streamId, known[i]!))));
      reqs.forEach((r, i) => checkExpected(r.streamId, r.expectedVersion, actual[i]!));
      // versions match again (an `any` append lost a race, or a transient conflict): try again, bounded
      if (attempt >= this.maxAttempts) {
        const r = reqs[0]!;
        throw new ConcurrencyError(r.streamId, r.expectedVersion, actual[0]!);
      }
      // jitter so `any` writers racing on one stream don't collide in lockstep
      await sleep(Math.random() * 5 * attempt);
    }
  }

  /** The stored events if every request is already stored at its position, else undefined. */
  private async findRetries(reqs: AppendRequest<E>[]): Promise<AppendResult<E> | undefined> {
    const found: StoredEvent<E>[][] = [];
    const versions: Record<string, number> = {};
    for (const r of reqs) {
      const want = expectedNumber(r.expectedVersion);
      const stored = await this.readStream(r.streamId, { fromVersion: want === undefined ? 1 : want + 1 });
      const hit = findRetry(r, stored);
      if (!hit) return undefined;
      found.push(hit);
      versions[r.streamId] = stored.length > 0 ? stored[stored.length - 1]!.version : await this.streamVersion(r.streamId);
    }
    return { versions, events: found.flat(), alreadyStored: true };
  }

  private async write(events: StoredEvent<E>[]): Promise<void> {
    const condition = 'attribute_not_exists(#v)';
    const names = { '#v': 'version' };
    if (events.length === 1) {
      const put = () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: eventToItem(events[0]! as StoredEvent),
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
          }),
        );
      await (this.serialize ? throughGate(this.tableName, 'shared', put) : put());
      return;
    }
    const transact = async () => {
      // Inside the gate nothing else this process writes can take a position between this check and the
      // transaction, so a transaction moto would cancel (and roll back with a whole-table restore) is
      // almost never sent. Gapless versions: if a stream's first new position is free, so are the rest.
      if (this.serialize && (await this.anyTaken(events))) throw new PositionTaken();
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: events.map((e) => ({
            Put: {
              TableName: this.tableName,
              Item: eventToItem(e as StoredEvent),
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
            },
          })),
        }),
      );
    };
    await (this.serialize ? throughGate(this.tableName, 'exclusive', transact) : transact());
  }

  /** Whether some stream's first position in `events` is already written. */
  private async anyTaken(events: StoredEvent<E>[]): Promise<boolean> {
    const first = new Map<string, number>();
    for (const e of events) first.set(e.streamId, Math.min(first.get(e.streamId) ?? e.version, e.version));
    const taken = await Promise.all([...first].map(async ([id, v]) => (await this.getVersions(id, [v], true)).has(v)));
    return taken.some(Boolean);
  }

  private async exists(streamId: string, version: number): Promise<boolean> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { streamId: { S: streamId }, version: { N: String(version) } },
        ConsistentRead: true,
        ProjectionExpression: '#v',
        ExpressionAttributeNames: { '#v': 'version' },
      }),
    );
    return out.Item !== undefined;
  }

  /**
   * Consistent BatchGetItem of some versions of a stream (at most PAGE), by version; missing ones are absent.
   * Unprocessed keys (throttling, or the 16 MB response cap) are asked for again, with backoff when a call
   * processed none of them.
   */
  private async getVersions(streamId: string, versions: number[], versionOnly = false): Promise<Map<number, Item>> {
    const found = new Map<number, Item>();
    let keys: Item[] = versions.map((v) => ({ streamId: { S: streamId }, version: { N: String(v) } }));
    for (let stalled = 0; keys.length > 0; ) {
      const out = await this.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ...(versionOnly ? { ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'version' } } : {}),
            },
          },
        }),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(Number(item.version?.N), item);
      const left = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      const progressed = left.length < keys.length;
      keys = left;
      if (keys.length > 0 && !progressed) {
        if (++stalled >= this.maxAttempts) {
          throw new Error(`BatchGetItem on ${this.tableName} left ${keys.length} keys of ${streamId} unprocessed ${stalled} times in a row`);
        }
        await sleep(Math.min(1000, 20 * 2 ** stalled) * (0.5 + Math.random() / 2));
      }
    }
    return found;
  }

  async readStream(streamId: string, opts: ReadOptions = {}): Promise<StoredEvent<E>[]> {
    const from = Math.max(1, Math.ceil(opts.fromVersion ?? 1));
    // NaN or +Infinity: nothing is at or after it (as in the in-memory store)
    if (!Number.isSafeInteger(from)) return [];
    if (!this.readByKey) return this.queryStream(streamId, from);
    const out: StoredEvent<E>[] = [];
    for (let next = from, size = FIRST_PAGE; ; next += size, size = PAGE) {
      const versions = range(next, size);
      const items = await this.getVersions(streamId, versions);
      for (const v of versions) {
        const item = items.get(v);
        // versions are gapless, so the first missing one is the end of the stream
        if (item === undefined) return out;
        out.push(itemToEvent<E>(item));
      }
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.head(streamId, 0);
  }

  /**
   * The stream's current version, given a version `known` to exist (0: none). Probes versions in batches:
   * every version seen raises the lower bound for good (items are never deleted); the first version missing
   * above it bounds the search from above. Usually one call, whatever the stream's length.
   */
  private async head(streamId: string, known: number): Promise<number> {
    if (!this.readByKey) return this.queryHead(streamId);
    let lo = known;
    let hi: number | undefined;
    for (;;) {
      const probes = hi === undefined ? gallop(lo) : spread(lo, hi);
      const seen = await this.getVersions(streamId, probes, true);
      for (const v of probes) if (seen.has(v) && v > lo) lo = v;
      // a missing probe below a seen one was written meanwhile; only those above the new bound count
      hi = hi !== undefined && hi > lo ? hi : undefined;
      for (const v of probes) if (!seen.has(v) && v > lo && (hi === undefined || v < hi)) hi = v;
      if (hi === lo + 1) return lo;
    }
  }

  private async queryStream(streamId: string, from: number): Promise<StoredEvent<E>[]> {
    const out: StoredEvent<E>[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          KeyConditionExpression: 'streamId = :s AND #v >= :from',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':s': { S: streamId }, ':from': { N: String(from) } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) out.push(itemToEvent<E>(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  private async queryHead(streamId: string): Promise<number> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'streamId = :s',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':s': { S: streamId } },
        ProjectionExpression: '#v',
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const v = page.Items?.[0]?.version?.N;
    return v === undefined ? 0 : Number(v);
  }

  /**
   * Scans the whole table (all pages, consistent) and yields stream by stream, each in version order.
   * It holds the history in memory: fine for replaying one service locally; a very large table would
   * want a segmented scan per stream instead.
   */
  async *readAll(): AsyncIterable<StoredEvent<E>> {
    const byStream = new Map<string, StoredEvent<E>[]>();
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) {
        const e = itemToEvent<E>(item);
        const list = byStream.get(e.streamId) ?? [];
        list.push(e);
        byStream.set(e.streamId, list);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    for (const id of [...byStream.keys()].sort()) {
      for (const e of byStream.get(id)!.sort((a, b) => a.version - b.version)) yield e;
    }
  }
}
