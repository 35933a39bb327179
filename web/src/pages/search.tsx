/** Find a restaurant: words, cuisine, near me (the browser's position), open at a given time. */
import { useEffect, useState } from 'preact/hooks';
import { get, qs, type Restaurant } from '../api';
import { href } from '../router';
import { openAtParam } from '../time';
import { Alert, Heading, useAction } from '../ui';

interface Page {
  items: Restaurant[];
  nextCursor?: string;
}

/** The browser's position, with a deadline (a user who never answers the prompt must not hang the search). */
function position(): Promise<{ lat: number; lon: number }> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) {
      reject(new Error('This browser cannot tell where you are.'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      (e) => reject(new Error(e.code === e.PERMISSION_DENIED ? 'Location permission was denied.' : 'Your location is not available.')),
      { timeout: 10_000, maximumAge: 300_000 },
    );
  });
}

export function SearchPage({ initialQ, initialCuisine }: { initialQ: string; initialCuisine: string }) {
  const [q, setQ] = useState(initialQ);
  const [cuisine, setCuisine] = useState(initialCuisine);
  const [openAt, setOpenAt] = useState('');
  const [near, setNear] = useState(false);
  const [results, setResults] = useState<Restaurant[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>();
  const [params, setParams] = useState<Record<string, string | undefined>>({});
  const { busy, problem, setProblem, run: act } = useAction();

  const run = (p: Record<string, string | undefined>, more?: string) =>
    act(async () => {
      const page = await get<Page>(`/restaurants${qs({ ...p, cursor: more })}`);
      setResults((prev) => (more && prev ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setParams(p);
    });

  useEffect(() => {
    void run({ q: initialQ.trim() || undefined, cuisine: initialCuisine.trim() || undefined });
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const p: Record<string, string | undefined> = { q: q.trim() || undefined, cuisine: cuisine.trim() || undefined, openAt: openAtParam(openAt) };
    if (near) {
      try {
        const at = await position();
        p.near = `${at.lat.toFixed(5)},${at.lon.toFixed(5)}`;
      } catch (err) {
        setProblem({ status: 0, title: 'Near me is not available', detail: (err as Error).message });
        return;
      }
    }
    await run(p);
  };

  return (
    <section>
      <Heading>Find a table</Heading>
      <form class="search" role="search" onSubmit={submit}>
        <label class="grow">
          Search restaurants
          <input type="search" name="q" value={q} placeholder="name, dish, street…" onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <label>
          Cuisine
          <input type="text" name="cuisine" value={cuisine} placeholder="e.g. italian" onInput={(e) => setCuisine(e.currentTarget.value)} />
        </label>
        <label>
          Open at
          <input type="datetime-local" name="openAt" value={openAt} onInput={(e) => setOpenAt(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name="near" checked={near} onChange={(e) => setNear(e.currentTarget.checked)} />
          Near me
        </label>
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      <Alert problem={problem} />
      {results && (
        <div>
          <p class="muted" aria-live="polite">{results.length === 0 ? 'No restaurant matches.' : `${results.length}${cursor ? '+' : ''} ${results.length === 1 && !cursor ? 'restaurant' : 'restaurants'}`}</p>
          <ul role="list" class="cards">
            {results.map((r) => (
              <li key={r.restaurantId} class="card">
                <a class="title" href={href.restaurant(r.restaurantId)}>
                  {r.name}
                </a>
                <p class="muted">
                  {r.cuisine} · {r.address}
                  {r.distanceKm !== undefined && ` · ${r.distanceKm.toFixed(1)} km`}
                </p>
                {r.description && <p>{r.description}</p>}
              </li>
            ))}
          </ul>
          {cursor && (
            <button type="button" class="secondary" disabled={busy} onClick={() => void run(params, cursor)}>
              More restaurants
            </button>
          )}
        </div>
      )}
    </section>
  );
}
