/**
 * The diner's side of a restaurant's waitlist: when the chosen day has no free table, join for a time
 * (with some give either way), see the place in line, and accept a table when one is offered before the
 * offer runs out. The entries this browser joined are remembered per restaurant (there is no "my entries"
 * route), and each is read again every few seconds while it can still change.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, qs, randomKey, type Restaurant } from '../api';
import type { Problem } from '../problem';
import { href } from '../router';
import { formatDate, formatLocal, localTime, timeLeft } from '../time';
import { Alert, asProblem, Loading, Status, useAction } from '../ui';

export interface WaitlistEntry {
  entryId: string;
  restaurantId: string;
  partySize: number;
  start: string;
  flexMinutes: number;
  status: 'waiting' | 'offered' | 'booked' | 'expired' | 'withdrawn';
  position?: number;
  offer?: { start: string; tableId: string; expiresAt: string };
  reservationId?: string;
}

const POLL_MS = 3000;
/** How long after joining the join's answer is shown instead of a lookup (the read model has the entry well within it). */
const JOIN_SETTLE_MS = 5000;
const storageKey = (restaurantId: string) => `rr-waitlist:${restaurantId}`;
const remembered = (restaurantId: string): string[] => JSON.parse(localStorage.getItem(storageKey(restaurantId)) ?? '[]') as string[];
const remember = (restaurantId: string, ids: string[]) => localStorage.setItem(storageKey(restaurantId), JSON.stringify(ids.slice(-10)));
const open = (e: WaitlistEntry) => e.status === 'waiting' || e.status === 'offered';

