/**
 * One workflow per restaurant and opening day (id `waitlist-<restaurantId>-<openingDate>`): the day's
 * waitlist (issue 14). It only orchestrates, one step at a time: joins, acceptances and withdrawals come
 * in as updates, freed tables as signals from the reservation workflows, and its timer wakes it when an
 * offer lapses or an entry's window passes. Every change is an event on the day's waitlist stream,
 * decided by the waitlist decider (domain/reservation/waitlist.ts) in an activity (activities/waitlist.ts),
 * which also holds and releases the offered tables on the ledger.
 *
 *   join ─▶ waiting ─(table freed, fits)─▶ offered ─(accept)─▶ booked (its reservation workflow starts)
 *              ▲                              │ (offer lapses / withdrawn: the table passes to the next)
 *              └──────────────────────────────┘
 *
 * The run ends once every entry is final and nothing has happened for a while; a later join starts a new
 * run, which reads the stream. Long days continue as new when Temporal suggests it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { refuse } from './refusals';
import { acceptRefusal, dinerRefusal, MAX_FLEX_MINUTES, nextDueAt, queueOf, waitingCount } from '../domain/reservation/waitlist';
import {
  acceptOfferUpdate,
  joinUpdate,
  tableFreedSignal,
  waitlistQuery,
  withdrawUpdate,
  WAITLIST_SA,
  type TableFreedSignal,
  type WaitlistActivities,
  type WaitlistState,
  type WaitlistWorkflowInput,
} from './waitlist-messages';

const activities = proxyActivities<WaitlistActivities>({
  startToCloseTimeout: '30 seconds',
  // no attempt cap (as the reservation's steps): an outage of the store is waited out; a rule's refusal is
  // non-retryable and answers at once
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** A run whose entries are all final ends after this long without anything happening. */
const IDLE_MS = 15 * 60_000;
/** A step that found nothing due (clocks a little apart) waits at least this long before the next try. */
const RETRY_DUE_MS = 1000;
/** After a settling step failed for good, the next try comes this much later. */
const SETTLE_RETRY_MS = 60_000;

const invalid = (message: string): ApplicationFailure => ApplicationFailure.create({ type: 'VALIDATION', message, nonRetryable: true });

/** An activity's refusal as the update's own failure (the API maps its type, the domain code). */
async function answer<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
    throw err;
  }
}

