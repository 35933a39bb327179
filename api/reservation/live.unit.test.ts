/**
 * The live updates' moving parts without a server: the cursor (overlap, dedupe by (id, version), paging
 * that always moves on, memory bounded by the window), the poller over an in-memory read model, and the
 * hub's limit, fan-out and close. The route itself runs in live.int.test.ts.
 */
import type { ReservationChange, ReservationView } from '../../projections/reservations';
import { ChangeCursor, ChangePoller, LiveHub, sseEvent, tokenExpiry, type LiveSubscriber } from './live';

const view = (id: string, over: Partial<ReservationView> = {}): ReservationView => ({
  reservationId: id,
  restaurantId: 'r1',
  customerId: 'c1',
  partySize: 2,
  start: '2027-01-01T20:00:00+01:00',
  end: '2027-01-01T21:00:00+01:00',
  tableId: 't1',
  status: 'pending',
  history: [],
  ...over,
});

/** An in-memory read model: documents by id, each with its version and change time. */
class FakeReadModel {
  docs = new Map<string, ReservationChange>();
  reads = 0;
  write(id: string, version: number, at: number, over: Partial<ReservationView> = {}) {
    this.docs.set(id, { view: view(id, over), version, changedAt: new Date(at) });
  }
  async changes(from: Date, limit: number, after?: { at: Date; id: string }): Promise<ReservationChange[]> {
    this.reads++;
    const key = (c: ReservationChange) => [c.changedAt.getTime(), c.view.reservationId] as const;
    return [...this.docs.values()]
      .filter((c) => (after ? c.changedAt > after.at || (c.changedAt.getTime() === after.at.getTime() && c.view.reservationId > after.id) : c.changedAt >= from))
      .sort((a, b) => key(a)[0] - key(b)[0] || (key(a)[1] < key(b)[1] ? -1 : 1))
      .slice(0, limit);
  }
  async lastChange(): Promise<Date | undefined> {
    const times = [...this.docs.values()].map((c) => c.changedAt.getTime());
    return times.length ? new Date(Math.max(...times)) : undefined;
  }
}

const ids = (cs: ReservationChange[]) => cs.map((c) => `${c.view.reservationId}@${c.version}`);
const OPTS = { pollMs: 1_000_000, overlapMs: 5000, pageSize: 3, maxPages: 2 };

describe('ChangeCursor', () => {
  test('starts overlapMs back from now, never after the latest change read, and never moves back', () => {
    const c = ChangeCursor.from(new Date(10_000), 5000);
    expect(c.start(12_000).getTime()).toBe(7000);
    expect(c.start(30_000).getTime()).toBe(10_000); // quiet: only what comes after the latest change
    expect(new ChangeCursor(5000).start(30_000).getTime()).toBe(0); // nothing known yet: everything stamped
  });

  test('hands out each (id, version) once, a new version again, and forgets what the window has passed', () => {
    const c = new ChangeCursor(5000);
    const ch = (id: string, v: number, at: number): ReservationChange => ({ view: view(id), version: v, changedAt: new Date(at) });
    expect(ids(c.accept([ch('a', 1, 1000), ch('b', 1, 1500)], new Date(0)))).toEqual(['a@1', 'b@1']);
    // the overlap reads them again, with a late write stamped earlier than b
    expect(ids(c.accept([ch('a', 1, 1000), ch('x', 1, 1200), ch('b', 1, 1500), ch('a', 2, 1600)], new Date(0)))).toEqual(['x@1', 'a@2']);
    expect(c.remembered).toBe(4);
    c.accept([ch('c', 1, 9000)], new Date(1400));
    expect(c.remembered).toBe(3); // a@1 and x@1 are before the read's start: no read returns them again
  });
});

