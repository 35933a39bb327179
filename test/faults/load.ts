/**
 * Steady booking load for the fault suite: a few concurrent diners doing whole lifecycles that END, plus an
 * owner editing restaurants now and then (catalog events), spread over every API process.
 *
 * Its client (client.ts) behaves like a real one: on a network error, a timeout or any 5xx it retries the
 * SAME request (same body, same Idempotency-Key) on the next API process, with backoff, until a bounded
 * deadline; the load never invents a new booking for a failed one. Every reservation id the system acknowledged (any 2xx with
 * a reservationId) is recorded with what the client was finally told, so the checks can hold the system to
 * it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { sleep } from '../polling';
import { localDate, type User } from '../system';
import { jitter, RetryingClient, type Answer, type Stats } from './client';

export type { Stats };

export type Kind = 'auto-cancel' | 'manual-accept-cancel' | 'manual-reject' | 'manual-cancel-pending' | 'manual-expire';
export type FinalStatus = 'cancelled' | 'rejected' | 'expired' | 'completed';

export interface Lifecycle {
  seq: number;
  kind: Kind;
  restaurantId: string;
  customerId: string;
  idempotencyKey: string;
  reservationId?: string;
  /** What the client was last told the reservation is (from the API's answers). */
  toldStatus?: string;
  /** The final status the client's last successful step implies. */
  expectedFinal?: FinalStatus | 'not-placed';
  /** Steps as the client saw them, for failure messages. */
  steps: string[];
  done: boolean;
  /** Set when the client gave up (deadline) or got an answer that makes no sense for the lifecycle. */
  error?: string;
  startedAt: number;
  endedAt?: number;
}

export interface Restaurants {
  auto: string;
  manual: string;
  /** Manual with a 1-minute decision deadline: requests left alone expire. */
  expiring: string;
}

export interface LoadOptions {
  apis: () => string[];
  owner: User;
  customers: User[];
  restaurants: Restaurants;
  timezone: string;
  /** Concurrent diners (default 3). */
  concurrency?: number;
  /** Per request (default 30 s); an abort counts as a failure to retry. */
  requestTimeoutMs?: number;
  /** How long one call keeps retrying (or a 202 is followed) before the lifecycle is declared stuck (default 240 s). */
  callDeadlineMs?: number;
  /** Pause between a diner's steps (default 300 ms, jittered). */
  thinkMs?: number;
  /** A catalog edit every so often (default 5 s). */
  editEveryMs?: number;
  /** Requests slower than this are listed in `stats.slow` (default 10 s). */
  slowMs?: number;
  log?: (msg: string) => void;
}

export class Load {
  readonly lifecycles: Lifecycle[] = [];
  readonly stats: Stats = { requests: 0, byStatus: {}, retries: 0, slowest: { ms: 0, what: '' }, slow: [], timeouts: [], catalogEdits: 0, catalogEditFailures: [] };
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;
  private allowExpiring = true;
  private readonly o: Required<Omit<LoadOptions, 'log'>> & { log: (m: string) => void };
  private readonly run = randomBytes(3).toString('hex');
  private readonly client: RetryingClient;

  constructor(opts: LoadOptions) {
    this.o = {
      concurrency: 3,
      requestTimeoutMs: 30_000,
      callDeadlineMs: 240_000,
      thinkMs: 300,
      editEveryMs: 5_000,
      slowMs: 10_000,
      log: () => undefined,
      ...opts,
    };
    this.client = new RetryingClient(this.o, this.stats);
  }

  /** One logical request through the retrying client (RetryingClient.call). */
  call(method: string, pathname: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    return this.client.call(method, pathname, opts);
  }

  /** Lifecycles that finished their last step (whatever the outcome). */
  finishedCount(): number {
    return this.lifecycles.filter((l) => l.done).length;
  }

  /** Requests driving a workflow that are waiting for their answer right now. */
  writesInFlight(): number {
    return this.client.writesInFlight();
  }

  /** Lifecycles started after `since` (ms epoch). */
  startedSince(since: number): number {
    return this.lifecycles.filter((l) => l.startedAt > since).length;
  }

