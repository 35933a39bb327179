/**
 * The local stack keeps its data across a stop and a start (issue 10): its OWN dynoxide, LocalStack, Temporal
 * dev server and FerretDB (the command lines of scripts/stack/layout.js `serverCommand`, on free ports, data in a temp dir), the
 * whole system on them; a user, a restaurant and a pending reservation (manual acceptance, so its workflow
 * waits for the owner); then every process and every server stops, and everything starts again on the
 * same data. LocalStack (SNS, SQS) comes back empty, as it does locally: the system provisions it again and the
 * pipeline catches its queues up from the event store. The data, the read models and the running workflow
 * are all still there: the owner accepts, and the diner reads "accepted".
 *
 * The reservation is made while no consumer runs (the pipeline is killed and only its forwarders run), so
 * its events sit in LocalStack's queues when it stops and are lost with it, as they would be at a Ctrl-C; the
 * forwarder's checkpoint is past them. The read models must still show it after the start: the pipeline's
 * catch-up (workers/pipeline.ts) replays the store into the new queues, and consumers apply each event once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dynamodbAnswers, freePort, mongoAnswers, ownServer, sqsAnswers, temporalAnswers, type OwnServer } from './faults/servers';
import { createRestaurant, eventually, json, localDate, login, signUp, startSystem, waitBookable, type System } from './system';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { queueUrl } from '../platform/provision';
import { topology } from '../platform/topology';
import { startPipeline } from '../workers/pipeline';

const TZ = 'Europe/Rome';
const dir = mkdtempSync(path.join(tmpdir(), 'rr-persist-'));
const dataDir = path.join(dir, 'data');
const prefix = `persist${Date.now().toString(36).slice(-5)}`;
let servers: OwnServer[] = [];
let env: Record<string, string>;
let sys: System | undefined;

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs');
  const logDir = path.join(dir, 'logs');
  for (const d of [dataDir, logDir, path.join(dataDir, 'ferretdb'), path.join(dataDir, 'ferretdb-state')]) mkdirSync(d, { recursive: true });
  const [temporal, temporalUi, mongodb, dynamodb, localstack] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const mongoUri = `mongodb://127.0.0.1:${mongodb}`;
  servers = [
    ownServer('dynoxide', { dynamodb }, dataDir, logDir, `http://127.0.0.1:${dynamodb}`, () => dynamodbAnswers(`http://127.0.0.1:${dynamodb}`)),
    ownServer('localstack', { localstack }, dataDir, logDir, `http://127.0.0.1:${localstack}`, () => sqsAnswers(`http://127.0.0.1:${localstack}`)),
    ownServer('temporal', { temporal, temporalUi }, dataDir, logDir, `127.0.0.1:${temporal}`, () => temporalAnswers(temporalUi)),
    ownServer('ferretdb', { mongodb }, dataDir, logDir, mongoUri, () => mongoAnswers(mongoUri)),
  ];
  env = {
    DYNAMODB_ENDPOINT_URL: `http://127.0.0.1:${dynamodb}`,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${localstack}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${temporalUi}`,
    MONGODB_URI: mongoUri,
    // the signing key persists with the data, so the sign-ins of before the stop stay valid
    DATA_DIR: dataDir,
  };
  await Promise.all(servers.map((s) => s.start()));
}, 120_000);

afterAll(async () => {
  await sys?.stop({ graceMs: 3000, keep: true }).catch(() => undefined);
  await Promise.all(servers.map((s) => s.stop(3000)));
  if (!process.env.PERSISTENCE_KEEP) rmSync(dir, { recursive: true, force: true });
});

test('stop everything and start again: users, restaurant, reservation, read models and the running workflow are all there', async () => {
  sys = await startSystem({ prefix, env });
  const api = () => sys!.apis[0]!.url;
  const owner = await signUp(api(), 'owner');
  const diner = await signUp(api(), 'diner');
  const restaurantId = await createRestaurant(api(), owner.token, { name: 'Persistent Place', policy: { acceptance: 'manual' } });
  await waitBookable(api(), restaurantId, TZ);

  // from here no consumer runs: the pipeline is killed and only its forwarders run (in this process)
  sys.pipeline.process.kill('SIGKILL');
  await sys.pipeline.exited;
  const forwarders = await startPipeline(loadConfig(sys.env), { only: [] });
  const date = localDate(TZ, 2);
  const booked = await json<{ reservationId: string; status: string }>(`${api()}/reservations`, {
    body: { restaurantId, partySize: 2, start: `${date}T19:00` },
    token: diner.token,
  });
  expect([booked.status, booked.body.status]).toEqual([201, 'pending']);
  const id = booked.body.reservationId;
  const lists = async (token = { owner: owner.token, diner: diner.token }) => ({
    diner: (await json<{ items: Array<{ reservationId: string; status: string }> }>(`${api()}/reservations`, { token: token.diner })).body.items.map((i) => `${i.reservationId}:${i.status}`),
    owner: (await json<{ items: Array<{ reservationId: string; status: string }> }>(`${api()}/restaurants/${restaurantId}/reservations?date=${date}`, { token: token.owner })).body.items.map((i) => `${i.reservationId}:${i.status}`),
  });
  // forwarded into the reservation read model's queue, where nobody takes it
  const aws = awsClients(loadConfig(sys.env));
  try {
    const url = (await queueUrl(aws.sqs, topology(prefix).consumers.find((c) => c.name === 'reservation-reservations')!.queue))!;
    await eventually(async () => {
      const a = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) > 0;
    }, 30_000);
  } finally {
    destroyAwsClients(aws);
  }
  await forwarders.stop();
  expect(await lists()).toEqual({ diner: [], owner: [] });

  // stop: every process of the system, then every server (SIGTERM, as Ctrl-C of `npm start` does)
  await sys.stop({ keep: true });
  sys = undefined;
  await Promise.all(servers.map((s) => s.stop()));
  // start again on the same data (LocalStack empty: startSystem provisions it, as `npm start` does)
  await Promise.all(servers.map((s) => s.start()));
  sys = await startSystem({ prefix, env });

  // the old sign-ins still hold; signing in again works too (the users are there)
  expect((await json(`${api()}/auth/me`, { token: owner.token })).status).toBe(200);
  const dinerToken = await login(api(), diner.email, diner.password);
  const restaurant = await json<{ name: string }>(`${api()}/restaurants/${restaurantId}`);
  expect([restaurant.status, restaurant.body.name]).toEqual([200, 'Persistent Place']);
  expect((await json<{ status: string }>(`${api()}/reservations/${id}`, { token: dinerToken })).body.status).toBe('pending');
  // the read models, with what LocalStack lost at the stop made up for by the pipeline's catch-up
  await eventually(async () => expect(await lists({ owner: owner.token, diner: dinerToken })).toEqual({ diner: [`${id}:pending`], owner: [`${id}:pending`] }), 30_000);

  // the workflow waited through the stop: the owner's decision reaches it, and the read models follow, once
  const accepted = await json<{ status: string }>(`${api()}/reservations/${id}/accept`, { method: 'POST', token: owner.token });
  expect([accepted.status, accepted.body.status]).toEqual([200, 'accepted']);
  await eventually(async () => expect(await lists({ owner: owner.token, diner: dinerToken })).toEqual({ diner: [`${id}:accepted`], owner: [`${id}:accepted`] }), 30_000);
  await sys.stop();
  sys = undefined;
}, 180_000);
