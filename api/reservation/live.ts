/**
 * GET /reservations/live: changes of reservations as Server-Sent Events, so a diner's status and an owner's
 * book update without a reload.
 *
 * Where changes come from: the reservation read model, never an in-process bus, so every API process sees
 * every change whichever process caused it. Each process runs ONE poller (`ChangePoller`), started with its
 * first stream and stopped with its last, that reads the documents written since its cursor by their change
 * time (`changedAt`, stamped by the projection's fold on every write, live or rebuild; index `by_change`)
 * and hands each new state to the streams whose scope holds it (`LiveHub`).
 *
 * The cursor (`ChangeCursor`): a document's `changedAt` is the writer's clock a little before its write
 * lands, so a document may appear with a time just before others already read (a slower write, another
 * writer's clock). Each read therefore starts `overlapMs` back from the poller's clock (never later than
 * the latest change read) and skips the (id, version) states it has already handed out. States older than
 * the read's start are forgotten: memory is what the window holds.
 *
 * A stream: `event: ready` `data: {}` first, once the poller's cursor is set (a client that connects, waits
 * for ready and then reads its lists misses nothing); then `event: reservation`, `id: <opaque>`, `data:` the
 * object GET /reservations/:id returns (serialized by the same schema); `: ping` every 15 s (proxies and load
 * balancers close idle connections). It ends when its access token expires (at most after an hour), when
 * the client reads too slowly, and when the app closes; clients reconnect (with a fresh token) and re-read
 * their lists.
 *
 * Scope: without restaurantId the caller's own reservations (as the diner); with it, that restaurant's,
 * for its owner only (the same check the owner's list makes: 404 unknown, 403 not theirs).
 */
import { PassThrough } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { requireCaller, bearerSecurity } from '../context';
import { unavailable, RETRY_AFTER_SECONDS } from '../problem';
import type { ReservationChange, ReservationQueries, ReservationView } from '../../projections/reservations';
import type { RouteContext } from './context';
import { errors, reservationSchema } from './schemas';

export const LIVE_DEFAULTS = {
  /** How often the poller reads the read model: a change reaches the streams within this (plus the read). */
  pollMs: 500,
  /** How far back each read starts (writers' clock skew and write latency): see ChangeCursor. */
  overlapMs: 5000,
  /** Documents per read, and reads per poll (a burst beyond waits for the next poll). */
  pageSize: 200,
  maxPages: 10,
  heartbeatMs: 15_000,
  /** Longest life of a stream (a token without `exp`); the token's expiry ends it sooner. */
  maxStreamMs: 60 * 60_000,
  /** A client this far behind (bytes buffered for it) is cut off: it reconnects and re-reads. */
  maxBufferBytes: 1 << 20,
} as const;

export type LiveOptions = { [K in keyof typeof LIVE_DEFAULTS]: number };

/** A state of a document as the poller hands it out: `${id}@${version}`. */
const stateKey = (c: ReservationChange) => `${c.view.reservationId}@${c.version}`;

/**
 * Which documents a read must return and which it has returned before. Pure: the poller feeds it the
 * clock and what it read.
 */
export class ChangeCursor {
  /** The latest (changedAt, id) read. */
  private last: { at: number; id: string } | undefined;
  /** States handed out whose change time is still inside the window, with that time. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly overlapMs: number) {}

  /** Starts after `at` (the latest change before the first stream: older ones are not news). */
  static from(at: Date | undefined, overlapMs: number): ChangeCursor {
    const c = new ChangeCursor(overlapMs);
    if (at) c.last = { at: at.getTime(), id: '' };
    return c;
  }

  /**
   * Where the next read starts: `overlapMs` before now (a document stamped earlier has been written by now),
   * or the latest change read when that is earlier (the poller is behind and pages forward). Never moves
   * back: both terms only grow. Epoch before any change is known.
   */
  start(nowMs: number): Date {
    return new Date(this.last ? Math.min(this.last.at, nowMs - this.overlapMs) : 0);
  }

