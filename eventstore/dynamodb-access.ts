/**
 * How the DynamoDB event store reaches its table. The store (dynamodb.ts) decides what to read and write;
 * a `TableAccess` does it. `tableAccess` is DynamoDB as it is (as castore's adapter uses it): a Query for a
 * stream and for its head, a consistent GetItem for one version, a conditional PutItem for one event and
 * TransactWriteItems for several. Emulator workarounds (dynamodb-emulator.ts) replace parts of it, only
 * when configuration asks for them.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { eventToItem, type Item } from './dynamodb-items';
import type { StoredEvent } from './types';

export interface TableAccess {
  /** A stream's items from version `from` on, in version order (consistent, all pages). */
  readFrom(streamId: string, from: number): Promise<Item[]>;
  /** The stream's current version (0: none), given a version `known` to exist (0: none known). */
  head(streamId: string, known: number): Promise<number>;
  /** Whether this version of the stream exists (consistent). */
  exists(streamId: string, version: number): Promise<boolean>;
  /**
   * Writes the events, each only if its position is free: one is a conditional PutItem, more are one
   * transaction (all or nothing). A position already taken rejects with an error `isConditionFailure` knows.
   */
  write(events: StoredEvent[]): Promise<void>;
}

/** A write refused before it was sent because a position it writes was already taken. */
export class PositionTaken extends Error {
  override readonly name = 'PositionTaken';
}

/** Whether a write failed because a position it writes was taken (a lost race or a stale expected version). */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || err instanceof TransactionCanceledException || err instanceof PositionTaken;
}

/** `version` is a reserved word in DynamoDB expressions. */
const VERSION = { '#v': 'version' };
const POSITION_FREE = 'attribute_not_exists(#v)';

export function tableAccess(client: DynamoDBClient, tableName: string): TableAccess {
  const query = (streamId: string, input: Partial<QueryCommandInput> & { from?: number }) => {
    const { from, ...rest } = input;
    return new QueryCommand({
      TableName: tableName,
      ConsistentRead: true,
      KeyConditionExpression: from === undefined ? 'streamId = :s' : 'streamId = :s AND #v >= :from',
      ExpressionAttributeNames: VERSION,
      ExpressionAttributeValues: { ':s': { S: streamId }, ...(from === undefined ? {} : { ':from': { N: String(from) } }) },
      ...rest,
    });
  };

  return {
    async readFrom(streamId, from) {
      const out: Item[] = [];
      let startKey: Item | undefined;
      do {
        const page = await client.send(query(streamId, { from, ExclusiveStartKey: startKey }));
        out.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return out;
    },

    async head(streamId) {
      const page = await client.send(query(streamId, { ProjectionExpression: '#v', ScanIndexForward: false, Limit: 1 }));
      const v = page.Items?.[0]?.version?.N;
      return v === undefined ? 0 : Number(v);
    },

    async exists(streamId, version) {
      const out = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { streamId: { S: streamId }, version: { N: String(version) } },
          ConsistentRead: true,
          ProjectionExpression: '#v',
          ExpressionAttributeNames: VERSION,
        }),
      );
      return out.Item !== undefined;
    },

    async write(events) {
      const put = (e: StoredEvent) => ({ TableName: tableName, Item: eventToItem(e), ConditionExpression: POSITION_FREE, ExpressionAttributeNames: VERSION });
      if (events.length === 1) await client.send(new PutItemCommand(put(events[0]!)));
      else await client.send(new TransactWriteItemsCommand({ TransactItems: events.map((e) => ({ Put: put(e) })) }));
    },
  };
}
