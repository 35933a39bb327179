import { createHash, randomUUID } from 'node:crypto';
import {
  type AppendRequest,
  ConcurrencyError,
  type DomainEvent,
  EventStoreLimitError,
  type ExpectedVersion,
  LIMITS,
  type ServiceName,
  type StoredEvent,
} from './types';

/** Builds the stored envelopes for one stream, numbering from `current + 1`. */
export function toEnvelopes<E extends DomainEvent>(
  service: ServiceName,
  req: AppendRequest<E>,
  current: number,
  now: () => Date = () => new Date(),
): StoredEvent<E>[] {
  const occurredAt = now().toISOString();
  return req.events.map((e, i) => {
    const { eventId, metadata, ...rest } = e;
    return {
      ...(rest as unknown as E),
      eventId: eventId ?? randomUUID(),
      streamId: req.streamId,
      version: current + i + 1,
      service,
      metadata: { schemaVersion: 1, ...metadata, occurredAt: metadata?.occurredAt ?? occurredAt },
    } as StoredEvent<E>;
  });
}

/** The version an append must find, or undefined for `any`. */
export function expectedNumber(expected: ExpectedVersion): number | undefined {
  if (expected === 'any') return undefined;
  if (expected === 'no_stream') return 0;
  return expected;
}

export function checkExpected(streamId: string, expected: ExpectedVersion, actual: number): void {
  const want = expectedNumber(expected);
  if (want !== undefined && want !== actual) throw new ConcurrencyError(streamId, expected, actual);
}

/** Rejects batches DynamoDB would refuse, before anything is written. */
export function checkLimits(requests: AppendRequest[]): void {
  const count = requests.reduce((n, r) => n + r.events.length, 0);
  if (count === 0) throw new EventStoreLimitError('append needs at least one event');
  if (count > LIMITS.maxItemsPerTransaction) {
    throw new EventStoreLimitError(`a batch holds at most ${LIMITS.maxItemsPerTransaction} events, got ${count}`);
  }
  const ids = new Set<string>();
  for (const r of requests) {
    if (ids.has(r.streamId)) throw new EventStoreLimitError(`stream ${r.streamId} appears twice in one batch`);
    ids.add(r.streamId);
    for (const e of r.events) {
      const size = Buffer.byteLength(JSON.stringify(e), 'utf8');
      // leave room for the key and envelope attributes
      if (size > LIMITS.maxItemBytes - 2048) {
        throw new EventStoreLimitError(`event ${e.type} on ${r.streamId} is ${size} bytes; the item limit is 400 KB`);
      }
    }
  }
}

/**
 * Idempotent retries: a request whose events (by eventId) are already stored right after the expected
 * version is a retry of a write that succeeded. Returns those stored events, or undefined.
 */
export function findRetry<E extends DomainEvent>(
  req: AppendRequest<E>,
  stored: readonly StoredEvent<E>[],
): StoredEvent<E>[] | undefined {
  if (req.events.some((e) => e.eventId === undefined)) return undefined;
  const want = expectedNumber(req.expectedVersion);
  const byId = new Map(stored.map((s) => [s.eventId, s]));
  const found: StoredEvent<E>[] = [];
  for (let i = 0; i < req.events.length; i++) {
    const s = byId.get(req.events[i]!.eventId!);
    if (!s) return undefined;
    if (want !== undefined && s.version !== want + i + 1) return undefined;
    found.push(s);
  }
  return found;
}

/**
 * A UUID (version 5 layout) derived from a name, e.g. `${reservationId}:ReservationAccepted`: writers that
 * may retry give each event the same id every time, which is what makes a retried append a no-op.
 */
export function deterministicEventId(name: string): string {
  const h = createHash('sha1').update('restaurant-reservations/event/').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
