/**
 * The floor the booking benchmark compares against: a bare workflow with one activity doing one DynamoDB
 * PutItem, started the way bookings are (Update-with-Start, the update answering once the activity is
 * done). Whatever a booking costs above this is the application's own work. Bundled on its own (this file
 * is the floor worker's workflowsPath), so it imports nothing but the workflow SDK.
 */
import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export interface FloorActivities {
  putItem(id: string): Promise<void>;
}

/** Update-with-Start's update: answers when the PutItem is done (like `request` answers with the placement). */
export const floorUpdate = defineUpdate<{ id: string }, []>('floor');

// the same activity options as the reservation workflow
const { putItem } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 20 },
});

export async function floorWorkflow(id: string): Promise<string> {
  let done = false;
  setHandler(floorUpdate, async () => {
    await condition(() => done);
    return { id };
  });
  await putItem(id);
  done = true;
  await condition(allHandlersFinished);
  return id;
}
