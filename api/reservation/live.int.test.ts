/**
 * GET /reservations/live on a running system of its own with TWO API processes over the same databases:
 * a client connected to one process sees the changes caused through the other (request → pending, accept,
 * cancel) within 5 s of the read model write (the figures are logged); a diner sees only their own
 * reservations, an owner their restaurant's (a non-owner's restaurantId is 403); the per-process limit answers 503; the stream is framed
 * as the contract says (ready first, then reservation events, a ping comment every 15 s); a SIGTERM ends
 * the streams and the process exits.
 */
import { MongoClient } from 'mongodb';
import { serviceDbName } from '../../platform/mongo';
import { createRestaurant, json, localDate, signUp, startSystem, waitBookable, type System, type User } from '../../test/system';

const TZ = 'Europe/Rome';
const MAX = 3;

interface SseEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
  /** When the client got it (ms). */
  at: number;
}

/** A client of the stream as the web app reads it: fetch with the token in Authorization, a stream reader. */
class LiveClient {
  readonly events: SseEvent[] = [];
  ended = false;
  private readonly waiters = new Set<() => void>();
  private constructor(
    readonly res: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  static async open(url: string, token?: string): Promise<LiveClient> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: abort.signal });
    return new LiveClient(res, abort);
  }

  private async pump(): Promise<void> {
    if (!this.res.body || !/event-stream/.test(this.res.headers.get('content-type') ?? '')) return;
    const reader = this.res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { at: Date.now() };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) e.comment = line.slice(1).trim();
            else {
              const [k, ...v] = line.split(': ');
              if (k === 'event' || k === 'id' || k === 'data') e[k] = v.join(': ');
            }
          }
          this.events.push(e);
          this.wake();
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake();
  }

  private wake() {
    for (const w of [...this.waiters]) w();
  }

  /** The first event (from the start) that `pred` accepts, waiting up to `timeoutMs`. */
  async next(pred: (e: SseEvent) => boolean, timeoutMs = 15_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (this.ended) throw new Error(`stream ended; events: ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** The reservation events' objects, in order. */
  reservations(): Array<{ reservationId: string; status: string; customerId: string; restaurantId: string }> {
    return this.events.filter((e) => e.event === 'reservation').map((e) => JSON.parse(e.data!));
  }

  async untilEnded(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!this.ended) throw new Error(`stream still open after ${timeoutMs} ms`);
  }

  close() {
    this.abort.abort();
  }
}

let sys: System;
let urls: string[];
let mongo: MongoClient;
let owner: User;
let dinerA: User;
let dinerB: User;
let restaurantId: string;
const clients: LiveClient[] = [];
const open = async (api: number, token?: string, query = '') => {
  const c = await LiveClient.open(`${urls[api]}/reservations/live${query}`, token);
  clients.push(c);
  return c;
};
/** Write-to-client latencies (ms), from the read model document's change time to the event's arrival. */
const latencies: Array<{ what: string; ms: number; sinceCall: number }> = [];

beforeAll(async () => {
  sys = await startSystem({ apis: 2, workers: 1, env: { API_LIVE_STREAMS_MAX: String(MAX) } });
  urls = sys.apis.map((a) => a.url);
  mongo = new MongoClient(sys.config.mongo.uri, { serverSelectionTimeoutMS: 5000 });
  await mongo.connect();
  [owner, dinerA, dinerB] = await Promise.all([signUp(urls[0]!, 'owner'), signUp(urls[0]!, 'diner-a'), signUp(urls[1]!, 'diner-b')]);
  restaurantId = await createRestaurant(urls[0]!, owner.token, { policy: { acceptance: 'manual' } });
  await waitBookable(urls[0]!, restaurantId);
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  if (latencies.length) console.log(`write → client latencies (ms): ${latencies.map((l) => `${l.what} ${l.ms} (call start → event ${l.sinceCall})`).join('; ')}`);
  await mongo?.close();
  await sys?.stop();
}, 60_000);

/**
 * Waits for `client` to get reservation `id` in `status`; checks it arrived within 5 s of the read model
 * write that made it (the document's change time, read back: the same machine's clock). The figures are
 * logged: usually well under a second (a poll every 0.5 s), but parallel jest workers on a shared 2-core
 * machine can stall a process for seconds, so the bound only catches a stream that is stuck.
 */
async function seen(client: LiveClient, id: string, status: string, what: string, calledAt: number) {
  const e = await client.next((x) => x.event === 'reservation' && JSON.parse(x.data!).reservationId === id && JSON.parse(x.data!).status === status);
  const doc = await mongo.db(serviceDbName(sys.config, 'reservation')).collection<{ _id: string; history: unknown[]; changedAt: Date }>('reservations').findOne({ _id: id });
  const body = JSON.parse(e.data!) as { history: unknown[] };
  // the document still holds that state (nothing newer written meanwhile): its change time is that write's
  expect(doc?.history).toHaveLength(body.history.length);
  const ms = e.at - doc!.changedAt.getTime();
  latencies.push({ what, ms, sinceCall: e.at - calledAt });
  expect(ms).toBeLessThan(5000);
  expect(e.id).toMatch(/\S/);
  return body;
}

test('framing: text/event-stream, no-cache, X-Accel-Buffering: no, ready first', async () => {
  const c = await open(0, owner.token, `?restaurantId=${restaurantId}`);
  expect(c.res.status).toBe(200);
  expect(c.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(c.res.headers.get('cache-control')).toBe('no-cache');
  expect(c.res.headers.get('x-accel-buffering')).toBe('no');
  const first = await c.next(() => true);
  expect(first).toMatchObject({ event: 'ready', data: '{}' });
});

test('a change caused through one process reaches clients of the other: requested, accepted, cancelled; each sees only its scope', async () => {
  const ownerLive = clients[0]!; // on api 0, the restaurant's
  const aLive = await open(0, dinerA.token);
  const bLive = await open(1, dinerB.token);
  await aLive.next((e) => e.event === 'ready');
  await bLive.next((e) => e.event === 'ready');

  let t = Date.now();
  const placed = await json(`${urls[1]}/reservations`, { body: { restaurantId, partySize: 2, start: `${localDate(TZ, 3)}T20:00` }, token: dinerA.token });
  expect([201, 202]).toContain(placed.status);
  const id = placed.body.reservationId as string;
  const pending = await seen(ownerLive, id, 'pending', 'requested → owner', t);
  expect(pending).toMatchObject({ reservationId: id, restaurantId, customerId: dinerA.userId, status: 'pending' });
  await seen(aLive, id, 'pending', 'requested → diner', t);
  // the same object GET /reservations/:id answers
  const got = await json(`${urls[0]}/reservations/${id}`, { token: dinerA.token });
  expect(got.status).toBe(200);
  expect(pending).toEqual(got.body);

  t = Date.now();
  expect((await json(`${urls[1]}/reservations/${id}/accept`, { method: 'POST', token: owner.token })).status).toBe(200);
  await seen(aLive, id, 'accepted', 'accepted → diner', t);
  await seen(ownerLive, id, 'accepted', 'accepted → owner', t);

  t = Date.now();
  expect((await json(`${urls[1]}/reservations/${id}/cancel`, { method: 'POST', token: dinerA.token })).status).toBe(200);
  await seen(aLive, id, 'cancelled', 'cancelled → diner', t);
  await seen(ownerLive, id, 'cancelled', 'cancelled → owner', t);

  // another diner's request: on their stream (the other process) and the owner's, never on diner A's
  t = Date.now();
  const other = await json(`${urls[0]}/reservations`, { body: { restaurantId, partySize: 2, start: `${localDate(TZ, 4)}T20:00` }, token: dinerB.token });
  expect([201, 202]).toContain(other.status);
  const otherId = other.body.reservationId as string;
  await seen(bLive, otherId, 'pending', 'requested → other diner', t);
  await seen(ownerLive, otherId, 'pending', 'requested → owner', t);
  expect((await json(`${urls[0]}/reservations/${otherId}/cancel`, { method: 'POST', token: dinerB.token })).status).toBe(200);
  await seen(bLive, otherId, 'cancelled', 'cancelled → other diner', Date.now());

  expect(aLive.reservations().every((r) => r.customerId === dinerA.userId)).toBe(true);
  expect(aLive.reservations().some((r) => r.reservationId === otherId)).toBe(false);
  expect(bLive.reservations().some((r) => r.reservationId === id)).toBe(false);
  expect(ownerLive.reservations().every((r) => r.restaurantId === restaurantId)).toBe(true);
  // nothing twice: each (reservation, status) once on each stream
  for (const c of [aLive, bLive, ownerLive]) {
    const keys = c.reservations().map((r) => `${r.reservationId}:${r.status}`);
    expect(new Set(keys).size).toBe(keys.length);
  }
});

test("a restaurant's stream is its owner's only; anonymous is 401", async () => {
  const forbidden = await json(`${urls[1]}/reservations/live?restaurantId=${restaurantId}`, { token: dinerB.token });
  expect(forbidden.status).toBe(403);
  expect(forbidden.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect((await json(`${urls[1]}/reservations/live?restaurantId=no-such-restaurant`, { token: owner.token })).status).toBe(404);
  const anonymous = await json(`${urls[1]}/reservations/live`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
});

test('beyond API_LIVE_STREAMS_MAX open streams a process answers 503 problem+json with Retry-After; a closed stream frees its place', async () => {
  // api 1 has diner B's stream open: fill it up
  const more: LiveClient[] = [];
  while (more.length < MAX - 1) more.push(await open(1, dinerB.token));
  for (const c of more) expect(c.res.status).toBe(200);
  const refused = await json(`${urls[1]}/reservations/live`, { token: dinerA.token });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  // the other process counts its own
  const elsewhere = await open(0, dinerA.token);
  expect(elsewhere.res.status).toBe(200);
  elsewhere.close();

  more.pop()!.close();
  let again: LiveClient | undefined;
  for (let i = 0; i < 50 && again?.res.status !== 200; i++) {
    again?.close();
    await new Promise((r) => setTimeout(r, 100));
    again = await open(1, dinerA.token);
  }
  expect(again!.res.status).toBe(200);
  await again!.next((e) => e.event === 'ready');
});

test('a ping comment every 15 s keeps the stream alive', async () => {
  const ownerLive = clients[0]!;
  const ping = await ownerLive.next((e) => e.comment === 'ping', 20_000);
  const ready = ownerLive.events[0]!;
  expect(ping.at - ready.at).toBeGreaterThanOrEqual(14_000);
}, 30_000);

test('SIGTERM: the process ends its streams and exits (graceful shutdown does not wait for them)', async () => {
  const api = sys.apis[1]!;
  const streams = clients.filter((c) => c.res.url.startsWith(urls[1]!) && c.res.status === 200 && !c.ended);
  expect(streams.length).toBeGreaterThan(0);
  const t0 = Date.now();
  api.process.kill('SIGTERM');
  const exited = await api.exited;
  for (const c of streams) await c.untilEnded(5000);
  expect(exited.code).toBe(0);
  console.log(`api-1 exited ${Date.now() - t0} ms after SIGTERM with ${streams.length} streams open`);
  // the other process's streams go on
  expect(clients[0]!.ended).toBe(false);
});
