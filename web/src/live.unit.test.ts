import { SIGNED_OUT_EVENT } from './api';
import { followReservations, POLL_MS, type LiveState } from './live';

/** What the browser gives the module: sessionStorage, window events, fetch (all faked here; timers by jest). */
const store = new Map<string, string>();
const signedOut = jest.fn();
const fetchCalls: Array<{ url: string; headers: Record<string, string> }> = [];
let replies: Array<() => Response> = [];

beforeAll(() => {
  Object.assign(globalThis, {
    sessionStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    },
    dispatchEvent: (e: Event) => {
      if (e.type === SIGNED_OUT_EVENT) signedOut();
      return true;
    },
  });
});

beforeEach(() => {
  // streams settle on microtasks and nextTick: only the clock is fake
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  jest.spyOn(Math, 'random').mockReturnValue(0);
  store.clear();
  store.set('rr.token', 'token-1');
  signedOut.mockClear();
  fetchCalls.length = 0;
  replies = [];
  globalThis.fetch = jest.fn(async (url: string | URL | Request, init?: RequestInit) => {
    fetchCalls.push({ url: String(url), headers: (init?.headers ?? {}) as Record<string, string> });
    const next = replies.shift();
    if (!next) throw new TypeError('no more replies scripted');
    return next();
  }) as typeof fetch;
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** An event stream the test writes to and may drop. */
function stream(): { reply: () => Response; send: (text: string) => void; drop: () => void } {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return {
    reply: () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    send: (text) => ctl.enqueue(new TextEncoder().encode(text)),
    drop: () => ctl.close(),
  };
}

const problem = (status: number) => () => new Response(JSON.stringify({ status, title: 'x' }), { status, headers: { 'content-type': 'application/problem+json' } });

function follow(restaurantId?: string) {
  const states: LiveState[] = [];
  const seen: string[] = [];
  const refresh = jest.fn(async () => undefined);
  const stop = followReservations({ ...(restaurantId ? { restaurantId } : {}), onReservation: (r) => seen.push(`${r.reservationId}:${r.status}`), refresh, onState: (s) => states.push(s) });
  return { states, seen, refresh, stop };
}

/** Lets pending promise chains (fetch, stream reads) run, moving the clock by `ms`. */
const settle = (ms = 0) => jest.advanceTimersByTimeAsync(ms);

describe('followReservations', () => {
  it('reads the stream with the token in the header: ready refreshes and goes live, reservation events arrive', async () => {
    const s = stream();
    replies.push(s.reply);
    const f = follow('rest-1');
    await settle();
    expect(fetchCalls).toEqual([{ url: '/reservations/live?restaurantId=rest-1', headers: { accept: 'text/event-stream', authorization: 'Bearer token-1' } }]);
    s.send('event: ready\ndata: {}\n\n');
    await settle();
    expect(f.states).toEqual(['connecting', 'live']);
    expect(f.refresh).toHaveBeenCalledTimes(1);
    s.send('event: reservation\nid: c1\ndata: {"reservationId":"r1","status":"accepted"}\n\n');
    await settle();
    expect(f.seen).toEqual(['r1:accepted']);
    f.stop();
  });

  it('polls every 2 s when the API has no live endpoint (404)', async () => {
    replies.push(problem(404));
    const f = follow();
    await settle();
    expect(f.states).toEqual(['connecting', 'polling']);
    expect(f.refresh).not.toHaveBeenCalled();
    await settle(POLL_MS);
    expect(f.refresh).toHaveBeenCalledTimes(1);
    await settle(POLL_MS);
    expect(f.refresh).toHaveBeenCalledTimes(2);
    expect(fetchCalls).toHaveLength(1);
    f.stop();
    await settle(5 * POLL_MS);
    expect(f.refresh).toHaveBeenCalledTimes(2);
  });

  it('signs the tab out on 401 (token forgotten, signed-out event) and never reconnects', async () => {
    replies.push(problem(401));
    const f = follow();
    await settle();
    expect(store.has('rr.token')).toBe(false);
    expect(signedOut).toHaveBeenCalledTimes(1);
    expect(f.states).toEqual(['connecting', 'signed-out']);
    await settle(120_000);
    expect(fetchCalls).toHaveLength(1);
    expect(f.refresh).not.toHaveBeenCalled();
  });

  it('reconnects a dropped stream with doubling backoff, reset once the server says ready again', async () => {
    const first = stream();
    const third = stream();
    replies.push(first.reply, problem(503), third.reply);
    const f = follow();
    await settle();
    first.send('event: ready\ndata: {}\n\n');
    await settle();
    first.drop();
    await settle();
    expect(f.states).toEqual(['connecting', 'live', 'offline']);
    // attempt 0: 1 s (Math.random is 0: no jitter)
    await settle(999);
    expect(fetchCalls).toHaveLength(1);
    await settle(1);
    expect(fetchCalls).toHaveLength(2);
    // the 503 is retried after 2 s, not 1 s
    await settle(1999);
    expect(fetchCalls).toHaveLength(2);
    await settle(1);
    expect(fetchCalls).toHaveLength(3);
    third.send('event: ready\ndata: {}\n\n');
    await settle();
    expect(f.states).toEqual(['connecting', 'live', 'offline', 'connecting', 'offline', 'connecting', 'live']);
    // each ready re-reads the list, so nothing missed while away is lost
    expect(f.refresh).toHaveBeenCalledTimes(2);
    expect(signedOut).not.toHaveBeenCalled();
    // after a ready the backoff starts over at 1 s
    const fourth = stream();
    replies.push(fourth.reply);
    third.drop();
    await settle(1000);
    expect(fetchCalls).toHaveLength(4);
    f.stop();
  });
});
