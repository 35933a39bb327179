/**
 * An owner edits opening hours, tables or the reservation policy (PUT routes, with If-Match: a change
 * someone made meanwhile is refused with 412 and the page offers to reload). Warnings the API returns
 * (settings that leave bookings impossible) are shown after a save; the change is saved either way.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Table } from '../../../domain/catalog/events';
import { call, get, type Policy, type Restaurant, type Warning } from '../api';
import { dayLabel, formatIntervals, parseIntervals, WEEKDAYS, type Interval, type Weekday } from '../hours';
import type { Problem } from '../problem';
import { href } from '../router';
import { Alert, asProblem, Heading, Loading, useAction } from '../ui';

type What = 'hours' | 'tables' | 'policy';
const TITLES: Record<What, string> = { hours: 'Opening hours', tables: 'Tables', policy: 'Reservation policy' };
const PATHS: Record<What, string> = { hours: 'opening-hours', tables: 'tables', policy: 'policy' };

export function EditPage({ id, what }: { id: string; what: What }) {
  const [restaurant, setRestaurant] = useState<Restaurant | null>(null);
  const { busy, problem, setProblem, run } = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    setRestaurant(null);
    get<Restaurant>(`/restaurants/${encodeURIComponent(id)}`).then(
      (r) => {
        setRestaurant(r);
        setWarnings(r.warnings ?? []);
      },
      (err) => setProblem(asProblem(err)),
    );
  }, [id, generation]);

  const save = async (body: unknown) => {
    if (!restaurant) return;
    setSaved(null);
    await run(async () => {
      const res = await call<Restaurant>('PUT', `/restaurants/${encodeURIComponent(id)}/${PATHS[what]}`, {
        body,
        headers: { 'if-match': `"${restaurant.version}"` },
      });
      setRestaurant(res.body);
      setWarnings(res.body.warnings ?? []);
      setSaved(`Saved at ${new Date().toLocaleTimeString()}.`);
    });
  };

  return (
    <section class="narrow">
      <p>
        <a href={href.owner()}>My restaurants</a> › <a href={href.dashboard(id)}>{restaurant?.name ?? 'Reservations'}</a>
      </p>
      <Heading>
        {TITLES[what]}
        {restaurant ? ` · ${restaurant.name}` : ''}
      </Heading>
      {!restaurant && !problem && <Loading />}
      {restaurant && what === 'hours' && <HoursForm key={restaurant.version} restaurant={restaurant} busy={busy} onSave={save} onInvalid={setProblem} />}
      {restaurant && what === 'tables' && <TablesForm key={restaurant.version} restaurant={restaurant} busy={busy} onSave={save} onInvalid={setProblem} />}
      {restaurant && what === 'policy' && <PolicyForm key={restaurant.version} restaurant={restaurant} busy={busy} onSave={save} />}
      <Alert problem={problem} />
      {problem?.status === 412 && (
        <button type="button" class="secondary" onClick={() => { setProblem(null); setGeneration((g) => g + 1); }}>
          Reload the current settings
        </button>
      )}
      {saved && (
        <p role="status" class="ok">
          {saved}
        </p>
      )}
      {warnings.length > 0 && (
        <div class="warnings">
          <h2>Warnings</h2>
          <ul>
            {warnings.map((w) => (
              <li>{w.detail}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

interface FormProps {
  restaurant: Restaurant;
  busy: boolean;
  onSave: (body: unknown) => Promise<void>;
  onInvalid?: (p: Problem) => void;
}

function HoursForm({ restaurant, busy, onSave, onInvalid }: FormProps) {
  const [text, setText] = useState<Record<Weekday, string>>(
    () => Object.fromEntries(WEEKDAYS.map((d) => [d, formatIntervals(restaurant.openingHours[d])])) as Record<Weekday, string>,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const body: Partial<Record<Weekday, Interval[]>> = {};
    const errors: Array<{ field: string; message: string }> = [];
    for (const d of WEEKDAYS) {
      const parsed = parseIntervals(text[d]);
      if ('error' in parsed) errors.push({ field: d, message: `${dayLabel(d)}: ${parsed.error}` });
      else body[d] = parsed.intervals;
    }
    if (errors.length > 0) return onInvalid?.({ status: 400, title: 'Check the opening hours', errors });
    void onSave(body);
  };
  return (
    <form onSubmit={submit}>
      <p class="muted" id="hours-hint">
        Local times in {restaurant.timezone}, like 12:00-15:00, 19:00-23:00. Leave a day empty when closed; a close before the open ends after midnight.
      </p>
      {WEEKDAYS.map((d) => (
        <label>
          {dayLabel(d)}
          <input type="text" name={d} aria-describedby="hours-hint" value={text[d]} onInput={(e) => setText({ ...text, [d]: e.currentTarget.value })} />
        </label>
      ))}
      <button type="submit" class="primary" disabled={busy}>
        Save
      </button>
    </form>
  );
}

interface TableRow {
  id: string;
  seats: string;
  /** combinableWith as typed: ids separated by commas. */
  combinable: string;
}

