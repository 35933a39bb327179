/**
 * A service's history as the DynamoDB table holds it, page by page, for a direct rebuild
 * (projections/rebuild.ts): a consistent Scan whose next page is requested as soon as a page arrives, so
 * reading overlaps with what the caller does with the page (folding, writing a read model).
 *
 * Unlike `DynamoDBEventStore.readAll` (which holds the whole table and sorts it before yielding anything),
 * events come in the table's scan order: on DynamoDB and dynoxide a stream's items are contiguous and in
 * version order (one partition key, ascending sort key), so each stream arrives whole and in order. The
 * rebuild does not rely on it for correctness: a stream seen out of order or with a missing version is
 * re-read with `readStream` and applied by the live path.
 */
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type EventImage, itemToEvent } from './dynamodb-items';
import type { StoredEvent } from './types';

export async function* scanHistory(client: DynamoDBClient, tableName: string, opts: { pageSize?: number } = {}): AsyncIterable<StoredEvent> {
  const page = (startKey: Record<string, unknown> | undefined) =>
    client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey: startKey as never,
        ...(opts.pageSize ? { Limit: opts.pageSize } : {}),
      }),
    );
  let next: ReturnType<typeof page> | undefined = page(undefined);
  while (next) {
    const out: Awaited<ReturnType<typeof page>> = await next;
    // ask for the next page before the caller works on this one
    next = out.LastEvaluatedKey ? page(out.LastEvaluatedKey) : undefined;
    // a failed prefetch surfaces when it is awaited, not as an unhandled rejection meanwhile
    next?.catch(() => undefined);
    for (const item of out.Items ?? []) yield itemToEvent(item as EventImage);
  }
}