  /** Where the read after `page` (a full one) goes on: after its last document. */
  static after(page: readonly ReservationChange[]): { at: Date; id: string } | undefined {
    const l = page.at(-1);
    return l ? { at: l.changedAt, id: l.view.reservationId } : undefined;
  }

  /**
   * The states in `read` (documents from `start` on, in (changedAt, id) order) not handed out before;
   * remembers them and forgets those older than `start`, which no later read returns.
   */
  accept(read: readonly ReservationChange[], start: Date): ReservationChange[] {
    for (const [k, at] of this.seen) if (at < start.getTime()) this.seen.delete(k);
    const fresh: ReservationChange[] = [];
    for (const c of read) {
      const at = c.changedAt.getTime();
      if (!this.last || at > this.last.at || (at === this.last.at && c.view.reservationId > this.last.id)) this.last = { at, id: c.view.reservationId };
      const k = stateKey(c);
      if (this.seen.has(k)) continue;
      this.seen.set(k, at);
      fresh.push(c);
    }
    return fresh;
  }

  /** The latest (changedAt, id) read. */
  get latest(): { at: number; id: string } | undefined {
    return this.last && { ...this.last };
  }

  /** States remembered (for tests: bounded by the window). */
  get remembered(): number {
    return this.seen.size;
  }
}

type Feed = Pick<ReservationQueries, 'changes' | 'lastChange'>;

/** Most pages a poll reads, in maxPages: a guard for a window that would hold more than a burst. */
const WINDOW_PAGES = 10;

/** One process's reader of the read model: every `pollMs`, the changes since its cursor, to `onChanges`. */
export class ChangePoller {
  private cursor: ChangeCursor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly feed: Feed,
    private readonly opts: Pick<LiveOptions, 'pollMs' | 'overlapMs' | 'pageSize' | 'maxPages'> & {
      onChanges: (changes: ReservationChange[]) => void;
      log?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
      now?: () => number;
    },
  ) {}

  /** Sets the cursor at the latest change and takes in what the window holds (not news), then polls. */
  async start(): Promise<void> {
    const cursor = ChangeCursor.from(await this.feed.lastChange(), this.opts.overlapMs);
    await this.read(cursor);
    this.cursor = cursor;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One poll: the new states, also handed to onChanges. */
  async poll(): Promise<ReservationChange[]> {
    if (!this.cursor) throw new Error('ChangePoller.poll before start');
    const fresh = await this.read(this.cursor);
    // a poll still reading when the poller stopped hands out nothing: a poller started since serves the
    // streams now, and these states may predate their ready or be handed out by it again
    if (fresh.length > 0 && !this.stopped) this.opts.onChanges(fresh);
    return fresh;
  }

  /**
   * Pages from the cursor's start: through the window already read (for late writes; what overlapMs of
   * writes holds, at most WINDOW_PAGES pages), then at most maxPages pages of news. A burst beyond goes on
   * at the next poll from where this one stopped: the window's pages do not count, so a poll always moves on.
   */
  private async read(cursor: ChangeCursor): Promise<ReservationChange[]> {
    const start = cursor.start((this.opts.now ?? Date.now)());
    const known = cursor.latest;
    const fresh: ReservationChange[] = [];
    let after: { at: Date; id: string } | undefined;
    for (let pages = 0, news = 0; pages < this.opts.maxPages * WINDOW_PAGES; pages++) {
      const page = await this.feed.changes(start, this.opts.pageSize, after);
      fresh.push(...cursor.accept(page, start));
      if (page.length < this.opts.pageSize) break;
      after = ChangeCursor.after(page)!;
      if (!known || after.at.getTime() > known.at || (after.at.getTime() === known.at && after.id > known.id)) news++;
      if (news >= this.opts.maxPages) break;
    }
    return fresh;
  }

  /**
   * The next poll after `pollMs`, or after as long as the last one took when that is longer: FerretDB (the
   * local MongoDB) cannot use the index and reads the whole collection (measured 0.2-0.35 s at 1,000
   * documents, 0.6-1.4 s at 5,000, on a busy machine), so a large read model is polled less often rather
   * than kept busy; MongoDB answers from the index.
   */
  private schedule(lastMs = 0): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const t0 = performance.now();
      this.poll().then(
        () => {
          if (this.failing) this.opts.log?.info('live updates: the read model answers again');
          this.failing = false;
        },
        (err: unknown) => {
          // once per outage: the streams stay open and the next poll tries again
          if (!this.failing) this.opts.log?.warn({ err }, 'live updates: reading the reservation read model failed; retrying');
          this.failing = true;
        },
      ).finally(() => this.schedule(performance.now() - t0));
    }, Math.max(this.opts.pollMs, lastMs));
    this.timer.unref();
  }
}