/** The join form (for `date` and `partySize` as chosen above it) and this browser's entries at the restaurant. */
export function Waitlist({ restaurant, date, partySize, signedIn }: { restaurant: Restaurant; date: string; partySize: number; signedIn: boolean }) {
  const id = restaurant.restaurantId;
  const [time, setTime] = useState('19:00');
  const [flex, setFlex] = useState(0);
  const [entries, setEntries] = useState<WaitlistEntry[]>([]);
  const [now, setNow] = useState(Date.now());
  const join = useAction();
  const key = useRef(randomKey());

  // entries joined on this page, by when: the join's answer stands until the read model has them
  const joinedAt = useRef(new Map<string, number>());

  // the entries this browser joined, read again while any can still change
  useEffect(() => {
    if (!signedIn) return;
    let stopped = false;
    const load = async () => {
      const ids = remembered(id);
      // undefined: not looked up (just joined); null: the lookup failed
      const found = await Promise.all(
        ids.map((e) =>
          Date.now() - (joinedAt.current.get(e) ?? 0) < JOIN_SETTLE_MS ? undefined : get<WaitlistEntry>(`/waitlist/${encodeURIComponent(e)}`).catch(() => null),
        ),
      );
      if (stopped) return;
      // an entry joined while this read was under way is kept as shown
      setEntries((shown) =>
        remembered(id)
          .map((e) => {
            const i = ids.indexOf(e);
            const got = i < 0 ? undefined : found[i];
            return got === undefined ? shown.find((x) => x.entryId === e) : got;
          })
          .filter((e): e is WaitlistEntry => !!e),
      );
    };
    void load();
    const t = setInterval(() => {
      setNow(Date.now());
      void load();
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [id, signedIn]);

  const submit = () =>
    join.run(async () => {
      const start = `${date}T${time}`;
      // a 202 (admitted, not yet answered) names only the entry
      const res = await call<{ entryId: string; position?: number }>('POST', `/restaurants/${encodeURIComponent(id)}/waitlist`, {
        body: { partySize, start, flexMinutes: flex },
        headers: { 'idempotency-key': key.current },
      });
      key.current = randomKey();
      const { entryId, position } = res.body;
      remember(id, [...remembered(id).filter((e) => e !== entryId), entryId]);
      // shown from the answer: reading the entry back at once would miss it (the read model learns of it about a second later)
      joinedAt.current.set(entryId, Date.now());
      const joined: WaitlistEntry = { entryId, restaurantId: id, partySize, start, flexMinutes: flex, status: 'waiting', ...(position !== undefined ? { position } : {}) };
      setEntries((shown) => [...shown.filter((e) => e.entryId !== entryId), joined]);
    });

  return (
    <section aria-labelledby="waitlist-h" class="waitlist">
      <h3 id="waitlist-h">Join the waitlist</h3>
      <p class="muted">
        When a table for {partySize} frees up that fits your time, it is offered to the first in line and held for{' '}
        {restaurant.policy?.waitlistOfferMinutes ?? 10} minutes.
      </p>
      {signedIn ? (
        <div class="row">
          <label>
            Time
            <input type="time" name="waitlistTime" step={(restaurant.policy?.slotMinutes ?? 15) * 60} value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          </label>
          <label>
            Flexible by
            <select name="flexMinutes" value={flex} onChange={(e) => setFlex(Number(e.currentTarget.value))}>
              {[0, 15, 30, 60, 90, 120].map((m) => (
                <option value={m}>{m === 0 ? 'exactly' : `± ${m} min`}</option>
              ))}
            </select>
          </label>
          <button type="button" disabled={join.busy} onClick={() => void submit()}>
            Join the waitlist
          </button>
        </div>
      ) : (
        <p>
          <a href={href.signin(location.hash)}>Sign in</a> to join the waitlist.
        </p>
      )}
      <Alert problem={join.problem} />
      {join.problem?.code === 'SLOT_AVAILABLE' && typeof join.problem['start'] === 'string' && <p>A table is free at {localTime(join.problem['start'])}: book it above.</p>}
      {entries.length > 0 && (
        <ul role="list" class="cards">
          {entries.map((e) => (
            <Entry key={e.entryId} entry={e} now={now} onChange={(x) => setEntries((l) => l.map((y) => (y.entryId === x.entryId ? x : y)))} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Entry({ entry: e, now, onChange }: { entry: WaitlistEntry; now: number; onChange: (e: WaitlistEntry) => void }) {
  const act = useAction();
  const accept = () =>
    act.run(async () => {
      const res = await call<{ reservationId: string; status: string }>('POST', `/waitlist/${encodeURIComponent(e.entryId)}/accept`);
      const { offer: _offer, ...rest } = e;
      onChange({ ...rest, status: 'booked', reservationId: res.body.reservationId });
    });
  const withdraw = () =>
    act.run(async () => {
      await call('POST', `/waitlist/${encodeURIComponent(e.entryId)}/withdraw`);
      const { offer: _offer, position: _position, ...rest } = e;
      onChange({ ...rest, status: 'withdrawn' });
    });
  return (
    <li class="card" data-entry={e.entryId}>
      <p>
        {formatLocal(e.start)}
        {e.flexMinutes > 0 ? ` (± ${e.flexMinutes} min)` : ''}, party of {e.partySize}: <Status status={e.status} />
        {e.status === 'waiting' && e.position !== undefined && <> · number {e.position} in line</>}
      </p>
      {e.status === 'offered' && e.offer && (
        <p>
          Table {e.offer.tableId} at {localTime(e.offer.start)} is yours if you accept: {timeLeft(e.offer.expiresAt, now)}.{' '}
          <button type="button" class="primary" disabled={act.busy} onClick={() => void accept()}>
            Accept
          </button>
        </p>
      )}
      {e.status === 'booked' && e.reservationId && (
        <p>
          Booked. <a href={href.reservations()}>Your bookings</a>
        </p>
      )}
      {open(e) && (
        <button type="button" disabled={act.busy} onClick={() => void withdraw()}>
          Leave the waitlist
        </button>
      )}
      <Alert problem={act.problem} />
    </li>
  );
}

/** The owner's view of one day's waitlist, in queue order, read again every few seconds. */
export function OwnerWaitlist({ restaurantId, today }: { restaurantId: string; today: string }) {
  const [date, setDate] = useState(today);
  const [items, setItems] = useState<WaitlistEntry[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const page = await get<{ items: WaitlistEntry[] }>(`/restaurants/${encodeURIComponent(restaurantId)}/waitlist${qs({ date })}`);
        if (!stopped) {
          setItems(page.items);
          setProblem(null);
        }
      } catch (err) {
        if (!stopped) setProblem(asProblem(err));
      }
    };
    setItems(null);
    void load();
    const t = setInterval(() => {
      setNow(Date.now());
      void load();
    }, POLL_MS * 2);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [restaurantId, date]);

  return (
    <section aria-labelledby="owner-waitlist-h" class="waitlist">
      <h2 id="owner-waitlist-h">Waitlist</h2>
      <label>
        Day
        <input type="date" name="waitlistDate" value={date} min={today} onInput={(e) => setDate(e.currentTarget.value)} />
      </label>
      <Alert problem={problem} />
      {items === null && !problem && <Loading />}
      {items && items.length === 0 && <p class="muted">Nobody is waiting for {formatDate(date)}.</p>}
      {items && items.length > 0 && (
        <ol class="cards">
          {items.map((e) => (
            <li class="card" data-entry={e.entryId}>
              {localTime(e.start)}
              {e.flexMinutes > 0 ? ` (± ${e.flexMinutes} min)` : ''}, party of {e.partySize}: <Status status={e.status} />
              {e.offer && (
                <>
                  {' '}
                  · table {e.offer.tableId} at {localTime(e.offer.start)}, {timeLeft(e.offer.expiresAt, now)}
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
