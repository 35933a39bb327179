/** What must hold of each lifecycle the load ran: its reservation final in its stream, its workflow closed. */
import type { Client } from '@temporalio/client';
import { reservationStreamId } from '../../domain/reservation/reservation';
import { isFinal } from '../../domain/reservation/rules';
import { reservationWorkflowId } from '../../workflows/messages';
import type { Lifecycle } from './load';
import { short } from './findings';
import type { History } from './history-checks';

export interface LifecycleReport {
  /** Acknowledged reservations whose stream is not final (or not the final the client was told), or whose workflow is not COMPLETED. */
  findings: string[];
  /** How many acknowledged reservations were checked. */
  checked: number;
}

/** Every acknowledged reservation: final in its stream (the final the client was told), its workflow COMPLETED; nothing else running. */
export async function checkLifecycles(lifecycles: Lifecycle[], history: History, statusOf: Map<string, string>, temporal: Client, taskQueue: string): Promise<LifecycleReport> {
  const findings: string[] = [];
  const acknowledged = lifecycles.filter((l) => l.reservationId);
  const describe = async (id: string): Promise<string> => {
    try {
      const d = await temporal.workflow.getHandle(reservationWorkflowId(id)).describe();
      if (d.status.name === 'COMPLETED') return 'COMPLETED';
      const pending = (d.raw.pendingActivities ?? [])
        .map((a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (last failure: ${short(a.lastFailure.message, 200)})` : ''}`)
        .join('; ');
      return `${d.status.name}${pending ? `, pending activities: ${pending}` : ''}`;
    } catch (err) {
      return `describe failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  await Promise.all(
    acknowledged.map(async (l) => {
      const id = l.reservationId!;
      const events = history.reservation.streams.get(reservationStreamId(id)) ?? [];
      const status = statusOf.get(id) ?? 'none';
      const wf = await describe(id);
      const what = `reservation ${id} (#${l.seq} ${l.kind})`;
      const client = `client saw: ${l.steps.join(' | ')}`;
      const final = isFinal(status);
      if (l.expectedFinal === 'not-placed') {
        if (events.length > 0 && !final) findings.push(`${what}: acknowledged, then not placed, but its stream is ${status}: ${events.map((e) => e.type).join(', ')}; ${client}`);
      } else if (!final) {
        findings.push(`${what}: NOT FINAL: stream ends at "${status}" (${events.map((e) => `v${e.version} ${e.type}`).join(', ') || 'no events'}); workflow ${wf}; ${client}`);
        return;
      } else if (l.expectedFinal && l.expectedFinal !== status) {
        findings.push(`${what}: the client was told "${l.expectedFinal}" but the stream ends "${status}" (${events.map((e) => e.type).join(', ')}); ${client}`);
      }
      if (wf !== 'COMPLETED') findings.push(`${what}: stream ${status}, but workflow ${wf}`);
    }),
  );
  // workflows nobody was told about (a request that failed for the client) must have ended too
  const known = new Set(acknowledged.map((l) => reservationWorkflowId(l.reservationId!)));
  try {
    for await (const wf of temporal.workflow.list({ query: `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'` })) {
      if (!known.has(wf.workflowId)) findings.push(`workflow ${wf.workflowId} (never acknowledged to a client) is still running since ${wf.startTime.toISOString()}`);
    }
  } catch (err) {
    findings.push(`could not list running workflows: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { findings, checked: acknowledged.length };
}

