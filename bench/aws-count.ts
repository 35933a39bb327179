/**
 * AWS requests per operation, counted inside the system's own processes: the bench starts API, workers
 * and pipeline with `bench/aws-count-preload.js` preloaded (NODE_OPTIONS), which counts every SDK request
 * attempt by command and writes running totals per process; here they are read, differenced over a
 * phase and turned into requests per booking by kind, and into the units the AWS bill is made of.
 *
 * This counts what the app asks of AWS whatever serves it (moto, dynoxide, LocalStack or AWS itself), and
 * adds no network hop. Requests made by the bench itself (fixtures, queue depth probes) are not counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../platform/config';
import { cpuSampler, type CpuReport } from './cpu';
import type { BillableUnits } from './prices';

export type Counts = Record<string, number>;

/** Environment for the system's children: preload the counter, write totals into `dir`. */
export function awsCountEnv(dir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true });
  const preload = `--require ${path.join(ROOT_DIR, 'bench', 'aws-count-preload.js')}`;
  return { BENCH_AWS_COUNT_DIR: dir, NODE_OPTIONS: [env.NODE_OPTIONS, preload].filter(Boolean).join(' ') };
}

/** Totals so far of the processes in `pids` (all processes that wrote into `dir` when omitted). */
export function readCounts(dir: string, pids?: number[]): Counts {
  const out: Counts = {};
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => /^\d+\.json$/.test(f));
  } catch {
    return out;
  }
  for (const f of files) {
    if (pids && !pids.includes(Number(f.slice(0, -5)))) continue;
    try {
      const c = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Counts;
      for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
    } catch {
      /* being replaced: the next read has it */
    }
  }
  return out;
}

/** The preload writes every 500 ms: wait for one more write before reading a phase's end. */
export const settleCounts = (): Promise<void> => new Promise((r) => setTimeout(r, 1200));

export function diff(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** `busy` less `idle` scaled to the busy window (background polling), divided by `ops`. */
export function perOp(busy: Counts, busyS: number, idle: Counts, idleS: number, ops: number): Counts {
  const out: Counts = {};
  if (ops <= 0) return out;
  for (const [k, v] of Object.entries(busy)) {
    const net = v - (idleS > 0 ? ((idle[k] ?? 0) * busyS) / idleS : 0);
    out[k] = Math.max(0, net) / ops;
  }
  return out;
}

export interface AwsRequestsPerBooking {
  dynamodbWrites: number;
  dynamodbReads: number;
  streamReads: number;
  streamOther: number;
  snsPublishes: number;
  sqs: number;
  sqsByCommand: Record<string, number>;
  /** On AWS: forwarder batches (non-empty GetRecords) + consumer batches (non-empty ReceiveMessage). */
  lambdaInvocations: number;
  /** Every request the processes sent (excluding the Lambda count, which is derived). */
  total: number;
  /** Every command, as counted. */
  byCommand: Record<string, number>;
}

const sum = (c: Counts, pred: (k: string) => boolean) => Object.entries(c).reduce((a, [k, v]) => a + (pred(k) ? v : 0), 0);
const round = (v: number) => Math.round(v * 100) / 100;

export function requestsByKind(per: Counts): AwsRequestsPerBooking {
  const isRequest = (k: string) => /^(DynamoDB|DynamoDBStreams|SNS|SQS) /.test(k);
  const cmd = (client: string, names: string[]) => (k: string) => names.some((n) => k === `${client} ${n}`);
  const sqsByCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(per)) if (k.startsWith('SQS ') && v >= 0.005) sqsByCommand[k.slice(4)] = round(v);
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(per)) if (isRequest(k) && v >= 0.005) byCommand[k] = round(v);
  return {
    dynamodbWrites: round(sum(per, cmd('DynamoDB', ['PutItem', 'TransactWriteItems', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']))),
    dynamodbReads: round(sum(per, cmd('DynamoDB', ['Query', 'GetItem', 'BatchGetItem', 'Scan', 'TransactGetItems']))),
    streamReads: round(sum(per, cmd('DynamoDBStreams', ['GetRecords']))),
    streamOther: round(sum(per, (k) => k.startsWith('DynamoDBStreams ') && k !== 'DynamoDBStreams GetRecords')),
    snsPublishes: round(sum(per, cmd('SNS', ['Publish', 'PublishBatch']))),
    sqs: round(sum(per, (k) => k.startsWith('SQS '))),
    sqsByCommand,
    lambdaInvocations: round((per['batches stream (non-empty GetRecords)'] ?? 0) + (per['batches queue (non-empty ReceiveMessage)'] ?? 0)),
    total: round(sum(per, isRequest)),
    byCommand,
  };
}

export function billableUnits(per: Counts): BillableUnits {
  const published = per['units SNS messages'] ?? 0;
  const bytes = per['units SNS payload bytes'] ?? 0;
  const delivered = per['records queue'] ?? 0;
  return {
    dynamodbWru: per['units DynamoDB WRU'] ?? 0,
    dynamodbRru: per['units DynamoDB RRU'] ?? 0,
    streamsGetRecords: per['DynamoDBStreams GetRecords'] ?? 0,
    snsPublishRequests: per['units SNS publish requests'] ?? 0,
    snsPayloadBytes: bytes,
    snsDeliveries: delivered,
    // deliveries carry the published messages: their mean size
    snsDeliveredBytes: published > 0 ? (delivered * bytes) / published : 0,
    sqsRequests: sum(per, (k) => k.startsWith('SQS ')),
    lambdaInvocations: (per['batches stream (non-empty GetRecords)'] ?? 0) + (per['batches queue (non-empty ReceiveMessage)'] ?? 0),
  };
}

/** CPU by process and AWS requests over a window (a phase and the settling after it). */
export interface CostWindow {
  seconds: number;
  cpu: CpuReport;
  counts: Counts;
}

export function costMeter(labels: Map<number, string>, countDir: string | undefined, pids: number[]): { stop(): Promise<CostWindow> } {
  const cpu = cpuSampler(labels);
  const before = countDir ? readCounts(countDir, pids) : {};
  const t0 = performance.now();
  return {
    async stop() {
      if (countDir) await settleCounts();
      const report = cpu.stop();
      return { seconds: (performance.now() - t0) / 1000, cpu: report, counts: countDir ? diff(readCounts(countDir, pids), before) : {} };
    },
  };
}
