/**
 * An owner's pages: their restaurants, each with its next reservations from today on, and per restaurant
 * the reservations from today on, live, with Accept / Reject for pending requests and the time left
 * before each expires.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, get, qs, type Me, type Reservation, type Restaurant } from '../api';
import { followReservations, type LiveState } from '../live';
import type { Problem } from '../problem';
import { upsert } from '../reservations';
import { href } from '../router';
import { formatDate, localDate, localTime, timeLeft, todayIn } from '../time';
import { Alert, asProblem, Heading, Loading, Status, useAction } from '../ui';
import { LiveBadge } from './reservations';
import { OwnerWaitlist } from './waitlist';

/** The API's page size for reservation lists (projections/reservations.ts LIST_LIMIT): a full page means "at least". */
const LIST_LIMIT = 500;
/** How many of the next reservations each restaurant's card shows. */
const NEXT_SHOWN = 3;

interface Owned {
  restaurant?: Restaurant;
  /** Pending and accepted reservations from today on (the restaurant's today), in start order. */
  active?: Reservation[];
  /** A status list came back full: the counts are lower bounds. */
  more?: boolean;
  problem?: Problem;
}

/** Pending and accepted reservations of a restaurant from its today on: two lists, so neither crowds out the other. */
async function loadActive(id: string, timezone: string): Promise<{ active: Reservation[]; more: boolean }> {
  const from = todayIn(timezone);
  const pages = await Promise.all(
    (['pending', 'accepted'] as const).map((status) =>
      get<{ items: Reservation[] }>(`/restaurants/${encodeURIComponent(id)}/reservations${qs({ from, status })}`, { consistent: true }),
    ),
  );
  const active = pages.flatMap((p) => p.items).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return { active, more: pages.some((p) => p.items.length >= LIST_LIMIT) };
}

/** Not over yet: its end (or, without one, its start) is still ahead. */
const ahead = (r: Reservation, now: number): boolean => Date.parse(r.end ?? r.start) > now;

export function MyRestaurantsPage({ me }: { me: Me }) {
  const [owned, setOwned] = useState<Record<string, Owned>>({});
  const ids = me.ownedRestaurantIds;
  const now = useNow();

  // loaded on open and again whenever the tab is shown: one live stream per restaurant would hold one of the
  // browser's few connections per host each (HTTP/1.1), so live updates stay on each restaurant's dashboard
  useEffect(() => {
    let gone = false;
    const set = (id: string, f: (o: Owned | undefined) => Owned) => {
      if (!gone) setOwned((o) => ({ ...o, [id]: f(o[id]) }));
    };
    const load = () => {
      for (const id of ids) {
        void (async () => {
          try {
            const restaurant = await get<Restaurant>(`/restaurants/${encodeURIComponent(id)}`);
            set(id, (o) => ({ ...o, restaurant }));
            const { active, more } = await loadActive(id, restaurant.timezone);
            set(id, () => ({ restaurant, active, more }));
          } catch (err) {
            set(id, (o) => ({ ...o, problem: asProblem(err) }));
          }
        })();
      }
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') load();
    };
    load();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      gone = true;
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ids.join(',')]);

  return (
    <section>
      <Heading>My restaurants</Heading>
      {ids.length === 0 && <p>You own no restaurant yet.</p>}
      <ul role="list" class="cards">
        {ids.map((id) => {
          const o = owned[id];
          const r = o?.restaurant;
          const today = r ? todayIn(r.timezone, new Date(now)) : undefined;
          const upcoming = o?.active?.filter((x) => ahead(x, now)) ?? [];
          const pending = upcoming.filter((x) => x.status === 'pending').length;
          const todays = upcoming.filter((x) => localDate(x.start) === today).length;
          const plus = o?.more ? '+' : '';
          return (
            <li key={id} class="card">
              <h2 class="title">{r?.name ?? (o?.problem ? id : 'Loading…')}</h2>
              {r && (
                <p class="muted">
                  {r.cuisine} · {r.address} · {r.policy?.acceptance === 'manual' ? 'you accept each request' : 'requests accepted automatically'}
                </p>
              )}
              {o?.active && (
                <p>
                  {upcoming.length}
                  {plus} upcoming {upcoming.length === 1 && !plus ? 'reservation' : 'reservations'} ({todays} today)
                  {pending > 0 && (
                    <strong>
                      {' '}
                      · {pending}
                      {plus} waiting for your answer
                    </strong>
                  )}
                </p>
              )}
              {upcoming.length > 0 && (
                <ul class="today" aria-label={`Next reservations at ${r?.name ?? 'this restaurant'}`}>
                  {upcoming.slice(0, NEXT_SHOWN).map((x) => (
                    <li key={x.reservationId}>
                      <time dateTime={x.start}>
                        {localDate(x.start) === today ? 'Today' : formatDate(localDate(x.start))}, {localTime(x.start)}
                      </time>{' '}
                      · {x.name ?? 'Guest'} · party of {x.partySize} · <Status status={x.status} />
                      {x.status === 'pending' && x.decideBy && <span class="expires"> · {timeLeft(x.decideBy, now)}</span>}
                    </li>
                  ))}
                </ul>
              )}
              {o?.active && upcoming.length === 0 && <p class="muted">No reservations ahead.</p>}
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
      {today && <OwnerWaitlist restaurantId={id} today={today} />}
    </section>
  );
}

/** The owner's list carries each diner's past no-shows at the restaurant (kept when a live change merges in). */
type Listed = Reservation & { noShows?: number };

/** The floor's steps on the night: the API says when each may be taken (a refusal names the window). */
const FLOOR_ACTIONS: Record<string, Array<{ what: 'seated' | 'no-show' | 'complete'; label: string }>> = {
  accepted: [
    { what: 'seated', label: 'Seated' },
    { what: 'no-show', label: 'No-show' },
  ],
  seated: [{ what: 'complete', label: 'Leaving: free the table' }],
};

function Booking({ r, today, now, onChange }: { r: Listed; today: string; now: number; onChange: (r: Reservation) => void }) {
  const { busy, problem, run } = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const day = localDate(r.start);
  const reasonId = `reason-${r.reservationId}`;

  const decide = (what: 'accept' | 'reject' | 'seated' | 'no-show' | 'complete') =>
    run(async () => {
      const res = await call<{ reservationId: string; status: string }>('POST', `/reservations/${encodeURIComponent(r.reservationId)}/${what}`, {
        consistent: true,
        ...(what === 'reject' ? { body: { reason: reason.trim() } } : {}),
      });
      // 202: the decision is under way; the live stream brings the outcome
      if (res.status !== 202) onChange({ ...r, status: res.body.status });
      setRejecting(false);
    });

  return (
    <li class={`card booking-${r.status}`}>
      <p class="title">
        <time dateTime={r.start}>
          {day === today ? 'Today' : formatDate(day)}, {localTime(r.start)}
        </time>{' '}
        · {r.name ?? 'Guest'} · party of {r.partySize}
        {r.tableId && ` · table ${r.tableId}`}
        {r.noShows ? <span class="no-shows"> · {r.noShows === 1 ? '1 no-show' : `${r.noShows} no-shows`} here</span> : null}
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
      {day === today && FLOOR_ACTIONS[r.status] && (
        <p class="actions">
          {FLOOR_ACTIONS[r.status]!.map(({ what, label }) => (
            <button key={what} type="button" class="secondary" disabled={busy} onClick={() => void decide(what)}>
              {label}
            </button>
          ))}
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
