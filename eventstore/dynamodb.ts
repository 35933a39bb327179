/**
 * DynamoDB event store: one table per service, one item per event (dynamodb-items.ts), keyed by stream id
 * and version.
 *
 * Writing: every new item is put with `attribute_not_exists(version)`, so two writers can never both own a
 * position. A numeric expected version n > 0 must exist for the append to go after it: items are never
 * deleted, so "n exists" still holds at write time, and with "n+1 is free" (the put's condition) it proves
 * the stream is exactly at n (no gaps, no skipped positions), without a ConditionCheck item eating into the
 * 100-action transaction limit. The store remembers the highest version it has read or written of each
 * recent stream (such a version exists for good; a table is never emptied under a running store); only a
 * version it has not seen costs a consistent GetItem.
 * One event → a conditional PutItem, never a transaction; more events, even on one stream, →
 * TransactWriteItems, because they must land together.
 *
 * Reading: a consistent Query, all pages; the head is a Query of one key, newest first.
 *
 * This is DynamoDB as it is, and what dynoxide (the local stack) runs. Workarounds for moto
 * (dynamodb-emulator.ts) are switched on with `readByKey` and `serializeTransactions`, which the runtime
 * sets from configuration (platform/runtime.ts `eventStore`).
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LRUCache } from 'lru-cache';
import { isConditionFailure, type TableAccess, tableAccess } from './dynamodb-access';
import { keyedReads, serializedWrites } from './dynamodb-emulator';
import { type Item, itemToEvent } from './dynamodb-items';
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

export interface DynamoDBEventStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  service: ServiceName;
  /** moto workaround (dynamodb-emulator.ts `serializedWrites`). Default false: real DynamoDB and dynoxide need none. */
  serializeTransactions?: boolean;
  /** moto workaround (dynamodb-emulator.ts `keyedReads`). Default false: a Query is cheaper on real DynamoDB. */
  readByKey?: boolean;
  /** Attempts for `any` appends and transient transaction conflicts (and, with `readByKey`, BatchGetItem rounds that make no progress). Default 10. */
  maxAttempts?: number;
  now?: () => Date;
}

/** Streams whose highest known version the store remembers (a few numbers each). */
const KNOWN_STREAMS = 10_000;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

export class DynamoDBEventStore<E extends DomainEvent = DomainEvent> implements EventStore<E> {
  readonly service: ServiceName;
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly access: TableAccess;
  private readonly maxAttempts: number;
  private readonly now: () => Date;
  /** Per stream, a version known to exist: read or written by this store (items are never deleted). */
  private readonly known = new LRUCache<string, number>({ max: KNOWN_STREAMS });

  constructor(opts: DynamoDBEventStoreOptions) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.service = opts.service;
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.now = opts.now ?? (() => new Date());
    let access = tableAccess(opts.client, opts.tableName);
    if (opts.readByKey) access = { ...access, ...keyedReads(opts.client, opts.tableName, this.maxAttempts) };
    if (opts.serializeTransactions) access = serializedWrites(access, opts.tableName);
    this.access = access;
  }

  /** A version of the stream known to exist (0: none known). */
  private knownVersion(streamId: string): number {
    return this.known.get(streamId) ?? 0;
  }

  private saw(streamId: string, version: number): number {
    if (version > this.knownVersion(streamId)) this.known.set(streamId, version);
    return version;
  }

  private async head(streamId: string): Promise<number> {
    return this.saw(streamId, await this.access.head(streamId, this.knownVersion(streamId)));
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
    for (let attempt = 1; ; attempt++) {
      // The base each request writes after; undefined when the expected version is already known stale.
      const bases = await Promise.all(
        reqs.map(async (r): Promise<number | undefined> => {
          const want = expectedNumber(r.expectedVersion);
          // version 1 free ⇔ stream empty, so `no_stream` needs no read
          if (want === 0) return 0;
          if (want === undefined) return this.head(r.streamId);
          // a point read, not a head search: "want exists" plus "want+1 free" (the put's condition) pins it
          if (want > this.knownVersion(r.streamId) && !(await this.access.exists(r.streamId, want))) return undefined;
          return this.saw(r.streamId, want);
        }),
      );
      const stale = bases.some((b) => b === undefined);
      let wrote = false;
      if (!stale) {
        const events = reqs.flatMap((r, i) => toEnvelopes(this.service, r, bases[i]!, this.now));
        try {
          await this.access.write(events as StoredEvent[]);
          const versions = Object.fromEntries(reqs.map((r, i) => [r.streamId, this.saw(r.streamId, bases[i]! + r.events.length)]));
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
      const actual = await Promise.all(reqs.map((r) => this.head(r.streamId)));
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

  async readStream(streamId: string, opts: ReadOptions = {}): Promise<StoredEvent<E>[]> {
    const from = Math.max(1, Math.ceil(opts.fromVersion ?? 1));
    // NaN or +Infinity: nothing is at or after it (as in the in-memory store)
    if (!Number.isSafeInteger(from)) return [];
    const events = (await this.access.readFrom(streamId, from)).map((item) => itemToEvent<E>(item));
    if (events.length > 0) this.saw(streamId, events[events.length - 1]!.version);
    return events;
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.head(streamId);
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