describe('ChangePoller', () => {
  test('primes without handing out what is already there, then hands out later writes once, late ones too', async () => {
    const rm = new FakeReadModel();
    let now = 100_000;
    rm.write('old', 1, 99_000);
    const got: string[] = [];
    const p = new ChangePoller(rm, { ...OPTS, now: () => now, onChanges: (cs) => got.push(...ids(cs)) });
    await p.start(); // pollMs is long: the test polls by hand
    expect(await p.poll()).toEqual([]);
    rm.write('a', 1, 100_100);
    now = 100_500;
    await p.poll();
    // a write that lands after a later-stamped one was read (stamped before it, committed after)
    rm.write('b', 1, 100_050);
    rm.write('a', 2, 100_600);
    now = 101_000;
    await p.poll();
    await p.poll();
    p.stop();
    expect(got).toEqual(['a@1', 'b@1', 'a@2']);
  });

  test('a burst larger than a poll reads goes on at the next poll: nothing is lost or repeated', async () => {
    const rm = new FakeReadModel();
    let now = 0;
    const got: string[] = [];
    const p = new ChangePoller(rm, { ...OPTS, now: () => now, onChanges: (cs) => got.push(...ids(cs)) });
    await p.start();
    // 10 documents stamped within the same millisecond (a rebuild), then quiet
    for (let i = 0; i < 10; i++) rm.write(`d${i}`, 1, 50_000);
    for (now = 50_001; now < 70_000; now += 500) await p.poll();
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}@1`));
    expect(await p.poll()).toEqual([]);
    p.stop();
  });

  test('a poll in flight when the poller stops hands out nothing', async () => {
    const rm = new FakeReadModel();
    let now = 100_000;
    const got: string[] = [];
    const p = new ChangePoller(rm, { ...OPTS, now: () => now, onChanges: (cs) => got.push(...ids(cs)) });
    await p.start();
    rm.write('a', 1, 100_100);
    now = 100_500;
    const inFlight = p.poll();
    p.stop();
    expect(ids(await inFlight)).toEqual(['a@1']); // read, but not delivered
    expect(got).toEqual([]);
  });
});

describe('LiveHub', () => {
  const sub = (follows: (r: ReservationView) => boolean) => {
    const s = { got: [] as string[], ended: false } as LiveSubscriber & { got: string[]; ended: boolean };
    s.follows = follows;
    s.send = (c) => s.got.push(c.view.reservationId);
    s.end = () => (s.ended = true);
    return s;
  };

  test('counts streams to its limit, polls while it has subscribers, fans out by scope, ends all on close', async () => {
    const rm = new FakeReadModel();
    const hub = new LiveHub(rm, { ...OPTS, pollMs: 5, max: 2 });
    const r1 = hub.reserve();
    const r2 = hub.reserve();
    expect(r1 && r2).toBeTruthy();
    expect(hub.reserve()).toBe(false);
    (r2 as () => void)();
    (r2 as () => void)(); // released once only
    expect(hub.open).toBe(1);

    const diner = sub((r) => r.customerId === 'c1');
    const owner = sub((r) => r.restaurantId === 'r2');
    const stop1 = await hub.subscribe(diner);
    await hub.subscribe(owner);
    rm.write('mine', 1, Date.now(), { customerId: 'c1', restaurantId: 'r9' });
    rm.write('theirs', 1, Date.now(), { customerId: 'c2', restaurantId: 'r2' });
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    await until(() => diner.got.length > 0 && owner.got.length > 0);
    expect(diner.got).toEqual(['mine']);
    expect(owner.got).toEqual(['theirs']);
    stop1();
    hub.close();
    expect(owner.ended).toBe(true);
    expect(diner.ended).toBe(false); // it had left already
    expect(hub.reserve()).toBe(false);
    await expect(hub.subscribe(sub(() => true))).rejects.toMatchObject({ status: 503 });
    const reads = rm.reads;
    await new Promise((r) => setTimeout(r, 30));
    expect(rm.reads).toBe(reads); // the poller stopped
  });

  test('a stream opened after a stop and start gets nothing from a read of the stopped poller', async () => {
    // reads wait at the gate while it is set: the first poller's read is held past its stop
    const rm = new (class extends FakeReadModel {
      gate: Promise<void> | undefined;
      held = 0;
      override async changes(from: Date, limit: number, after?: { at: Date; id: string }) {
        const g = this.gate;
        if (g) {
          this.held++;
          await g;
        }
        return super.changes(from, limit, after);
      }
    })();
    const hub = new LiveHub(rm, { ...OPTS, pollMs: 5, max: 5 });
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    const first = sub(() => true);
    const leave = await hub.subscribe(first);
    let open!: () => void;
    rm.gate = new Promise((r) => (open = r));
    await until(() => rm.held > 0);
    rm.write('before', 1, Date.now());
    leave(); // the last stream leaves: the poller stops with its read in flight
    rm.gate = undefined;
    const second = sub(() => true);
    await hub.subscribe(second); // a new poller, whose cursor is past 'before'
    open();
    await new Promise((r) => setTimeout(r, 30));
    rm.write('after', 1, Date.now() + 1);
    await until(() => second.got.length > 0);
    await new Promise((r) => setTimeout(r, 30));
    hub.close();
    expect(first.got).toEqual([]);
    expect(second.got).toEqual(['after']);
  });
});

test('framing and the token expiry', () => {
  expect(sseEvent('ready', '{}')).toBe('event: ready\ndata: {}\n\n');
  expect(sseEvent('reservation', '{"a":1}', 'k')).toBe('event: reservation\nid: k\ndata: {"a":1}\n\n');
  const payload = Buffer.from(JSON.stringify({ sub: 'u', exp: 1_900_000_000 })).toString('base64url');
  expect(tokenExpiry(`Bearer h.${payload}.s`)).toBe(1_900_000_000_000);
  expect(tokenExpiry('Bearer garbage')).toBeUndefined();
  expect(tokenExpiry(undefined)).toBeUndefined();
});