/** One open stream: which reservations it follows, and how a change is written to it. */
export interface LiveSubscriber {
  follows(r: ReservationView): boolean;
  send(change: ReservationChange): void;
  /** Ends the stream (the app closes). */
  end(): void;
}

/**
 * The process's streams and its one poller: started with the first subscriber, stopped with the last and
 * when the app closes. `reserve` counts a stream from its first moment, so the limit holds while its
 * checks run.
 */
export class LiveHub {
  private readonly subscribers = new Set<LiveSubscriber>();
  private poller: ChangePoller | undefined;
  private starting: Promise<void> | undefined;
  private reserved = 0;
  private closed = false;

  constructor(
    private readonly feed: Feed,
    private readonly opts: Pick<LiveOptions, 'pollMs' | 'overlapMs' | 'pageSize' | 'maxPages'> & { max: number; log?: Pick<FastifyBaseLogger, 'warn' | 'info'> },
  ) {}

  /** Streams open or opening. */
  get open(): number {
    return this.reserved;
  }

  /** A place for one more stream, or false at the limit (or closing). Call the returned release once. */
  reserve(): (() => void) | false {
    if (this.closed || this.reserved >= this.opts.max) return false;
    this.reserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved--;
    };
  }

  /** Adds a subscriber once the poller's cursor is set; returns its removal. */
  async subscribe(sub: LiveSubscriber): Promise<() => void> {
    if (this.closed) throw unavailable('The server is shutting down.');
    await this.ensurePolling();
    if (this.closed) throw unavailable('The server is shutting down.');
    this.subscribers.add(sub);
    return () => {
      if (!this.subscribers.delete(sub)) return;
      if (this.subscribers.size === 0 && !this.starting) this.stopPolling();
    };
  }

  /** Ends every stream and stops the poller (the app closes). */
  close(): void {
    this.closed = true;
    for (const s of [...this.subscribers]) s.end();
    this.subscribers.clear();
    this.stopPolling();
  }

  private async ensurePolling(): Promise<void> {
    if (this.poller) return;
    this.starting ??= (async () => {
      // only the current poller reaches the streams (a stopped one may still have a read in flight)
      const poller: ChangePoller = new ChangePoller(this.feed, { ...this.opts, onChanges: (c) => {
          if (this.poller === poller) this.dispatch(c);
        },
      });
      try {
        await poller.start();
        if (this.closed) poller.stop();
        else this.poller = poller;
      } finally {
        this.starting = undefined;
      }
    })();
    await this.starting;
  }

  private stopPolling(): void {
    this.poller?.stop();
    this.poller = undefined;
  }

  private dispatch(changes: ReservationChange[]): void {
    for (const c of changes) for (const s of this.subscribers) if (s.follows(c.view)) s.send(c);
  }
}

