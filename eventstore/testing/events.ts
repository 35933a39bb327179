import type { StoredEvent } from '../types';

/** A stored event for tests: id `<streamId>-<version>`, type `T`. */
export const storedEvent = (streamId: string, version: number): StoredEvent => ({
  eventId: `${streamId}-${version}`,
  streamId,
  version,
  type: 'T',
  data: { version },
  metadata: { occurredAt: '2026-11-25T10:00:00.000Z', schemaVersion: 1 },
  service: 'reservation',
});