export async function waitlistWorkflow(input: WaitlistWorkflowInput): Promise<WaitlistState> {
  let state: WaitlistState = { entries: {}, queue: [], offeredTables: {} };
  let loaded = false;
  let changes = 0;
  const freed: TableFreedSignal[] = [...(input.pending ?? [])];
  // one step at a time: updates, freed tables and timers never interleave on the stream
  const lock = new Mutex();

  const show = () => {
    const entries = queueOf(state);
    const offered = entries.filter((e) => e.status === 'offered');
    upsertSearchAttributes([{ key: WAITLIST_SA.waiting, value: waitingCount(state) }]);
    setCurrentDetails(
      [
        `**Waitlist ${input.openingDate}**: ${waitingCount(state)} waiting, ${offered.length} offered, ${entries.filter((e) => e.status === 'booked').length} booked`,
        ...offered.map((e) => `- table ${e.offer!.tableId} offered to a party of ${e.partySize} for ${e.offer!.start}, until ${e.offer!.expiresAt}`),
      ].join('\n'),
    );
  };
  /** The day and the instant of this step (the activities decide as of it: a retry decides the same). */
  const day = () => ({ ...input, at: new Date().toISOString() });
  const step = <T>(run: () => Promise<T>): Promise<T> =>
    lock.runExclusive(async () => {
      const result = await run();
      changes++;
      show();
      return result;
    });

  /** A freed table is taken in turn once no live offer holds it (never two offers for one table). */
  const ready = (signal: TableFreedSignal) => state.offeredTables[signal.tableId] === undefined;
  /**
   * Offers the freed tables that are ready, one activity each, in the order they came. A step that fails
   * for good (a rule refused it: the restaurant is gone, say) is dropped with an alert: the day's other
   * entries go on.
   */
  const offerFreed = async () => {
    for (let i = freed.findIndex(ready); i >= 0; i = freed.findIndex(ready)) {
      const [signal] = freed.splice(i, 1);
      try {
        state = await activities.offerFreedTable({ ...day(), freed: signal! });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('ALERT: a freed table could not be offered; dropped', { workflowId: workflowInfo().workflowId, tableId: signal!.tableId, error: String(err.cause ?? err) });
      }
    }
  };

  setHandler(waitlistQuery, () => state);
  setHandler(tableFreedSignal, (signal) => {
    freed.push(signal);
  });

  setHandler(
    joinUpdate,
    (entry) =>
      step(() =>
        answer(async () => {
          // a table freed before this join is offered first: a joiner never sees it free (SLOT_AVAILABLE)
          // only for it to go to someone already waiting
          // (only when there is one: an await with nothing to do would reorder this activation's commands)
          if (freed.some(ready)) await offerFreed();
          const r = await activities.joinWaitlist({ ...day(), entry });
          state = r.state;
          return { entryId: entry.entryId, status: 'waiting' as const, position: r.position, created: r.created };
        }),
      ),
    {
      validator: (entry) => {
        if (!Number.isInteger(entry.partySize) || entry.partySize < 1) throw invalid('partySize must be a whole number of at least 1.');
        if (!Number.isInteger(entry.flexMinutes) || entry.flexMinutes < 0 || entry.flexMinutes > MAX_FLEX_MINUTES) {
          throw invalid(`flexMinutes must be a whole number from 0 to ${MAX_FLEX_MINUTES}.`);
        }
      },
    },
  );

  setHandler(
    acceptOfferUpdate,
    ({ entryId, customerId }) =>
      step(() =>
        answer(async () => {
          const accepted = await activities.acceptOffer({ ...day(), entryId, customerId });
          state = accepted.state;
          const booked = await activities.bookOffer({ ...input, entryId, reservationId: accepted.reservationId, start: accepted.start });
          return { entryId, reservationId: accepted.reservationId, status: booked.status };
        }),
      ),
    {
      // asked again by the decider once the step runs; refused here early so a late accept never waits in line
      validator: ({ entryId, customerId }) => {
        const entry = state.entries[entryId];
        if (!loaded || !entry) return; // not loaded yet, or unknown here: the activity answers
        refuse(dinerRefusal(entry, customerId));
        if (entry.status !== 'booked') refuse(acceptRefusal(entry, new Date()));
      },
    },
  );

  setHandler(
    withdrawUpdate,
    ({ entryId, customerId }) =>
      step(() =>
        answer(async () => {
          state = await activities.withdrawEntry({ ...day(), entryId, customerId });
          return { entryId, status: 'withdrawn' as const };
        }),
      ),
    {
      validator: ({ entryId, customerId }) => {
        const entry = state.entries[entryId];
        if (loaded && entry) refuse(dinerRefusal(entry, customerId));
      },
    },
  );

  upsertSearchAttributes([
    { key: WAITLIST_SA.restaurantId, value: input.restaurantId },
    { key: WAITLIST_SA.date, value: input.openingDate },
  ]);
  await step(async () => {
    state = await activities.loadWaitlist(day());
    loaded = true;
  });

  const allFinal = () => nextDueAt(state) === undefined;
  let lastSettleChanged = true;
  for (;;) {
    const due = nextDueAt(state);
    const seen = changes;
    const wait = due !== undefined ? Math.max(due - Date.now(), lastSettleChanged ? 1 : RETRY_DUE_MS) : IDLE_MS;
    const woke = await condition(() => freed.some(ready) || changes !== seen || workflowInfo().continueAsNewSuggested, wait);

    if (freed.some(ready)) {
      await step(offerFreed);
      continue;
    }
    if (!woke && due !== undefined) {
      const seenState = JSON.stringify(state);
      let failed = false;
      await step(async () => {
        try {
          state = await activities.settleDue(day());
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          failed = true;
          log.error('ALERT: lapsed offers and expired entries could not be settled; retrying in a minute', { workflowId: workflowInfo().workflowId, error: String(err.cause ?? err) });
        }
      });
      if (failed) await sleep(SETTLE_RETRY_MS);
      lastSettleChanged = JSON.stringify(state) !== seenState;
      continue;
    }
    if (!woke && allFinal()) {
      // nothing waiting and nothing happened for a while: end, unless something arrived meanwhile
      await condition(allHandlersFinished);
      if (freed.length === 0 && allFinal() && !lock.isLocked()) return state;
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && !lock.isLocked());
      // freed tables still waiting for a live offer to end go along to the next run
      return await continueAsNew<typeof waitlistWorkflow>({ restaurantId: input.restaurantId, openingDate: input.openingDate, ...(freed.length > 0 ? { pending: [...freed] } : {}) });
    }
  }
}
