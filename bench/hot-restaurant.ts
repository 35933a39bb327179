/**
 * Hot restaurant: 64 diners book one restaurant's evening at once (one ledger stream, contended), then a
 * check of the ledger's events: no table held twice at overlapping times, every 201 on the ledger.
 */
import { ledgerDecider, ledgerStreamId, type LedgerEvent, type LedgerState } from '../domain/reservation/ledger';
import type { StoredEvent } from '../eventstore/types';
import type { Runtime } from '../platform/runtime';
import type { System } from '../test/system';
import { restaurantBody, signUp, TABLES, type Fixture } from './fixture';
import { settle } from './system';
import { request } from './http';
import { summarize, type Latency } from './load';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const HOT_DINERS = 64;
/** Evening starts the capacity rounds spread over: 4 × 20 tables = 80 places for 64 diners. */
const EVENING = ['19:00', '19:15', '19:30', '19:45'];
const LAST_TABLES_START = '21:00';

export interface HotResult {
  diners: number;
  rounds: number;
  /**
   * Placements per second over the capacity rounds: bookings on the ledger ÷ time from sending the 64
   * requests to the ledger's last booking (201s and 202s placed later by their workflows alike).
   */
  perSecond: number;
  /** Answer times of every request answered (201, 202 or 409) in the capacity rounds. */
  latency: Latency;
  statuses: Record<string, number>;
  /** The last round: 64 diners, one start, 20 tables. */
  /** The last round: bookings on its ledger (at most 20), 409s, other answers. */
  lastTables: { placed: number; refused: number; other: Record<string, number> };
  fiveXx: number;
  /** Findings of the ledger check (empty: no double booking, every 201 on the ledger). */
  ledgerFindings: string[];
  ledgerBookings: number;
}

async function waitReplica(apiUrls: string[], restaurantId: string, date: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const u of apiUrls) {
    for (;;) {
      const r = await request(u, 'GET', `/restaurants/${restaurantId}/availability?date=${date}&partySize=2`);
      if (r.status === 200) break;
      if (Date.now() > deadline) throw new Error(`hot restaurant ${restaurantId} did not reach the reservation replica within 120 s`);
      await sleep(200);
    }
  }
}

/** Checks one ledger stream event by event: no two live bookings of a table overlap; returns the final state. */
function checkLedger(events: readonly StoredEvent[], where: string, findings: string[]): LedgerState {
  let state: LedgerState = { bookings: {} };
  for (const e of events) {
    state = ledgerDecider.evolve(state, e as StoredEvent<LedgerEvent>);
    const live = Object.values(state.bookings);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const x = live[a]!;
        const y = live[b]!;
        if (x.tableId === y.tableId && Date.parse(x.start) < Date.parse(y.end) && Date.parse(y.start) < Date.parse(x.end)) {
          findings.push(`${where}: table ${x.tableId} double booked after version ${e.version}: ${x.reservationId} and ${y.reservationId}`);
        }
      }
    }
  }
  return state;
}