  /** Stops starting `manual-expire` lifecycles (their 1-minute deadline would stretch the drain). */
  stopExpiring(): void {
    this.allowExpiring = false;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.o.concurrency; i++) this.loops.push(this.diner(i));
    this.loops.push(this.editor());
  }

  /** Lets every lifecycle in progress finish its steps (bounded by the call deadline), starts no new one. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  // ---- diners ----------------------------------------------------------------------------------------

  private pickKind(): Kind {
    const kinds: Kind[] = ['auto-cancel', 'auto-cancel', 'manual-accept-cancel', 'manual-reject', 'manual-cancel-pending'];
    if (this.allowExpiring) kinds.push('manual-expire');
    return kinds[Math.floor(Math.random() * kinds.length)]!;
  }

  /** A start far enough ahead that nothing completes during the run, on the 15-minute grid, never in the 02:xx DST hour. */
  private pickStart(): string {
    const day = 2 + Math.floor(Math.random() * 300);
    const hours = [...Array(22).keys()].filter((h) => h !== 2);
    const hh = hours[Math.floor(Math.random() * hours.length)]!;
    const mm = [0, 15, 30, 45][Math.floor(Math.random() * 4)]!;
    return `${localDate(this.o.timezone, day)}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
  }

  private async diner(i: number): Promise<void> {
    while (this.running) {
      const customer = this.o.customers[(this.seq + i) % this.o.customers.length]!;
      const lc: Lifecycle = {
        seq: ++this.seq,
        kind: this.pickKind(),
        restaurantId: '',
        customerId: customer.userId,
        idempotencyKey: `faults-${this.run}-${this.seq}`,
        steps: [],
        done: false,
        startedAt: Date.now(),
      };
      lc.restaurantId = lc.kind === 'auto-cancel' ? this.o.restaurants.auto : lc.kind === 'manual-expire' ? this.o.restaurants.expiring : this.o.restaurants.manual;
      this.lifecycles.push(lc);
      try {
        await this.lifecycle(lc, customer);
      } catch (err) {
        lc.error = err instanceof Error ? err.message : String(err);
        lc.steps.push(`ERROR ${lc.error}`);
        this.o.log(`lifecycle ${lc.seq} (${lc.kind}, ${lc.reservationId ?? 'no id'}): ${lc.error}`);
      }
      lc.done = true;
      lc.endedAt = Date.now();
      await sleep(jitter(this.o.thinkMs));
    }
  }

  private async lifecycle(lc: Lifecycle, customer: User): Promise<void> {
    const owner = this.o.owner;
    // book: a refusal (409) is a normal answer; pick another start, a few times
    for (let attempt = 1; ; attempt++) {
      const body = { restaurantId: lc.restaurantId, partySize: 2, start: this.pickStart(), name: `diner ${lc.seq}` };
      const key = attempt === 1 ? lc.idempotencyKey : `${lc.idempotencyKey}-${attempt}`;
      let res = await this.call('POST', '/reservations', { token: customer.token, body, headers: { 'idempotency-key': key } });
      lc.steps.push(`POST /reservations → ${res.status} ${res.body?.status ?? res.body?.code ?? ''}`);
      if (res.status === 202 && typeof res.body?.reservationId === 'string') {
        // accepted but not placed yet: the same request again answers once it is placed (or refused)
        lc.reservationId = res.body.reservationId as string;
        lc.idempotencyKey = key;
        const deadline = Date.now() + this.o.callDeadlineMs;
        while (res.status === 202 && Date.now() < deadline) {
          await sleep(500);
          res = await this.call('POST', '/reservations', { token: customer.token, body, headers: { 'idempotency-key': key } });
        }
        lc.steps.push(`POST /reservations (same key, after 202) → ${res.status} ${res.body?.status ?? res.body?.code ?? ''}`);
      }
      if (res.status === 200 || res.status === 201) {
        lc.reservationId = res.body.reservationId as string;
        lc.idempotencyKey = key;
        lc.toldStatus = res.body.status as string;
        break;
      }
      // the slot is taken, or this diner already holds the day's limit of reservations: both normal answers
      if (res.status === 409 && (res.body?.code === 'NO_TABLE' || res.body?.code === 'TOO_MANY_ACTIVE_RESERVATIONS')) {
        if (lc.reservationId) {
          // it was acknowledged (202) and then not placed: that is its end
          lc.expectedFinal = 'not-placed';
          return;
        }
        if (attempt < 5) continue;
      }
      throw new Error(`booking refused: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    const want = lc.kind === 'auto-cancel' ? 'accepted' : 'pending';
    if (lc.toldStatus !== want) throw new Error(`booking answered status ${lc.toldStatus}, expected ${want}`);
    await sleep(jitter(this.o.thinkMs));

    switch (lc.kind) {
      case 'auto-cancel':
        await this.decide(lc, 'cancel', customer.token, 'cancelled');
        break;
      case 'manual-accept-cancel':
        await this.decide(lc, 'accept', owner.token, 'accepted');
        await sleep(jitter(this.o.thinkMs));
        await this.decide(lc, 'cancel', lc.seq % 2 ? owner.token : customer.token, 'cancelled');
        break;
      case 'manual-reject':
        await this.decide(lc, 'reject', owner.token, 'rejected', { reason: 'fully booked' });
        break;
      case 'manual-cancel-pending':
        await this.decide(lc, 'cancel', customer.token, 'cancelled');
        break;
      case 'manual-expire':
        // left alone: the 1-minute decision deadline expires it
        lc.expectedFinal = 'expired';
        lc.steps.push('left pending to expire');
        return;
    }
  }

  /** A decision; a 409 after a retry is fine when the reservation already is where we wanted it. */
  private async decide(lc: Lifecycle, action: 'accept' | 'reject' | 'cancel', token: string, want: string, body: Record<string, string> = {}): Promise<void> {
    const id = lc.reservationId!;
    // a retried decision carries the same key, so the API joins it to the first instead of deciding twice
    const headers = { 'idempotency-key': `${lc.idempotencyKey}-${action}` };
    const res = await this.call('POST', `/reservations/${id}/${action}`, { token, body, headers });
    lc.steps.push(`${action} → ${res.status} ${res.body?.status ?? res.body?.code ?? ''}`);
    if (res.status === 200 && res.body?.status === want) {
      lc.toldStatus = want;
      if (want !== 'accepted') lc.expectedFinal = want as FinalStatus;
      return;
    }
    if (res.status === 202) {
      // taken but not done within the API's deadline: the outcome is to be read from the reservation
      const deadline = Date.now() + this.o.callDeadlineMs;
      let seen = '';
      while (Date.now() < deadline) {
        await sleep(500);
        const got = await this.call('GET', `/reservations/${id}`, { token });
        seen = `${got.status} ${got.body?.status ?? got.body?.code ?? ''}`;
        if (got.status === 200 && got.body?.status === want) {
          lc.steps.push(`GET (after 202) → ${seen}`);
          lc.toldStatus = want;
          if (want !== 'accepted') lc.expectedFinal = want as FinalStatus;
          return;
        }
        if (got.status === 200 && ['cancelled', 'rejected', 'expired', 'completed'].includes(got.body?.status as string)) break;
      }
      lc.steps.push(`GET (after 202) → ${seen}`);
      throw new Error(
        `LOST DECISION: ${action} of ${id} answered 202 ("being processed"), but the reservation still read ${seen} ${this.o.callDeadlineMs / 1000} s later (wanted ${want})`,
      );
    }
    if (res.status === 409) {
      const got = await this.call('GET', `/reservations/${id}`, { token });
      lc.steps.push(`GET → ${got.status} ${got.body?.status ?? ''}`);
      if (got.status === 200 && got.body?.status === want) {
        lc.toldStatus = want;
        if (want !== 'accepted') lc.expectedFinal = want as FinalStatus;
        return;
      }
    }
    throw new Error(`${action} of ${id}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)} (wanted ${want})`);
  }

  // ---- catalog edits -----------------------------------------------------------------------------------

  private async editor(): Promise<void> {
    const ids = Object.values(this.o.restaurants);
    let n = 0;
    while (this.running) {
      await sleep(jitter(this.o.editEveryMs));
      if (!this.running) break;
      const id = ids[n++ % ids.length]!;
      const body = n % 3 === 0 ? { description: `edited ${n} during the fault run` } : { name: `Faults ${n} ${randomBytes(3).toString('hex')}` };
      try {
        const res = await this.call('PATCH', `/restaurants/${id}`, { token: this.o.owner.token, body });
        if (res.status === 200) this.stats.catalogEdits++;
        else this.stats.catalogEditFailures.push(`PATCH ${id} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      } catch (err) {
        this.stats.catalogEditFailures.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
}
