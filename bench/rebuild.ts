/**
 * The rebuild bench's data and report line, shared by bench/rebuild-phase.ts (`benchRebuild`, a phase of
 * `npm run bench`) and bench/rebuild-alone.ts (this phase alone on its own table and database):
 * - `appendReservationHistory`: synthetic but valid reservation-service history, decided by the real
 *   deciders (ledgerDecider: HoldTable with the restaurant's tables, ConfirmTable, ReleaseTable;
 *   reservationDecider: RequestReservation auto or manual, AcceptReservation, RejectReservation,
 *   CancelReservation), appended through the event store (appendMany, whole streams per transaction);
 * - `rebuildLine`: one direct rebuild's report (projections/rebuild.ts) as a line, events ÷ seconds after
 *   the truncate;
 * - `dropTable`: removes the bench's event table.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ledgerDecider, ledgerStreamId, type LedgerCommand, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import { reservationDecider, reservationStreamId, type ReservationCommand, type ReservationEvent, type ReservationState } from '../domain/reservation/reservation';
import type { Table } from '../domain/reservation/restaurant';
import type { AppendRequest, DomainEvent, EventStore, NewEvent } from '../eventstore/types';
import type { DirectRebuildReport } from '../projections/rebuild';

const TABLES: Table[] = Array.from({ length: 20 }, (_, i) => ({ id: `t${i + 1}`, seats: 4 }));
const STARTS = ['18:00', '18:30', '19:00', '19:30', '20:00', '20:30', '21:00'];

/** Appends about `events` events (whole reservations, so a few more); returns the count and the streams. */
export async function appendReservationHistory(store: Pick<EventStore, 'appendMany'>, events: number, o: { runId?: string; restaurants?: number; firstDate?: string } = {}): Promise<{ events: number; streams: number; reservations: number }> {
  const runId = o.runId ?? randomBytes(3).toString('hex');
  const restaurants = o.restaurants ?? 20;
  const firstDay = Date.parse(`${o.firstDate ?? '2027-01-04'}T00:00:00Z`);
  const ledgers = new Map<string, { state: LedgerState; events: NewEvent[] }>();
  const reservations: Array<{ streamId: string; events: NewEvent[] }> = [];
  let total = 0;
  const at = new Date('2026-12-01T12:00:00Z');
  const meta = { occurredAt: at.toISOString(), actor: 'bench-rebuild' };

  for (let i = 0; total < events; i++) {
    const restaurantId = `rb-${runId}-r${i % restaurants}`;
    const perRestaurant = Math.floor(i / restaurants);
    // 20 tables × 7 starts (2 h apart is not needed: overlapping turns take other tables) per date
    const slot = perRestaurant % 20;
    const date = new Date(firstDay + Math.floor(perRestaurant / 20) * 86_400_000).toISOString().slice(0, 10);
    const hhmm = STARTS[slot % STARTS.length]!;
    const start = `${date}T${hhmm}:00+01:00`;
    const end = new Date(Date.parse(start) + 90 * 60_000).toISOString().replace('.000Z', '+00:00');
    const reservationId = `rb-${runId}-${i}`;
    const customerId = `rb-customer-${i % 997}`;
    const ledgerId = ledgerStreamId(restaurantId, date);
    const ledger = ledgers.get(ledgerId) ?? { state: ledgerDecider.initialState(), events: [] };
    ledgers.set(ledgerId, ledger);
    const auto = i % 3 === 0;

    const onLedger = (c: LedgerCommand) => {
      const out = ledgerDecider.decide(c, ledger.state);
      for (const e of out) ledger.state = ledgerDecider.evolve(ledger.state, e as never);
      ledger.events.push(...out.map((e) => ({ ...e, metadata: meta })));
      total += out.length;
      return out as LedgerEvent[];
    };
    let res: ReservationState = reservationDecider.initialState();
    const resEvents: NewEvent[] = [];
    const onReservation = (c: ReservationCommand) => {
      const out = reservationDecider.decide(c, res);
      for (const e of out) res = reservationDecider.evolve(res, e as never);
      resEvents.push(...out.map((e) => ({ ...e, metadata: meta })));
      total += out.length;
      return out as ReservationEvent[];
    };

    const [held] = onLedger({ type: 'HoldTable', reservationId, partySize: 2 + (i % 3), start, end, tables: TABLES, confirm: auto, customerId });
    onReservation({
      type: 'RequestReservation',
      reservationId,
      restaurantId,
      customerId,
      partySize: 2 + (i % 3),
      start,
      end,
      tableId: (held as Extract<LedgerEvent, { type: 'TableHeld' }>).data.tableId,
      name: `Bench Diner ${i % 997}`,
      acceptance: auto ? 'auto' : 'manual',
      openingDate: date,
      restaurantName: `Rebuild Bench ${i % restaurants}`,
      ...(auto ? {} : { decideBy: new Date(Date.parse(start) - 3_600_000).toISOString() }),
    });
    if (!auto) {
      if (i % 3 === 1) {
        onReservation({ type: 'AcceptReservation' });
        onLedger({ type: 'ConfirmTable', reservationId });
      } else {
        onReservation({ type: 'RejectReservation', reason: 'fully booked that evening' });
        onLedger({ type: 'ReleaseTable', reservationId, reason: 'rejected' });
      }
    }
    if (i % 5 === 4 && 'start' in res && res.status === 'accepted') {
      onReservation({ type: 'CancelReservation', by: 'owner', at, cancellationCutoffMinutes: 0, reason: 'bench' });
      onLedger({ type: 'ReleaseTable', reservationId, reason: 'cancelled' });
    }
    reservations.push({ streamId: reservationStreamId(reservationId), events: resEvents });
  }

  // whole streams per transaction (at most 100 events each); ledger streams are at most 20 × 3 events
  const streams: Array<{ streamId: string; events: NewEvent[] }> = [...reservations, ...[...ledgers].map(([streamId, l]) => ({ streamId, events: l.events }))];
  let batch: AppendRequest[] = [];
  let items = 0;
  const flush = async () => {
    if (batch.length) await store.appendMany(batch as AppendRequest<DomainEvent>[]);
    batch = [];
    items = 0;
  };
  for (const s of streams) {
    for (let k = 0; k < s.events.length; k += 100) {
      const chunk = s.events.slice(k, k + 100);
      if (items + chunk.length > 100) await flush();
      batch.push({ streamId: s.streamId, events: chunk, expectedVersion: k === 0 ? 'no_stream' : k });
      items += chunk.length;
      // a stream's later chunk must not share a transaction with its earlier one
      if (k + 100 < s.events.length) await flush();
    }
  }
  await flush();
  return { events: total, streams: streams.length, reservations: reservations.length };
}

export function rebuildLine(r: DirectRebuildReport): string {
  const s = r.ms / 1000;
  return (
    `${r.events} events of ${r.streams} streams → ${r.documents} documents in ${s.toFixed(2)} s: ${(r.events / s).toFixed(0)} events/s ` +
    `(truncate ${(r.truncateMs / 1000).toFixed(2)} s, not counted; summed: read ${(r.readMs / 1000).toFixed(2)} s, fold ${(r.foldMs / 1000).toFixed(2)} s, ` +
    `insert ${(r.writeMs / 1000).toFixed(2)} s, live-path fallback ${(r.fallbackMs / 1000).toFixed(2)} s for ${r.fallback.duplicate + r.fallback.gap + r.fallback.regrouped} streams)`
  );
}

export async function dropTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
}
