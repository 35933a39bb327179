/**
 * The floor: a bare workflow with one activity doing one PutItem (bench/floor-workflow.ts), started the same
 * way as a booking (Update-with-Start) through the Temporal client directly, on its own worker process
 * (bench/floor-worker.ts) and task queue: what a booking cannot cost less than on this stack.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig, ROOT_DIR } from '../platform/config';
import { createEventTable } from '../eventstore/dynamodb-table';
import type { System } from '../test/system';
import { floorUpdate } from './floor-workflow';
import type { Outcome } from './load';

export interface Floor {
  taskQueue: string;
  client: Client;
  pid: number;
  stop(): Promise<void>;
}

export async function startFloor(sys: System): Promise<Floor> {
  const config = loadConfig(sys.env);
  const taskQueue = `${sys.prefix}-floor`;
  const table = `${sys.prefix}-floor`;
  const aws = awsClients(config);
  // the same table shape the event store writes (no forwarder reads this one)
  await createEventTable(aws.dynamodb, table);
  const env = { ...sys.env, FLOOR_TASK_QUEUE: taskQueue, FLOOR_TABLE: table };
  const log = createWriteStream(path.join(sys.logDir, 'floor-worker.log'), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-worker.ts'], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // ready when its poller shows on the task queue
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the floor worker exited during start-up; see ${path.join(sys.logDir, 'floor-worker.log')}`);
    const res = await connection.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name: taskQueue, kind: 1 }, taskQueueType: 1 });
    if ((res.pollers ?? []).some((p) => (p.identity ?? '').startsWith(`${child.pid}@`))) break;
    if (Date.now() > deadline) throw new Error('the floor worker did not poll within 90 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    taskQueue,
    client,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await connection.close().catch(() => undefined);
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      destroyAwsClients(aws);
    },
  };
}

export function floorOp(floor: Floor, runId: string): (i: number) => Promise<Outcome> {
  return async (i) => {
    const id = `${runId}-${i}`;
    try {
      await floor.client.workflow.executeUpdateWithStart(floorUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation('floorWorkflow', {
          workflowId: `floor-${id}`,
          taskQueue: floor.taskQueue,
          args: [id],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      return { ok: true, status: 'ok' };
    } catch (err) {
      return { ok: false, status: err instanceof Error ? err.name : 'error', detail: err instanceof Error ? err.message : String(err) };
    }
  };
}
