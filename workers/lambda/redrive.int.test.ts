/**
 * The redrive Lambda against LocalStack's SQS, on a fresh prefix: a real event message in a consumer's
 * dead-letter queue goes back to its queue (and is counted), an undecodable one stays, a consumer whose
 * queue is gone fails its own round only, and REDRIVE_QUEUES is checked before anything is called.
 */
import { randomBytes } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { queueDepth } from '../../eventstore/dead-letters';
import { fifoId, messageGroupId } from '../../eventstore/fifo-ids';
import { messageAttributes, messageBody } from '../../eventstore/sns-message';
import type { StoredEvent } from '../../eventstore/types';
import { awsClients, destroyAwsClients, type AwsClients } from '../../platform/aws';
import { ConfigError, loadConfig } from '../../platform/config';
import { deprovision, provision, resolveTopology, type ResolvedTopology } from '../../platform/provision';
import { topology } from '../../platform/topology';
import { handler, redriveLambda, redriveQueuesFromEnv, type RedriveQueue } from './redrive';

jest.setTimeout(60_000);

const prefix = `tr${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const topo = topology(prefix);
let aws: AwsClients;
let resolved: ResolvedTopology;

beforeAll(async () => {
  aws = awsClients(loadConfig({ ...process.env, RESOURCE_PREFIX: prefix }));
  await provision(aws, topo);
  resolved = await resolveTopology(aws, topo);
});

afterAll(async () => {
  if (aws) {
    await deprovision(aws, topo);
    destroyAwsClients(aws);
  }
});

const queue = (consumer: string): RedriveQueue => ({ consumer, queueUrl: resolved.queues[consumer]!.url, dlqUrl: resolved.queues[consumer]!.dlqUrl });

/** An event as raw SNS delivery puts it in a consumer's queue, dead-lettered: body, attributes, group. */
async function deadLetter(consumer: string, streamId: string): Promise<StoredEvent> {
  const event: StoredEvent = {
    eventId: `${streamId}-1-${randomBytes(4).toString('hex')}`,
    streamId,
    version: 1,
    type: 'RestaurantClosed',
    data: { restaurantId: streamId },
    metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 },
    service: 'catalog',
  };
  await aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: resolved.queues[consumer]!.dlqUrl,
      MessageBody: messageBody(event),
      MessageGroupId: messageGroupId(streamId),
      MessageDeduplicationId: fifoId(event.eventId),
      MessageAttributes: messageAttributes(event),
    }),
  );
  return event;
}

/** Receives (and deletes) what the queue holds, until `count` messages came or 10 s passed. */
async function drain(queueUrl: string, count: number): Promise<Message[]> {
  const got: Message[] = [];
  const deadline = Date.now() + 10_000;
  while (got.length < count && Date.now() < deadline) {
    const out = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    for (const m of out.Messages ?? []) {
      got.push(m);
      await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
  return got;
}

it('moves an event from the dead-letter queue back to its queue and counts it; leaves an undecodable message', async () => {
  const event = await deadLetter('catalog-restaurants', 'restaurant-r1');
  await aws.sqs.send(
    new SendMessageCommand({ QueueUrl: resolved.queues['auth-users']!.dlqUrl, MessageBody: 'not an event', MessageGroupId: 'junk', MessageDeduplicationId: 'junk-1' }),
  );
  const lines: string[] = [];
  const run = redriveLambda({ sqs: aws.sqs, queues: [queue('catalog-restaurants'), queue('auth-users')], log: (c, line) => lines.push(`${c}: ${line}`) });

  expect(await run()).toEqual({ moved: { 'catalog-restaurants': 1, 'auth-users': 0 } });
  expect(await queueDepth(aws.sqs, resolved.queues['catalog-restaurants']!.dlqUrl)).toBe(0);
  const back = await drain(resolved.queues['catalog-restaurants']!.url, 1);
  expect(back.map((m) => m.Body)).toEqual([messageBody(event)]);
  expect(back[0]!.MessageAttributes?.redrives?.StringValue).toBe('1');
  expect(back[0]!.MessageAttributes?.streamId?.StringValue).toBe('restaurant-r1');
  // the undecodable message stays for a human, and is reported
  expect(await queueDepth(aws.sqs, resolved.queues['auth-users']!.dlqUrl)).toBe(1);
  // the rounds run at once: their lines in any order
  expect(lines.sort()).toEqual([
    expect.stringMatching(/^auth-users: message .+ is not an event: left in the dead-letter queue for a human$/),
    expect.stringMatching(/^catalog-restaurants: moved restaurant-r1 v1 \(message .+\) back to the queue, redrive #1$/),
  ]);
});

it('one consumer whose round fails does not stop the others; the invocation fails after they ran', async () => {
  await deadLetter('reservation-reservations', 'reservation-x1');
  const gone = `${resolved.queues['auth-ownership']!.dlqUrl}-gone`;
  const failures: string[] = [];
  const run = redriveLambda({
    sqs: aws.sqs,
    // the broken one first: the others' rounds run all the same
    queues: [{ consumer: 'auth-ownership', queueUrl: resolved.queues['auth-ownership']!.url, dlqUrl: gone }, queue('reservation-reservations')],
    log: (c, line, err) => {
      if (err !== undefined) failures.push(`${c}: ${line}`);
    },
  });

  await expect(run()).rejects.toThrow(/dead-letter redrive failed for auth-ownership \(the others ran: \{"reservation-reservations":1\}\)/);
  expect(failures).toEqual(['auth-ownership: round failed']);
  expect(await queueDepth(aws.sqs, resolved.queues['reservation-reservations']!.dlqUrl)).toBe(0);
  expect((await drain(resolved.queues['reservation-reservations']!.url, 1)).map((m) => m.MessageAttributes?.streamId?.StringValue)).toEqual(['reservation-x1']);
});

describe('REDRIVE_QUEUES', () => {
  const good = { consumer: 'catalog-restaurants', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/rr-a.fifo', dlqUrl: 'http://sqs.us-east-1.127.0.0.1:5000/000000000000/rr-a-dlq.fifo' };

  it('is read as the array of queue pairs', () => {
    expect(redriveQueuesFromEnv({ REDRIVE_QUEUES: JSON.stringify([good]) })).toEqual([good]);
  });

  it.each([
    ['unset', undefined, /REDRIVE_QUEUES must be a JSON array .* it is not set/],
    ['not JSON', '[{', /REDRIVE_QUEUES must be a JSON array .* it is not JSON/],
    ['not an array', JSON.stringify(good), /REDRIVE_QUEUES must be a JSON array .* with at least one entry/],
    ['empty', '[]', /with at least one entry/],
    ['an entry not an object', '["x"]', /REDRIVE_QUEUES\[0\] must be an object/],
    ['a field missing', JSON.stringify([{ consumer: 'c', queueUrl: good.queueUrl }]), /REDRIVE_QUEUES\[0\]\.dlqUrl must be a non-empty string/],
    ['a URL invalid', JSON.stringify([{ ...good, queueUrl: 'a.fifo' }]), /REDRIVE_QUEUES\[0\]\.queueUrl must be a queue URL \(http\(s\):\/\/host\/account\/name\), got "a.fifo"/],
    ['queue and DLQ the same', JSON.stringify([{ ...good, dlqUrl: good.queueUrl }]), /REDRIVE_QUEUES\[0\]: queueUrl and dlqUrl are the same queue/],
    ['a consumer twice', JSON.stringify([good, good]), /REDRIVE_QUEUES\[1\]: consumer catalog-restaurants is listed twice/],
  ])('is refused when %s', (_case, value, message) => {
    const call = () => redriveQueuesFromEnv(value === undefined ? {} : { REDRIVE_QUEUES: value });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(message);
  });

  it('is checked by the module-level handler before any call', async () => {
    const before = process.env.REDRIVE_QUEUES;
    process.env.REDRIVE_QUEUES = '{"not": "an array"}';
    try {
      await expect(handler({} as ScheduledEvent)).rejects.toThrow(ConfigError);
    } finally {
      if (before === undefined) delete process.env.REDRIVE_QUEUES;
      else process.env.REDRIVE_QUEUES = before;
    }
  });
});

it('the module-level handler redrives the queues REDRIVE_QUEUES names, with the SQS client from the config', async () => {
  await deadLetter('reservation-restaurants', 'restaurant-h1');
  const before = process.env.REDRIVE_QUEUES;
  process.env.REDRIVE_QUEUES = JSON.stringify([queue('reservation-restaurants')]);
  try {
    expect(await handler({} as ScheduledEvent)).toEqual({ moved: { 'reservation-restaurants': 1 } });
  } finally {
    if (before === undefined) delete process.env.REDRIVE_QUEUES;
    else process.env.REDRIVE_QUEUES = before;
  }
  expect((await drain(resolved.queues['reservation-restaurants']!.url, 1)).map((m) => m.MessageAttributes?.streamId?.StringValue)).toEqual(['restaurant-h1']);
});
