/**
 * How an event is stored in the event table, one item per event (all scalar attributes, so a stream image
 * decodes without a marshalling library):
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
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DomainEvent, ServiceName, StoredEvent } from './types';

export type Item = Record<string, AttributeValue>;

/** The subset of an attribute value the event item uses; both SDK and Lambda stream images fit it. */
export interface ImageValue {
  S?: string;
  N?: string;
}
export type EventImage = Record<string, ImageValue | undefined>;

const ENVELOPE_KEYS = new Set(['streamId', 'version', 'eventId', 'type', 'service', 'data', 'metadata']);

export function eventToItem(e: StoredEvent): Item {
  const item: Item = {
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