/** "t2, t3" → ['t2', 't3']; blanks dropped. */
const idList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function TablesForm({ restaurant, busy, onSave, onInvalid }: FormProps) {
  const initial: readonly Table[] = restaurant.tables ?? [];
  const [rows, setRows] = useState<TableRow[]>(() => initial.map((t) => ({ id: t.id, seats: String(t.seats), combinable: (t.combinableWith ?? []).join(', ') })));
  const set = (i: number, patch: Partial<TableRow>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const submit = (e: Event) => {
    e.preventDefault();
    const tables: Table[] = rows.map((r) => {
      const combinableWith = idList(r.combinable);
      return { id: r.id.trim(), seats: Number(r.seats), ...(combinableWith.length > 0 ? { combinableWith } : {}) };
    });
    const bad = tables.findIndex((t) => !t.id || !Number.isInteger(t.seats));
    if (bad >= 0) return onInvalid?.({ status: 400, title: 'Check the tables', detail: `Table ${bad + 1} needs an id and a whole number of seats.` });
    // the API checks the ids named (other tables of this restaurant, each once) and says which is wrong
    void onSave(tables);
  };
  return (
    <form onSubmit={submit}>
      <p class="muted">A party no single free table seats gets the smallest free combination of tables that name each other under "combines with".</p>
      <ul role="list" class="tables">
        {rows.map((r, i) => (
          <li class="row">
            <label>
              Table {i + 1} id
              <input type="text" value={r.id} required onInput={(e) => set(i, { id: e.currentTarget.value })} />
            </label>
            <label>
              Table {i + 1} seats
              <input type="number" min={1} value={r.seats} required onInput={(e) => set(i, { seats: e.currentTarget.value })} />
            </label>
            <label>
              Table {i + 1} combines with
              <input
                type="text"
                value={r.combinable}
                placeholder="e.g. t2, t3"
                title="Ids of tables this one can be pushed together with, separated by commas. Both tables must name each other."
                onInput={(e) => set(i, { combinable: e.currentTarget.value })}
              />
            </label>
            <button type="button" class="secondary" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              Remove table {i + 1}
            </button>
          </li>
        ))}
      </ul>
      <p class="actions">
        <button type="button" class="secondary" onClick={() => setRows([...rows, { id: `t${rows.length + 1}`, seats: '2', combinable: '' }])}>
          Add table
        </button>
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
      </p>
    </form>
  );
}

const POLICY_FIELDS: Array<{ key: Exclude<keyof Policy, 'acceptance'>; label: string }> = [
  { key: 'maxPartySize', label: 'Largest party' },
  { key: 'turnMinutes', label: 'Turn (minutes)' },
  { key: 'slotMinutes', label: 'Slot grid (minutes)' },
  { key: 'decisionTimeoutMinutes', label: 'Time to decide a request (minutes)' },
  { key: 'minAdvanceMinutes', label: 'Book at least (minutes ahead)' },
  { key: 'maxAdvanceDays', label: 'Book at most (days ahead)' },
  { key: 'cancellationCutoffMinutes', label: 'Cancellation cutoff (minutes before)' },
  { key: 'reminderMinutesBefore', label: 'Reminder (minutes before)' },
  { key: 'maxBookingsPerCustomerPerDay', label: 'Bookings per customer per day' },
  { key: 'waitlistOfferMinutes', label: 'Waitlist offer held for (minutes)' },
  { key: 'seatEarlyMinutes', label: 'Seat parties from (minutes before the start)' },
  { key: 'noShowGraceMinutes', label: 'No-show after (minutes past the start)' },
];

function PolicyForm({ restaurant, busy, onSave }: FormProps) {
  const initial = restaurant.policy;
  const [acceptance, setAcceptance] = useState<string>(initial?.acceptance ?? 'manual');
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(POLICY_FIELDS.map((f) => [f.key, initial ? String(initial[f.key]) : ''])),
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { acceptance };
    // an empty field takes the API's default (PUT replaces the policy)
    for (const f of POLICY_FIELDS) if (values[f.key]?.trim()) body[f.key] = Number(values[f.key]);
    void onSave(body);
  };
  return (
    <form onSubmit={submit}>
      <label>
        Acceptance
        <select value={acceptance} onChange={(e) => setAcceptance(e.currentTarget.value)}>
          <option value="manual">manual (I decide each request)</option>
          <option value="auto">auto (accept when a table is free)</option>
        </select>
      </label>
      {POLICY_FIELDS.map((f) => (
        <label>
          {f.label}
          <input type="number" min={0} inputMode="numeric" value={values[f.key]} onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })} />
        </label>
      ))}
      <button type="submit" class="primary" disabled={busy}>
        Save
      </button>
    </form>
  );
}
