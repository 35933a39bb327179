/**
 * npm run replay -- --consumer C [--service S] [--rebuild [--via-queue]] [--run-id ID]
 *
 * --rebuild: rebuilds consumer C's read model straight from its source store (projections/rebuild.ts: the
 * table scanned page by page, each stream folded with the projection's own evolve, documents inserted in
 * bulk with the live checkpoints). Every consumer has one.
 *
 * Without --rebuild, or with --via-queue: replay via queue (eventstore/replay.ts), service S's whole history
 * (default: the consumer's source) re-sent to C's queue; with --rebuild --via-queue its read model is
 * emptied first, so the pipeline's consumer builds it again from the messages (exercises the pipeline).
 */
import { parseArgs } from 'node:util';
import { DynamoDBEventStore } from '../eventstore/dynamodb';
import { replayViaQueue } from '../eventstore/replay';
import { scanHistory } from '../eventstore/scan';
import { SERVICES, consumerDef, topology } from '../platform/topology';
import type { ServiceName } from '../eventstore/types';
import { awsClients, destroyAwsClients } from '../platform/aws';
import { loadConfig } from '../platform/config';
import { queueUrl } from '../platform/provision';
import { createRuntime } from '../platform/runtime';
import { consumers } from '../projections';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      service: { type: 'string' },
      consumer: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      'run-id': { type: 'string' },
      'via-queue': { type: 'boolean', default: false },
    },
  });
  if (!values.consumer) throw new Error('usage: npm run replay -- --consumer <name> [--service <name>] [--rebuild [--via-queue]] [--run-id <id>]');
  const config = loadConfig();
  const topo = topology(config.resourcePrefix);
  const consumer = consumerDef(topo, values.consumer);
  const service = (values.service ?? consumer.source) as ServiceName;
  if (!(SERVICES as readonly string[]).includes(service)) throw new Error(`unknown service ${service}`);
  if (service !== consumer.source) console.warn(`warning: ${consumer.name} subscribes to ${consumer.source}, replaying ${service}`);

  // --rebuild needs the consumer's read model (projections/index.ts knows each one's)
  const runtime = values.rebuild ? await createRuntime(config) : undefined;
  const clients = runtime?.aws ?? awsClients(config);
  try {
    const target = runtime ? consumers(runtime)[consumer.name] : undefined;
    if (target && runtime && !values['via-queue']) {
      if (service !== consumer.source) throw new Error(`--rebuild reads ${consumer.name}'s source, ${consumer.source}; drop --service or add --via-queue`);
      const r = await target.rebuildFromStore({
        source: scanHistory(runtime.aws.dynamodb, topo.services[service].table),
        onProgress: (p) => {
          if (p.events % 10_000 === 0) console.log(`  ${p.events} events read, ${p.documents} documents written`);
        },
      });
      const fellBack = r.fallback.duplicate + r.fallback.gap + r.fallback.regrouped;
      console.log(
        `rebuild of ${consumer.name} from ${service}'s store: ${r.events} events of ${r.streams} streams → ${r.documents} documents in bulk` +
          `${fellBack ? `, ${fellBack} stream(s) through the live path (${JSON.stringify(r.fallback)})` : ''}` +
          ` in ${(r.ms / 1000).toFixed(2)} s = ${Math.round(r.events / Math.max(r.ms / 1000, 0.001))} events/s (emptying first took ${(r.truncateMs / 1000).toFixed(2)} s)`,
      );
      return;
    }
    const url = await queueUrl(clients.sqs, consumer.queue);
    if (!url) throw new Error(`queue ${consumer.queue} does not exist; run npm run provision`);
    const store = runtime?.stores[service] ?? new DynamoDBEventStore({ client: clients.dynamodb, tableName: topo.services[service].table, service });
    const started = Date.now();
    const report = await replayViaQueue({
      store,
      sqs: clients.sqs,
      queueUrl: url,
      ...(target ? { truncate: target.truncate } : {}),
      runId: values['run-id'],
      onProgress: (n) => {
        if (n % 1000 === 0) console.log(`  ${n} sent`);
      },
    });
    console.log(
      `replay ${report.runId}: ${report.sent} events of ${report.streams} streams from ${service} → ${consumer.queue}` +
        `${report.truncated ? ' (read model emptied first)' : ''} in ${Date.now() - started} ms`,
    );
  } finally {
    // the runtime's clients close with it
    if (runtime) await runtime.close();
    else destroyAwsClients(clients);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
