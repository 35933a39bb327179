/**
 * The rebuild phase alone, on its own event table and database (removed at the end):
 *   npx tsx bench/rebuild-alone.ts [--events 12000] [--batch 1000] [--concurrency 2] [--runs 2]
 * Appends synthetic but valid reservation history (bench/rebuild.ts) and rebuilds the reservation read
 * models from it directly (projections/rebuild.ts), printing events/s and where the time went.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parseArgs } from 'node:util';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { createEventTable } from '../eventstore/dynamodb-table';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { connectMongo } from '../platform/mongo';
import { createRuntime } from '../platform/runtime';
import { reservationsProjection } from '../projections/reservations';
import { rebuildDirect } from '../projections/rebuild';
import { scanHistory } from '../eventstore/scan';
import type { StoredEvent } from '../eventstore/types';
import { appendReservationHistory, dropTable, rebuildLine } from './rebuild';

async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<void>((res, rej) => session.post(method, (err) => (err ? rej(err) : res())));
  await post('Profiler.enable');
  await post('Profiler.start');
  return session;
}

async function stopProfile(session: Session, file: string): Promise<void> {
  const profile = await new Promise<unknown>((res, rej) => session.post('Profiler.stop', (err, out) => (err ? rej(err) : res(out.profile))));
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '12000' },
      batch: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '2' },
      runs: { type: 'string', default: '2' },
      /** readAll: the store's readAll (whole table, sorted) instead of the paged scan. */
      source: { type: 'string', default: 'scan' },
      /** Write a CPU profile of the last run's rebuild (not the appends) to this file. */
      profile: { type: 'string' },
    },
  });
  const config = loadConfig({ ...process.env, MONGODB_TIMEOUT_MS: '300000' });
  const aws = awsClients(config);
  const id = `rb${randomBytes(3).toString('hex')}`;
  const table = `${id}-reservation-events`;
  const mongo = await connectMongo(config, `${id}_reservation`);
  const runtime = await createRuntime(config); // for its write guard only
  const writeGuard = runtime.writeGuard;
  await runtime.close();
  try {
    await createEventTable(aws.dynamodb, table);
    const store = new DynamoDBEventStore({ client: aws.dynamodb, tableName: table, service: 'reservation' });
    const a0 = performance.now();
    const appended = await appendReservationHistory(store, Number(values.events));
    console.log(`appended ${appended.events} events of ${appended.streams} streams (${appended.reservations} reservations) in ${((performance.now() - a0) / 1000).toFixed(1)} s`);
    // the stages alone: the paged scan (decoded events), then the fold + inserts from events in memory
    const s0 = performance.now();
    const inMemory: StoredEvent[] = [];
    for await (const e of scanHistory(aws.dynamodb, table)) inMemory.push(e);
    console.log(`scan alone: ${inMemory.length} events in ${((performance.now() - s0) / 1000).toFixed(2)} s`);
    const m = await rebuildDirect({ db: mongo.db, store, projection: reservationsProjection, writeGuard, concurrency: 1, batchSize: Number(values.batch), source: (async function* () { yield* inMemory; })() });
    console.log(`fold + inserts alone (events in memory, 1 insert in flight): ${rebuildLine(m)}`);
    for (let run = 1; run <= Number(values.runs); run++) {
      const session = values.profile && run === Number(values.runs) ? await startProfile() : undefined;
      const r = await rebuildDirect({
        db: mongo.db,
        store,
        projection: reservationsProjection,
        writeGuard,
        batchSize: Number(values.batch),
        concurrency: Number(values.concurrency),
        ...(values.source === 'scan' ? { source: scanHistory(aws.dynamodb, table) } : {}),
      });
      if (session && values.profile) await stopProfile(session, values.profile);
      console.log(`run ${run}: ${rebuildLine(r)}`);
    }
  } finally {
    await dropTable(aws.dynamodb, table);
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.client.close();
    destroyAwsClients(aws);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
