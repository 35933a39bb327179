/** The floor's worker process (spawned by bench/floor.ts `startFloor`): one activity, one PutItem of an event-sized item. */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { NativeConnection, Worker } from '@temporalio/worker';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { runMain } from './cli';

async function floorWorkerMain(): Promise<void> {
  const config = loadConfig();
  const table = process.env.FLOOR_TABLE!;
  const aws = awsClients(config);
  const data = JSON.stringify({ reservationId: 'x', restaurantId: 'r', partySize: 2, start: '2030-01-01T19:00', end: '2030-01-01T19:15', tableId: 't1' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: process.env.FLOOR_TASK_QUEUE!,
    workflowsPath: require.resolve('./floor-workflow'),
    activities: {
      async putItem(id: string): Promise<void> {
        await aws.dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              streamId: { S: `floor-${id}` },
              version: { N: '1' },
              eventId: { S: id },
              type: { S: 'FloorEvent' },
              service: { S: 'reservation' },
              data: { S: data },
              metadata: { S: JSON.stringify({ occurredAt: new Date().toISOString() }) },
            },
          }),
        );
      },
    },
    // the reservation worker's settings
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    shutdownGraceTime: '5 seconds',
  });
  await worker.run();
  await connection.close();
  destroyAwsClients(aws);
}

runMain(floorWorkerMain);
