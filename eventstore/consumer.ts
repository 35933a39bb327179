/**
 * SQS FIFO messages → a consumer's `handle(event)`: decoding, ordering per stream, healing gaps. (Receiving,
 * deleting and pausing is queue-runner.ts.)
 *
 * `createSqsHandler` is the Lambda (SQS event source with ReportBatchItemFailures) and is also what the
 * local `QueueConsumerRunner` (queue-runner.ts) calls. Ordering: SQS FIFO delivers one message group (= one event stream) in
 * order; after a failure in a group every later message of that group in the batch is reported failed
 * too, so nothing of that stream is applied out of order. Failed messages come back after the visibility
 * timeout and, after MAX_RECEIVE_COUNT receives, move to the dead-letter queue, unblocking the group
 * (dead-letters.ts moves them back later, with backoff).
 *
 * Nothing freezes on a missing event: a projection that meets a gap throws the one `GapError`
 * (checkpoint.ts); given the source service's store, the handler reads the missing run from it, applies
 * it and then the message, so a lost, skipped or dead-lettered event is mended by the next one of its
 * stream.
 */
import type { SQSBatchResponse, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { unavailableDependency } from '../platform/unavailable';
import { GapError } from './checkpoint';
import { type EventImage, itemToEvent } from './dynamodb-items';
import type { EventStore, StoredEvent } from './types';

/**
 * The parts of a Lambda SQS record (@types/aws-lambda `SQSRecord`) the handler reads: so a real Lambda event
 * fits, and the local runner and tests need not invent ARNs and checksums.
 */
export type SqsRecord = Pick<SQSRecord, 'messageId' | 'body'> &
  Partial<Pick<SQSRecord, 'receiptHandle'>> & { attributes?: Partial<SQSRecordAttributes> };

/** Lambda's partial batch response (ReportBatchItemFailures). */
export type SqsBatchResponse = SQSBatchResponse;

export type SqsHandler = (event: { Records: SqsRecord[] }) => Promise<SqsBatchResponse>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEnvelope(v: Record<string, unknown>): boolean {
  return typeof v.eventId === 'string' && typeof v.streamId === 'string' && typeof v.version === 'number' && typeof v.type === 'string';
}

/**
 * The envelope inside a message body, whatever wraps it: the raw envelope (raw delivery, replay), an SNS
 * notification (`{ Type: 'Notification', Message }`, raw delivery off), a stream record
 * (`{ dynamodb: { NewImage } }`) or a bare DynamoDB image.
 */
export function decodeEnvelope(body: string | Record<string, unknown>): StoredEvent {
  let v: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  for (let depth = 0; depth < 4; depth++) {
    if (!isObject(v)) break;
    if (isEnvelope(v)) return v as unknown as StoredEvent;
    if (typeof v.Message === 'string') {
      v = JSON.parse(v.Message);
      continue;
    }
    if (isObject(v.dynamodb) && isObject(v.dynamodb.NewImage)) return itemToEvent(v.dynamodb.NewImage as EventImage);
    if (isObject(v.NewImage)) return itemToEvent(v.NewImage as EventImage);
    if (isObject(v.streamId) && isObject(v.version)) return itemToEvent(v as EventImage);
    break;
  }
  throw new Error('message body is not an event envelope');
}

export interface SqsHandlerOptions {
  onError?: (err: unknown, record: SqsRecord) => void;
  /**
   * Takes a group's run of events (one stream, in order) at once instead of one by one, e.g. to read and
   * write a projected document once per batch. If it throws, the whole run is retried.
   */
  handleStream?: (events: StoredEvent[]) => Promise<void>;
  /**
   * The SOURCE service's event store. With it, a `GapError` (an earlier event of the stream never reached
   * this consumer: dead-lettered, skipped, or the projection was emptied) is healed in place: the missing
   * events are read from the store and applied, then the message is applied again (by then usually a
   * duplicate, skipped). Without it the message fails and comes back, as before. It also supplies the
   * data of an envelope the forwarder sent without it (`dataOmitted`, too large for SNS).
   */
  store?: Pick<EventStore, 'readStream'>;
  /** Told after each healed gap (default: nothing; the pipeline logs it). */
  onHealed?: (info: { streamId: string; fromVersion: number; applied: number }) => void;
}

/** Heals in a row for one message before it is failed (each heal reads the store once). */
const MAX_HEALS = 3;

/** A GapError, also one thrown by another copy of checkpoint.ts (checked by shape, not only by class). */
export function isGapError(err: unknown): err is GapError {
  if (err instanceof GapError) return true;
  const e = err as Partial<GapError> | null;
  return typeof e === 'object' && e !== null && e.name === 'GapError' && typeof e.streamId === 'string' && typeof e.expected === 'number';
}

/**
 * Whether an error says a dependency is unreachable or too slow (MongoDB, the AWS SDK, a refused or reset
 * connection) rather than that this message is wrong: the one classification the API also answers 503 by.
 */
export const isDependencyDown = (err: unknown): boolean => unavailableDependency(err) !== null;

/** One message group's records of a batch, in order, decoded or with why not. */
type Lane = Array<{ record: SqsRecord; event?: StoredEvent; error?: unknown }>;

export function createSqsHandler(handle: (event: StoredEvent) => Promise<void>, opts: SqsHandlerOptions = {}): SqsHandler {
  const { handleStream, store } = opts;
  const applyRun = async (events: StoredEvent[]) => {
    if (handleStream) await handleStream(events);
    else for (const e of events) await handle(e);
  };

  /** Applies the missing run the store holds from the version the gap asks for. */
  async function heal(gap: GapError): Promise<void> {
    const missing = await store!.readStream(gap.streamId, { fromVersion: gap.expected });
    // the store lacks it too (a projection asking for a version that was never written): nothing to heal from
    if (missing[0]?.version !== gap.expected) throw gap;
    await applyRun(missing);
    opts.onHealed?.({ streamId: gap.streamId, fromVersion: gap.expected, applied: missing.length });
  }

  /** Runs `apply`; on a gap, heals it from the store and runs it again. */
  async function healing(apply: () => Promise<void>): Promise<void> {
    for (let heals = 0; ; heals++) {
      try {
        return await apply();
      } catch (err) {
        if (!store || !isGapError(err) || heals >= MAX_HEALS) throw err;
        await heal(err);
      }
    }
  }

  /** An envelope sent without its data (see forwarder.ts messageBody) gets it from the store. */
  async function complete(event: StoredEvent): Promise<StoredEvent> {
    if (!(event as { dataOmitted?: unknown }).dataOmitted) return event;
    if (!store) throw new Error(`${event.streamId} v${event.version} came without its data and this consumer has no store to read it from`);
    const [stored] = await store.readStream(event.streamId, { fromVersion: event.version });
    if (stored?.version !== event.version) throw new Error(`${event.streamId} v${event.version} is not in the store`);
    return stored;
  }

  /**
   * Lanes being handled, by message group. SQS FIFO hands out one message of a group at a time, except
   * when a message's visibility ran out while it was still being handled: then its redelivery waits here
   * for the first delivery to finish, so within a process two deliveries of a stream never interleave
   * (projections writing by `_id` alone rely on it, see checkpoint.ts WriteGuard).
   */
  const running = new Map<string, Promise<void>>();

  /** Handles one group's messages in order; returns the ids of those that failed. */
  async function handleLane(lane: Lane): Promise<string[]> {
    if (handleStream) {
      // the decodable run up to the first undecodable message goes in one call; the rest fails
      const end = lane.findIndex((x) => !x.event);
      let failedFrom = end === -1 ? lane.length : end;
      if (end !== -1) opts.onError?.(lane[end]!.error, lane[end]!.record);
      try {
        if (failedFrom > 0) {
          const events = await Promise.all(lane.slice(0, failedFrom).map((x) => complete(x.event!)));
          await healing(() => handleStream(events));
        }
      } catch (err) {
        opts.onError?.(err, lane[0]!.record);
        failedFrom = 0;
      }
      return lane.slice(failedFrom).map((x) => x.record.messageId);
    }
    let failed = false;
    const failedIds: string[] = [];
    for (const { record, event, error } of lane) {
      // after a failure every later message of the group fails too: nothing applied out of order
      if (failed) {
        failedIds.push(record.messageId);
        continue;
      }
      try {
        if (!event) throw error;
        const full = await complete(event);
        await healing(() => handle(full));
      } catch (err) {
        opts.onError?.(err, record);
        failed = true;
        failedIds.push(record.messageId);
      }
    }
    return failedIds;
  }

  return async ({ Records }) => {
    // One lane per message group, in the batch's order; lanes run in parallel (streams are independent).
    // A record with no group attribute goes by its event's stream; one that can't be decoded fails alone.
    const lanes = new Map<string, Lane>();
    Records.forEach((record, i) => {
      let event: StoredEvent | undefined;
      let error: unknown;
      try {
        event = decodeEnvelope(record.body);
      } catch (err) {
        error = err;
      }
      const group = record.attributes?.MessageGroupId ?? event?.streamId ?? `undecodable-${i}`;
      const lane = lanes.get(group) ?? [];
      lane.push({ record, ...(event ? { event } : { error }) });
      lanes.set(group, lane);
    });
    const failures: SqsBatchResponse['batchItemFailures'] = [];
    const serially = async (group: string, run: () => Promise<void>) => {
      const before = running.get(group);
      const mine = (before ? before.then(run, run) : run()).finally(() => {
        if (running.get(group) === mine) running.delete(group);
      });
      running.set(group, mine);
      await mine;
    };
    await Promise.all(
      [...lanes.entries()].map(([group, lane]) =>
        serially(group, async () => {
          for (const id of await handleLane(lane)) failures.push({ itemIdentifier: id });
        }),
      ),
    );
    return { batchItemFailures: failures };
  };
}
