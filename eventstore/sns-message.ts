/**
 * An event as an SNS message: body, attributes and PublishBatch entry (ids and text made valid by
 * fifo-ids.ts). The forwarder (forwarder.ts) publishes these; replay (replay.ts) sends the same to a queue.
 */
import type { PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { fifoId, messageGroupId, safeJson, safeText } from './fifo-ids';
import type { StoredEvent } from './types';

/** SNS's limit for one message, attributes included. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** A generous bound for one entry's message attributes (type, stream id, version). */
export const ATTRIBUTE_BYTES = 1024;

/** The SNS message attributes a consumer can filter or route on without parsing the body. */
export function messageAttributes(e: StoredEvent) {
  return {
    type: { DataType: 'String', StringValue: safeText(e.type) },
    streamId: { DataType: 'String', StringValue: safeText(e.streamId) },
    version: { DataType: 'Number', StringValue: String(e.version) },
  };
}

/**
 * The message body of an event. One that would exceed what SNS takes (an event item may hold up to
 * 400 KB, a message 256 KiB) goes out as its envelope without `data` and with `dataOmitted: true`; the
 * consumer reads that event from the store (consumer.ts). Refusing it instead would stop the shard.
 */
export function messageBody(e: StoredEvent): string {
  const full = safeJson(e);
  if (Buffer.byteLength(full) + ATTRIBUTE_BYTES <= MAX_MESSAGE_BYTES) return full;
  return withoutData(e);
}

/** The envelope alone (`dataOmitted: true`): the consumer reads the event from the store. */
function withoutData(e: StoredEvent): string {
  const { data: _data, ...envelope } = e;
  return safeJson({ ...envelope, data: null, dataOmitted: true });
}

/**
 * The PublishBatch entry of an event: ids and text always valid (fifo-ids.ts). `omitData`: the envelope
 * alone, the last try of an event SNS keeps refusing (whatever in its data SNS objects to is then not sent).
 */
export function publishEntry(e: StoredEvent, id: string, omitData = false): PublishBatchRequestEntry {
  return {
    Id: id,
    Message: omitData ? withoutData(e) : messageBody(e),
    MessageGroupId: messageGroupId(e.streamId),
    MessageDeduplicationId: fifoId(e.eventId),
    MessageAttributes: messageAttributes(e),
  };
}