export async function benchHotRestaurant(sys: System, f: Fixture, runtime: Runtime, o: { rounds: number }): Promise<HotResult> {
  const api = f.apiUrls[0]!;
  const diners: string[] = [];
  for (let k = 0; k < HOT_DINERS; k += 8) {
    diners.push(...(await Promise.all(Array.from({ length: Math.min(8, HOT_DINERS - k) }, (_, j) => signUp(f.apiUrls[(k + j) % f.apiUrls.length]!, `diner${k + j}`)))));
  }
  const created = await request<{ restaurantId: string }>(api, 'POST', '/restaurants', { body: { ...restaurantBody(999), name: 'Bench Hot Spot' }, token: f.ownerToken });
  if (created.status !== 201) throw new Error(`create the hot restaurant: HTTP ${created.status}`);
  const restaurantId = created.body.restaurantId;
  // dates the spread-load bookings use least: the far end of the fixture's window
  const dates = f.dates.slice(-(o.rounds + 1));
  await waitReplica(f.apiUrls, restaurantId, dates[0]!);

  const statuses: Record<string, number> = {};
  const okLatency: number[] = [];
  const placedIds = new Map<string, string[]>(); // date → reservation ids answered 201
  let fiveXx = 0;
  const burst = async (date: string, startOf: (d: number) => string) => {
    const t0 = performance.now();
    const answers = await Promise.all(
      diners.map(async (token, d) => {
        const sent = performance.now();
        try {
          const r = await request<{ reservationId?: string }>(f.apiUrls[d % f.apiUrls.length]!, 'POST', '/reservations', {
            body: { restaurantId, partySize: 2, start: `${date}T${startOf(d)}` },
            token,
            timeoutMs: 60_000,
          });
          return { status: String(r.status), ms: performance.now() - sent, id: r.body?.reservationId };
        } catch (err) {
          return { status: (err as { code?: string }).code ?? 'exception', ms: performance.now() - sent, id: undefined };
        }
      }),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    for (const a of answers) {
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      if (/^5/.test(a.status) || !/^\d+$/.test(a.status)) fiveXx++;
      if (a.status === '201' && a.id) placedIds.set(date, [...(placedIds.get(date) ?? []), a.id]);
    }
    return { answers, elapsedS };
  };

  /**
   * A 202 ("placing": not decided within the API's deadline) is placed later by its workflow: a round's
   * placements are the bookings on its ledger, and its time runs until the ledger's last booking (the
   * ledger's events read from the store every 250 ms until all diners hold a table or nothing changed for 10 s).
   */
  const ledgerCount = async (date: string) => {
    const events = await runtime.stores.reservation.readStream(ledgerStreamId(restaurantId, date));
    let state: LedgerState = { bookings: {} };
    for (const e of events) state = ledgerDecider.evolve(state, e as StoredEvent<LedgerEvent>);
    return Object.keys(state.bookings).length;
  };
  const untilPlaced = async (date: string, t0: number, want: number) => {
    let count = await ledgerCount(date);
    let lastChange = performance.now();
    while (count < want && performance.now() - lastChange < 10_000) {
      await sleep(250);
      const c = await ledgerCount(date);
      if (c !== count) {
        count = c;
        lastChange = performance.now();
      }
    }
    return { count, seconds: (lastChange - t0) / 1000 };
  };

  let placed = 0;
  let seconds = 0;
  for (let k = 0; k < o.rounds; k++) {
    const t0 = performance.now();
    const b = await burst(dates[k]!, (d) => EVENING[d % EVENING.length]!);
    const p = await untilPlaced(dates[k]!, t0, HOT_DINERS);
    placed += p.count;
    seconds += Math.max(p.seconds, b.elapsedS);
    okLatency.push(...b.answers.filter((a) => /^\d+$/.test(a.status)).map((a) => a.ms));
    const by = (st: string) => b.answers.filter((a) => a.status === st).length;
    console.log(
      `  hot round ${k + 1}: answers in ${b.elapsedS.toFixed(1)} s (201×${by('201')}, 202×${by('202')}, 409×${by('409')}, other×${HOT_DINERS - by('201') - by('202') - by('409')}); ` +
        `${p.count}/${HOT_DINERS} on the ledger after ${p.seconds.toFixed(1)} s`,
    );
  }
  const lastDate = dates[o.rounds]!;
  const countsBefore = { ...statuses };
  const last = await burst(lastDate, () => LAST_TABLES_START);
  const lastCounts: Record<string, number> = {};
  for (const [k, v] of Object.entries(statuses)) if (v - (countsBefore[k] ?? 0) > 0) lastCounts[k] = v - (countsBefore[k] ?? 0);
  const lastPlaced = (await untilPlaced(lastDate, performance.now(), TABLES)).count;
  const lastRefused = lastCounts['409'] ?? 0;
  console.log(`  hot last tables (${HOT_DINERS} diners, one start, ${TABLES} tables): ${lastPlaced} on the ledger, ${lastRefused} refused (409), answers ${JSON.stringify(lastCounts)} in ${last.elapsedS.toFixed(1)} s`);

  // the ledger's own events: the source of truth, not the read model
  await settle(sys);
  const findings: string[] = [];
  let ledgerBookings = 0;
  for (const date of dates) {
    const streamId = ledgerStreamId(restaurantId, date);
    const events = await runtime.stores.reservation.readStream(streamId);
    const state = checkLedger(events, streamId, findings);
    ledgerBookings += Object.keys(state.bookings).length;
    for (const id of placedIds.get(date) ?? []) if (!state.bookings[id]) findings.push(`${streamId}: reservation ${id} was answered 201 but holds no table`);
    if (date === lastDate && Object.keys(state.bookings).length > TABLES) findings.push(`${streamId}: ${Object.keys(state.bookings).length} bookings at one start for ${TABLES} tables`);
  }
  const other: Record<string, number> = {};
  for (const [k, v] of Object.entries(lastCounts)) if (k !== '201' && k !== '409') other[k] = v;
  return {
    diners: HOT_DINERS,
    rounds: o.rounds,
    perSecond: seconds > 0 ? placed / seconds : 0,
    latency: summarize(okLatency),
    statuses,
    lastTables: { placed: lastPlaced, refused: lastRefused, other },
    fiveXx,
    ledgerFindings: findings,
    ledgerBookings,
  };
}

