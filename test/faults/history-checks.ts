/** What must hold in the event store after the faults, read raw from the tables: gapless streams, reservations and ledgers that agree. */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemToEvent } from '../../eventstore/dynamodb-items';
import type { ServiceName, StoredEvent } from '../../eventstore/types';
import { SERVICES, type Topology } from '../../platform/topology';
import { isFinal, statusAfter } from '../../domain/reservation/rules';
import { ledgerDecider, type LedgerBooking, type LedgerEvent } from '../../domain/reservation/ledger';
import { short } from './findings';

export type Streams = Map<string, StoredEvent[]>;
export type History = Record<ServiceName, { table: string; streams: Streams; events: number }>;

/** Whether an event of this type ends a reservation (the domain's own status map: domain/reservation/rules.ts). */
const isFinalEvent = (type: string): boolean => isFinal(statusAfter(type, 'none'));

/** Every item of each service's event table (a consistent Scan, not the store's readAll: nothing smoothed over). */
export async function readHistory(dynamodb: DynamoDBClient, topo: Topology): Promise<History> {
  const out = {} as History;
  for (const s of SERVICES) {
    const table = topo.services[s].table;
    const streams: Streams = new Map();
    let events = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const e = itemToEvent(item);
        events++;
        const list = streams.get(e.streamId) ?? [];
        list.push(e);
        streams.set(e.streamId, list);
      }
      startKey = page.LastEvaluatedKey as typeof startKey;
    } while (startKey);
    for (const list of streams.values()) list.sort((a, b) => a.version - b.version);
    out[s] = { table, streams, events };
  }
  return out;
}

/** Versions 1..n with no hole and no repeat; no event id twice in a table. */
export function checkGapless(history: History): string[] {
  const findings: string[] = [];
  for (const s of SERVICES) {
    const { table, streams } = history[s];
    const ids = new Map<string, string>();
    for (const [streamId, events] of streams) {
      const versions = events.map((e) => e.version);
      const bad = versions.findIndex((v, i) => v !== i + 1);
      if (bad !== -1) {
        findings.push(`${table} ${streamId}: versions ${short(versions, 200)} are not 1..${versions.length} (first wrong at position ${bad + 1}: v${versions[bad]})`);
      }
      for (const e of events) {
        const where = `${streamId} v${e.version} ${e.type}`;
        const seen = ids.get(e.eventId);
        if (seen) findings.push(`${table}: event id ${e.eventId} stored twice: ${seen} and ${where}`);
        else ids.set(e.eventId, where);
      }
    }
  }
  return findings;
}

/** What each reservation stream says, and whether its sequence of events makes sense. */
export function checkReservationStreams(history: History): { findings: string[]; statusOf: Map<string, string> } {
  const findings: string[] = [];
  const statusOf = new Map<string, string>();
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('reservation-')) continue;
    const id = streamId.slice('reservation-'.length);
    const types = events.map((e) => e.type);
    if (types[0] !== 'ReservationRequested') findings.push(`${streamId}: starts with ${types[0]}, not ReservationRequested (${types.join(', ')})`);
    const repeated = types.filter((t, i) => types.indexOf(t) !== i);
    if (repeated.length) findings.push(`${streamId}: ${[...new Set(repeated)].join(', ')} recorded more than once (${types.join(', ')})`);
    const finals = events.filter((e) => isFinalEvent(e.type));
    if (finals.length > 1) findings.push(`${streamId}: two final events (${finals.map((e) => `v${e.version} ${e.type}`).join(', ')})`);
    const firstFinal = events.findIndex((e) => isFinalEvent(e.type));
    if (firstFinal !== -1 && firstFinal < events.length - 1) {
      findings.push(`${streamId}: ${events.slice(firstFinal + 1).map((e) => `v${e.version} ${e.type}`).join(', ')} after the final ${events[firstFinal]!.type}`);
    }
    statusOf.set(id, events.reduce<string>((status, e) => statusAfter(e.type, status), 'none'));
  }
  return { findings, statusOf };
}

/**
 * No double booking: replaying each ledger stream, a claim never overlaps another live claim of the same
 * table, a reservation claims at most once; and nothing stays frozen: a reservation that is final holds no
 * table, a reservation's table is the one its ledger claim says, every placed reservation has a claim.
 */
export function checkLedgers(history: History, statusOf: Map<string, string>): string[] {
  const findings: string[] = [];
  const claimedTable = new Map<string, { ledger: string; tableId: string }>();
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('ledger-')) continue;
    let state = ledgerDecider.initialState();
    const counts = new Map<string, number>();
    for (const e of events as StoredEvent<LedgerEvent>[]) {
      const rid = e.data.reservationId;
      const key = `${rid}:${e.type === 'TableBooked' ? 'TableHeld' : e.type}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (counts.get(key) === 2) findings.push(`${streamId} v${e.version}: ${e.type} for reservation ${rid} again (claimed/confirmed/released twice)`);
      if (e.type === 'TableHeld' || e.type === 'TableBooked') {
        const s = Date.parse(e.data.start);
        const end = Date.parse(e.data.end);
        // every table of a combination counts (tableIds), not only the first
        const claimed = e.data.tableIds ?? [e.data.tableId];
        for (const b of Object.values(state.bookings) as LedgerBooking[]) {
          const shared = (b.tableIds ?? [b.tableId]).filter((t) => claimed.includes(t));
          if (shared.length > 0 && b.reservationId !== rid && s < Date.parse(b.end) && Date.parse(b.start) < end) {
            findings.push(
              `DOUBLE BOOKING ${streamId} v${e.version}: table ${shared.join('+')} given to ${rid} [${e.data.start}, ${e.data.end}) while ${b.reservationId} holds it [${b.start}, ${b.end}) (${b.status})`,
            );
          }
        }
        const before = claimedTable.get(rid);
        if (before && before.ledger !== streamId) findings.push(`reservation ${rid} claimed tables on two ledgers: ${before.ledger} and ${streamId}`);
        claimedTable.set(rid, { ledger: streamId, tableId: e.data.tableId });
      }
      if (e.type === 'TableConfirmed' && !state.bookings[rid]) findings.push(`${streamId} v${e.version}: TableConfirmed for ${rid}, which holds nothing`);
      state = ledgerDecider.evolve(state, e);
    }
    for (const b of Object.values(state.bookings) as LedgerBooking[]) {
      const status = statusOf.get(b.reservationId);
      if (status === undefined) findings.push(`FROZEN TABLE ${streamId}: table ${b.tableId} ${b.status} for ${b.reservationId}, which has no reservation stream (placed, never requested, never released)`);
      else if (['cancelled', 'rejected', 'expired', 'completed', 'no-show'].includes(status)) {
        findings.push(`FROZEN TABLE ${streamId}: table ${b.tableId} still ${b.status} for ${b.reservationId}, which is ${status}`);
      }
    }
  }
  for (const [streamId, events] of history.reservation.streams) {
    if (!streamId.startsWith('reservation-')) continue;
    const id = streamId.slice('reservation-'.length);
    const requested = events.find((e) => e.type === 'ReservationRequested') as StoredEvent<{ type: string; data: { tableId?: string } }> | undefined;
    const claim = claimedTable.get(id);
    if (!claim) findings.push(`${streamId}: no table was ever claimed for it on any ledger`);
    else if (requested && requested.data.tableId !== claim.tableId) {
      findings.push(`${streamId}: says table ${requested.data.tableId}, but ${claim.ledger} gave it ${claim.tableId}`);
    }
  }
  return findings;
}

