/**
 * An owner's pages: their restaurants (with tonight's count), and per restaurant the reservations from
 * today on, live, with Accept / Reject for pending requests and the time left before each expires.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, get, qs, type Me, type Reservation, type Restaurant } from '../api';
import { followReservations, type LiveState } from '../live';
import type { Problem } from '../problem';
import { upsert } from '../reservations';
import { href } from '../router';
import { formatDate, localDate, localTime, timeLeft, todayIn } from '../time';
import { Alert, asProblem, Heading, Loading, Status } from '../ui';
import { LiveBadge } from './reservations';

interface Owned {
  restaurant?: Restaurant;
  tonight?: Reservation[];
  problem?: Problem;
}

export function MyRestaurantsPage({ me }: { me: Me }) {
  const [owned, setOwned] = useState<Record<string, Owned>>({});
  const ids = me.ownedRestaurantIds;

  useEffect(() => {
    for (const id of ids) {
      void (async () => {
        try {
          const restaurant = await get<Restaurant>(`/restaurants/${encodeURIComponent(id)}`);
          setOwned((o) => ({ ...o, [id]: { restaurant } }));
          const page = await get<{ items: Reservation[] }>(`/restaurants/${encodeURIComponent(id)}/reservations${qs({ date: todayIn(restaurant.timezone) })}`, { consistent: true });
          setOwned((o) => ({ ...o, [id]: { restaurant, tonight: page.items } }));
        } catch (err) {
          setOwned((o) => ({ ...o, [id]: { ...o[id], problem: asProblem(err) } }));
        }
      })();
    }
  }, [ids.join(',')]);

  return (
    <section>
      <Heading>My restaurants</Heading>
      {ids.length === 0 && <p>You own no restaurant yet.</p>}
      <ul role="list" class="cards">
        {ids.map((id) => {
          const o = owned[id];
          const r = o?.restaurant;
          const active = o?.tonight?.filter((x) => x.status === 'pending' || x.status === 'accepted') ?? [];
          const pending = active.filter((x) => x.status === 'pending').length;
          return (
            <li key={id} class="card">
              <h2 class="title">{r?.name ?? (o?.problem ? id : 'Loading…')}</h2>
              {r && (
                <p class="muted">
                  {r.cuisine} · {r.address} · {r.policy?.acceptance === 'manual' ? 'you accept each request' : 'requests accepted automatically'}
                </p>
              )}
              {o?.tonight && (
                <p>
                  Today: {active.length} {active.length === 1 ? 'reservation' : 'reservations'}
                  {pending > 0 && `, ${pending} waiting for your answer`}
                </p>
              )}
              {active.length > 0 && (
                <ul class="today">
                  {active.map((x) => (
                    <li key={x.reservationId}>
                      {localTime(x.start)} · {x.name ?? 'Guest'} · party of {x.partySize} · {x.status}
                    </li>
                  ))}
                </ul>
              )}
              <Alert problem={o?.problem} />
              <p class="actions">
                <a href={href.dashboard(id)}>Reservations</a>
                <a href={href.edit(id, 'hours')}>Edit hours</a>
                <a href={href.edit(id, 'tables')}>Edit tables</a>
                <a href={href.edit(id, 'policy')}>Edit policy</a>
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A clock for "expires in …", ticking each second while the page is open. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function DashboardPage({ id }: { id: string }) {
  const [restaurant, setRestaurant] = useState<Restaurant | null>(null);
  const [items, setItems] = useState<Reservation[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const now = useNow();
  const today = restaurant ? todayIn(restaurant.timezone) : undefined;

  useEffect(() => {
    get<Restaurant>(`/restaurants/${encodeURIComponent(id)}`).then(setRestaurant, (err) => setProblem(asProblem(err)));
  }, [id]);

  const load = useCallback(async () => {
    if (!today) return;
    try {
      const page = await get<{ items: Reservation[] }>(`/restaurants/${encodeURIComponent(id)}/reservations${qs({ from: today })}`, { consistent: true });
      setItems(page.items);
      setProblem(null);
    } catch (err) {
      setProblem(asProblem(err));
    }
  }, [id, today]);

  useEffect(() => {
    if (!today) return;
    void load();
    return followReservations({
      restaurantId: id,
      onReservation: (r) => setItems((list) => upsert(list ?? [], r, (x) => x.restaurantId === id && localDate(x.start) >= today)),
      refresh: load,
      onState: setLive,
    });
  }, [load]);

  const change = (r: Reservation) => setItems((list) => upsert(list ?? [], r));

  return (
    <section>
      <Heading>{restaurant ? restaurant.name : 'Reservations'}</Heading>
      <p class="muted">
        Reservations from today on, in {restaurant?.timezone ?? 'the restaurant’s time'} · <LiveBadge state={live} />
      </p>
      <p class="actions">
        <a href={href.edit(id, 'hours')}>Edit hours</a>
        <a href={href.edit(id, 'tables')}>Edit tables</a>
        <a href={href.edit(id, 'policy')}>Edit policy</a>
      </p>
      <Alert problem={problem} />
      {items === null && !problem && <Loading />}
      {items && items.length === 0 && <p>No reservations from today on.</p>}
      {items && items.length > 0 && (
        <ul role="list" class="cards">
          {items.map((r) => (
            <Booking key={r.reservationId} r={r} today={today!} now={now} onChange={change} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Booking({ r, today, now, onChange }: { r: Reservation; today: string; now: number; onChange: (r: Reservation) => void }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const day = localDate(r.start);
  const reasonId = `reason-${r.reservationId}`;

  const decide = async (what: 'accept' | 'reject') => {
    setBusy(true);
    setProblem(null);
    try {
      const res = await call<{ reservationId: string; status: string }>('POST', `/reservations/${encodeURIComponent(r.reservationId)}/${what}`, {
        consistent: true,
        ...(what === 'reject' ? { body: { reason: reason.trim() } } : {}),
      });
      // 202: the decision is under way; the live stream brings the outcome
      if (res.status !== 202) onChange({ ...r, status: res.body.status });
      setRejecting(false);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li class={`card booking-${r.status}`}>
      <p class="title">
        <time dateTime={r.start}>
          {day === today ? 'Today' : formatDate(day)}, {localTime(r.start)}
        </time>{' '}
        · {r.name ?? 'Guest'} · party of {r.partySize}
        {r.tableId && ` · table ${r.tableId}`}
      </p>
      <p>
        Status: <Status status={r.status} />
        {r.status === 'pending' && r.decideBy && <span class="expires"> · {timeLeft(r.decideBy, now)}</span>}
      </p>
      {r.notes && <p class="muted">“{r.notes}”</p>}
      {r.status === 'pending' && !rejecting && (
        <p class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => void decide('accept')}>
            Accept
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setRejecting(true)}>
            Reject
          </button>
        </p>
      )}
      {r.status === 'pending' && rejecting && (
        <form
          class="reject"
          onSubmit={(e) => {
            e.preventDefault();
            void decide('reject');
          }}
        >
          <label for={reasonId}>Reason</label>
          <input id={reasonId} type="text" required value={reason} placeholder="e.g. fully booked" onInput={(e) => setReason(e.currentTarget.value)} />
          <p class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Reject request
            </button>
            <button type="button" class="secondary" onClick={() => setRejecting(false)}>
              Keep
            </button>
          </p>
        </form>
      )}
      <Alert problem={problem} />
    </li>
  );
}
