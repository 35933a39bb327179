/**
 * A restaurant: details, menu, and booking: a date and party size give the free starts (in the
 * restaurant's time zone, as the API writes them), one is chosen and booked with an Idempotency-Key
 * (a retry after a lost answer joins the first attempt). A 202 is followed until the booking is placed;
 * the result's status then follows the live stream.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, qs, randomKey, type Availability, type Reservation, type Restaurant } from '../api';
import type { Auth } from '../app';
import { followReservations } from '../live';
import type { Problem } from '../problem';
import { dayLabel, formatIntervals, WEEKDAYS } from '../hours';
import { href } from '../router';
import { formatLocal, localTime, todayIn } from '../time';
import { Alert, asProblem, Heading, Loading, Status } from '../ui';
import { Waitlist } from './waitlist';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function money(p: { amount: number; currency: string }): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: p.currency }).format(p.amount);
  } catch {
    return `${p.amount} ${p.currency}`;
  }
}

export function RestaurantPage({ id, auth }: { id: string; auth: Auth }) {
  const [restaurant, setRestaurant] = useState<Restaurant | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    get<Restaurant>(`/restaurants/${encodeURIComponent(id)}`).then(setRestaurant, (err) => setProblem(asProblem(err)));
  }, [id]);

  if (problem && !restaurant) {
    return (
      <>
        <Heading>Restaurant</Heading>
        <Alert problem={problem} />
      </>
    );
  }
  if (!restaurant) return <Loading />;
  const r = restaurant;
  return (
    <article>
      <Heading>{r.name}</Heading>
      <p class="muted">
        {r.cuisine} · {r.address} · <a href={`tel:${r.phone.replace(/[^+0-9]/g, '')}`}>{r.phone}</a>
      </p>
      {r.description && <p>{r.description}</p>}
      <div class="columns">
        <div>
          <Booking restaurant={r} auth={auth} />
          <section aria-labelledby="hours-h">
            <h2 id="hours-h">Opening hours</h2>
            <p class="muted">Times are local to the restaurant ({r.timezone}).</p>
            <dl class="hours">
              {WEEKDAYS.map((d) => (
                <>
                  <dt>{dayLabel(d)}</dt>
                  <dd>{formatIntervals(r.openingHours[d]) || 'closed'}</dd>
                </>
              ))}
            </dl>
          </section>
        </div>
        <section aria-labelledby="menu-h" class="menu">
          <h2 id="menu-h">Menu</h2>
          {(r.menu ?? []).length === 0 && <p class="muted">No menu published.</p>}
          {(r.menu ?? []).map((s) => (
            <section>
              <h3>{s.name}</h3>
              <ul role="list" class="dishes">
                {s.dishes.map((d) => (
                  <li>
                    <span class="dish">{d.name}</span> <span class="price">{money(d.price)}</span>
                    {d.description && <p class="muted">{d.description}</p>}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </section>
      </div>
    </article>
  );
}

function Booking({ restaurant, auth }: { restaurant: Restaurant; auth: Auth }) {
  const id = restaurant.restaurantId;
  const [date, setDate] = useState(() => todayIn(restaurant.timezone));
  const [partySize, setPartySize] = useState(2);
  const [availability, setAvailability] = useState<Availability | null>(null);
  const [slot, setSlot] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [availProblem, setAvailProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [booked, setBooked] = useState<Reservation | null>(null);
  // one key per choice: a retry of the same choice joins the first request, a new choice is a new booking
  const key = useRef(randomKey());
  const [reload, setReload] = useState(0);

  useEffect(() => {
    setSlot(null);
    setAvailability(null);
    if (!date || !Number.isInteger(partySize) || partySize < 1) return;
    const ctl = new AbortController();
    const t = setTimeout(() => {
      get<Availability>(`/restaurants/${encodeURIComponent(id)}/availability${qs({ date, partySize })}`, { signal: ctl.signal }).then(
        (a) => {
          setAvailability(a);
          setAvailProblem(null);
        },
        (err) => {
          if (!ctl.signal.aborted) setAvailProblem(asProblem(err));
        },
      );
    }, 150);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [id, date, partySize, reload]);

  // the booked reservation's status, live (an owner's decision shows without a reload)
  useEffect(() => {
    if (!booked || !auth.me) return;
    const rid = booked.reservationId;
    return followReservations({
      onReservation: (r) => {
        if (r.reservationId === rid) setBooked(r);
      },
      refresh: async () => setBooked(await get<Reservation>(`/reservations/${encodeURIComponent(rid)}`)),
    });
  }, [booked?.reservationId, !!auth.me]);

  // a refusal is about the choice it was for
  useEffect(() => setProblem(null), [date, partySize]);

  const choose = (start: string) => {
    setSlot(start);
    key.current = randomKey();
  };

  const book = async () => {
    if (!slot) return;
    setBusy(true);
    setProblem(null);
    try {
      const res = await call<Partial<Reservation> & { reservationId: string; status: string }>('POST', '/reservations', {
        body: { restaurantId: id, partySize, start: slot },
        headers: { 'idempotency-key': key.current },
      });
      // a 202 names only the id and status: the rest is what was asked for
      let r: Reservation = { restaurantId: id, partySize, customerId: auth.me?.userId ?? '', ...res.body, start: res.body.start ?? slot };
      setBooked(r);
      if (res.status === 202) {
        // placement under way: its Location says how it ends
        const where = res.headers.get('location') ?? `/reservations/${encodeURIComponent(r.reservationId)}`;
        for (let i = 0; i < 60 && r.status === 'placing'; i++) {
          await sleep(1000);
          r = await get<Reservation>(where);
          setBooked(r);
        }
        if (r.status === 'not-placed' && r.problem) setProblem({ status: 409, title: 'Not booked', detail: r.problem.detail, code: r.problem.code });
      }
      setSlot(null);
      key.current = randomKey();
      setReload((n) => n + 1);
    } catch (err) {
      const p = asProblem(err);
      setProblem(p);
      // a definite refusal: the next attempt is a new request (a network error keeps the key, so a retry joins)
      if (p.status !== 0) key.current = randomKey();
      if (p.status === 409) setReload((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const slots = availability?.slots ?? [];
  return (
    <section aria-labelledby="book-h" class="booking">
      <h2 id="book-h">Book a table</h2>
      <div class="row">
        <label>
          Date
          <input type="date" name="date" value={date} min={todayIn(restaurant.timezone)} required onInput={(e) => setDate(e.currentTarget.value)} />
        </label>
        <label>
          Party size
          <input
            type="number"
            name="partySize"
            min={1}
            max={restaurant.policy?.maxPartySize ?? 100}
            value={partySize}
            required
            onInput={(e) => setPartySize(Number(e.currentTarget.value))}
          />
        </label>
      </div>
      {availability === null && !availProblem && <p class="muted">Looking for free tables…</p>}
      <Alert problem={availProblem} />
      {availability && slots.length === 0 && <p>{availability.reason?.detail ?? 'No free table that day.'}</p>}
      {slots.length > 0 && (
        <div role="group" aria-label="Available times" class="slots">
          {slots.map((s) => (
            <button type="button" class="slot" aria-pressed={slot === s.start} onClick={() => choose(s.start)}>
              {localTime(s.start)}
            </button>
          ))}
        </div>
      )}
      {availability && slots.length > 0 && <p class="muted">Times in {availability.timezone}.</p>}
      {slot &&
        (auth.me ? (
          <button type="button" class="primary" disabled={busy} onClick={() => void book()}>
            Book
          </button>
        ) : (
          <p>
            <a href={href.signin(location.hash)}>Sign in</a> or <a href={href.signup(location.hash)}>create an account</a> to book {localTime(slot)}.
          </p>
        ))}
      {slot && <p class="muted">{formatLocal(slot)}, party of {partySize}.</p>}
      <Alert problem={problem} />
      {problem?.alternatives && (
        <div role="group" aria-label="Nearest free times" class="slots">
          {problem.alternatives.map((a) => (
            <button type="button" class="slot" aria-pressed={slot === a} onClick={() => choose(a)}>
              {localTime(a)}
            </button>
          ))}
        </div>
      )}
      {(availability?.reason?.code === 'FULLY_BOOKED' || problem?.code === 'NO_TABLE') && (
        <Waitlist restaurant={restaurant} date={date} partySize={partySize} signedIn={!!auth.me} />
      )}
      {booked && (
        <div class="result" aria-live="polite">
          <p>
            Reservation for {formatLocal(booked.start)}: <Status status={booked.status} />
          </p>
          <p>
            <a href={href.reservations()}>All your bookings</a>
          </p>
        </div>
      )}
    </section>
  );
}
