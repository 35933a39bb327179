/** A diner's reservations, with their status live, and Cancel where the rules may allow it (the API says when not). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, get, qs, type Reservation } from '../api';
import { followReservations, type LiveState } from '../live';
import type { Problem } from '../problem';
import { CANCELLABLE, upsert } from '../reservations';
import { href } from '../router';
import { addDays, formatLocal, todayIn } from '../time';
import { Alert, asProblem, Heading, Loading, Status, useAction } from '../ui';

export function LiveBadge({ state }: { state: LiveState }) {
  const text = { connecting: 'connecting…', live: 'live', polling: 'updating every 2 s', offline: 'reconnecting…', 'signed-out': 'signed out' }[state];
  return <span class={`live live-${state}`}>{text}</span>;
}

export function MyReservationsPage() {
  const [items, setItems] = useState<Reservation[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  // from yesterday (the browser's): tonight's reservations anywhere are still listed after midnight
  const from = addDays(todayIn(Intl.DateTimeFormat().resolvedOptions().timeZone), -1);

  const load = useCallback(async () => {
    try {
      const page = await get<{ items: Reservation[] }>(`/reservations${qs({ from })}`, { consistent: true });
      setItems(page.items);
      setProblem(null);
    } catch (err) {
      setProblem(asProblem(err));
    }
  }, [from]);

  useEffect(() => {
    void load();
    return followReservations({
      onReservation: (r) => setItems((list) => upsert(list ?? [], r, (x) => x.start.slice(0, 10) >= from)),
      refresh: load,
      onState: setLive,
    });
  }, [load]);

  return (
    <section>
      <Heading>My reservations</Heading>
      <p class="muted">
        Status updates: <LiveBadge state={live} />
      </p>
      <Alert problem={problem} />
      {items === null && !problem && <Loading />}
      {items && items.length === 0 && (
        <p>
          No reservations yet. <a href={href.search()}>Find a restaurant</a>.
        </p>
      )}
      {items && items.length > 0 && (
        <ul role="list" class="cards">
          {items.map((r) => (
            <MyReservation key={r.reservationId} r={r} onChange={(x) => setItems((list) => upsert(list ?? [], x))} />
          ))}
        </ul>
      )}
    </section>
  );
}

function MyReservation({ r, onChange }: { r: Reservation; onChange: (r: Reservation) => void }) {
  const { busy, problem, run } = useAction();
  const cancel = () =>
    run(async () => {
      const res = await call<{ reservationId: string; status: string }>('POST', `/reservations/${encodeURIComponent(r.reservationId)}/cancel`, { consistent: true });
      // 202: the cancellation is under way; the live stream brings the outcome
      if (res.status !== 202) onChange({ ...r, status: res.body.status });
    });
  return (
    <li class="card">
      <a class="title" href={href.restaurant(r.restaurantId)}>
        {r.restaurantName ?? 'Restaurant'}
      </a>
      <p>
        <time dateTime={r.start}>{formatLocal(r.start)}</time> · party of {r.partySize}
        {r.tableId && ` · table ${r.tableId}`}
      </p>
      <p>
        Status: <Status status={r.status} />
        {r.status === 'pending' && <span class="muted"> · waiting for the restaurant's answer</span>}
      </p>
      {r.problem && <p class="muted">{r.problem.detail}</p>}
      {CANCELLABLE.has(r.status) && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void cancel()}>
          Cancel
        </button>
      )}
      <Alert problem={problem} />
    </li>
  );
}