/** The access token's expiry (ms since epoch), read from its payload (the auth plugin has verified it). */
export function tokenExpiry(authorization: string | undefined): number | undefined {
  const payload = authorization?.split(' ').at(-1)?.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** An event as the stream carries it; `data` is one line (JSON has no raw newline). */
export const sseEvent = (event: string, data: string, id?: string): string => `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${data}\n\n`;

export const liveQuery = {
  type: 'object',
  properties: {
    restaurantId: { type: 'string', minLength: 1, maxLength: 100, description: "Follow this restaurant's reservations (its owner only); without it, the caller's own" },
  },
  additionalProperties: false,
} as const;

/** One event of the stream, as OpenAPI 3.0 describes an event-stream item. */
const liveEventSchema = {
  type: 'object',
  properties: {
    event: { type: 'string', enum: ['ready', 'reservation'] },
    id: { type: 'string', description: 'reservation events: an opaque position' },
    data: { type: 'string', description: 'ready: `{}`; reservation: JSON, the object GET /reservations/{id} returns' },
  },
  required: ['event', 'data'],
} as const;

export function liveRoute(ctx: RouteContext, opts: Partial<LiveOptions> & { max: number }) {
  const o: LiveOptions & { max: number } = { ...LIVE_DEFAULTS, ...opts };

  return (app: FastifyInstance) => {
    const hub = new LiveHub(ctx.deps.queries, { ...o, log: app.log });
    // streams hold their connections open: end them before the server waits for its requests to finish
    app.addHook('preClose', async () => hub.close());
    app.addHook('onClose', async () => hub.close());

    app.get<{ Querystring: { restaurantId?: string } }>(
      '/reservations/live',
      {
        schema: {
          summary: "Reservation changes as Server-Sent Events: the caller's own, or a restaurant's for its owner",
          tags: ['reservations'],
          security: bearerSecurity,
          querystring: liveQuery,
          response: {
            200: { description: 'An event stream', content: { 'text/event-stream': { schema: liveEventSchema } } },
            ...errors(401, 403, 404, 503),
          },
        },
        // The server's handler timeout (a 503 for a handler that hangs) would cut every stream at 12 s: a
        // stream is answered at once and ends on its own (token expiry, at most maxStreamMs), so this route's
        // backstop is just above that.
        handlerTimeout: o.maxStreamMs + 60_000,
      },
      async (request, reply) => {
        const caller = requireCaller(request);
        const release = hub.reserve();
        if (!release) throw unavailable(`This server has ${o.max} live streams open, its most: retry, or poll the lists.`, RETRY_AFTER_SECONDS);
        const stream = new PassThrough();
        let unsubscribe: (() => void) | undefined;
        let done = false;
        const timers: NodeJS.Timeout[] = [];
        const finish = () => {
          done = true;
          for (const t of timers) clearTimeout(t);
          unsubscribe?.();
          release();
          if (!stream.writableEnded) stream.end();
        };
        // the client went away (also while the checks below run), or the stream ended (a HEAD request ends at once)
        reply.raw.once('close', finish);
        try {
          const { restaurantId } = request.query;
          if (restaurantId !== undefined) await ctx.ownedRestaurant(caller, restaurantId, "Only the restaurant's owner may follow its reservations.");
          const serialize = reply.compileSerializationSchema(reservationSchema);
          const write = (chunk: string) => {
            if (stream.writableEnded) return;
            if (stream.writableLength > o.maxBufferBytes) return finish();
            stream.write(chunk);
          };
          unsubscribe = await hub.subscribe({
            follows: restaurantId !== undefined ? (r) => r.restaurantId === restaurantId : (r) => r.customerId === caller.userId,
            send: (c) => write(sseEvent('reservation', serialize({ ...c.view }), `${c.changedAt.getTime().toString(36)}.${c.version}.${c.view.reservationId}`)),
            end: finish,
          });
          if (done) finish();
          else {
            write(sseEvent('ready', '{}'));
            timers.push(setInterval(() => write(': ping\n\n'), o.heartbeatMs));
            const expiry = tokenExpiry(request.headers.authorization);
            timers.push(setTimeout(finish, Math.max(0, Math.min(o.maxStreamMs, expiry !== undefined ? expiry - Date.now() : o.maxStreamMs))));
          }
        } catch (err) {
          finish();
          throw err;
        }
        return reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('x-accel-buffering', 'no')
          .send(stream);
      },
    );
  };
}
