/**
 * The fault suite's own FerretDB and Temporal dev server (and LocalStack / dynoxide when none answers): same binaries and flags as `npm run stack` (the
 * command lines come from scripts/stack/layout.js `serverCommand`), but on free ports with data in a temp dir, so
 * stopping them never disturbs the shared stack other engineers and tests use. Each can be stopped and
 * started again on the same port and data (that is the fault).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../platform/config';
import { serverCommand, type ServerName } from '../../scripts/stack/layout.js';
import * as probes from '../../scripts/stack/probes.js';
import { freePort } from '../system';

export type { ServerName };

export interface OwnServer {
  name: ServerName;
  /** `mongodb://…`, `host:port` or `http://…` (what MONGODB_URI / TEMPORAL_ADDRESS / AWS_ENDPOINT_URL take). */
  address: string;
  logFile: string;
  /** Starts it (again: same port, same data) and waits until it answers. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  running(): boolean;
}

export { freePort };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, child: () => ChildProcess | undefined, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = child();
    if (!c || c.exitCode !== null || c.signalCode !== null) throw new Error(`${what} exited during start-up; log: ${logFile}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s; log: ${logFile}`);
    await sleep(250);
  }
}

export function ownServer(name: ServerName, ports: Record<string, number>, dataDir: string, logDir: string, address: string, ready: () => Promise<boolean>): OwnServer {
  const [cmd, args] = serverCommand(name, { ports, dataDir });
  if (!existsSync(cmd)) throw new Error(`${cmd} is missing: run \`npm run stack -- install\` first`);
  const logFile = path.join(logDir, `${name}.log`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  return {
    name,
    address,
    logFile,
    running,
    async start() {
      if (running()) return;
      const log = createWriteStream(logFile, { flags: 'a' });
      log.write(`--- ${new Date().toISOString()} starting ${cmd} ${args.join(' ')}\n`);
      const c = spawn(cmd, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.pipe(log, { end: false });
      c.stderr!.pipe(log, { end: false });
      exited = new Promise((resolve) => c.once('exit', (code, signal) => {
        log.end(`--- ${new Date().toISOString()} exited code=${code} signal=${signal}\n`);
        resolve();
      }));
      child = c;
      await until(name, ready, () => child, logFile, name === 'ferretdb' ? 30_000 : 90_000);
    },
    async stop(graceMs = 15_000) {
      if (!running()) return;
      child!.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child!.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface OwnServers {
  temporal: OwnServer;
  ferretdb: OwnServer;
  /**
   * Only when no SNS/SQS answered at AWS_ENDPOINT_URL or no DynamoDB at its endpoint (e.g. CI after
   * `npm test` stopped the stack): a private LocalStack and/or dynoxide, started and stopped as one.
   */
  aws?: OwnServer;
  /** Environment for startSystem: points every process at these servers. */
  env: Record<string, string>;
  dataDir: string;
  logDir: string;
  stopAll(): Promise<void>;
}

/** A DynamoDB ListTables (dynoxide): the stack's own readiness probe (scripts/stack/probes.js), with more patience. */
export const dynamodbAnswers = (endpoint: string) => probes.dynamodbAnswers(endpoint, 3000);

/** An SQS ListQueues (LocalStack): the stack's own readiness probe, with more patience. */
export const sqsAnswers = (endpoint: string) => probes.sqsAnswers(endpoint, 3000);

/** Temporal's frontend reached through its UI server: the stack's own readiness probe. */
export const temporalAnswers = (uiPort: number) => probes.temporalAnswers(uiPort);

/** A MongoDB `ping` over the wire (FerretDB ready). */
export async function mongoAnswers(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.connect();
    return (await client.db('admin').command({ ping: 1 })).ok === 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Creates (does not start) FerretDB and Temporal, with data under `<dir>/data` and logs under `<dir>/logs`.
 * SNS/SQS and DynamoDB are shared (never stopped; resource prefixes keep runs apart) when they answer at
 * `awsEndpoint` and at the configured DynamoDB endpoint; otherwise a private LocalStack and/or dynoxide
 * is created too (`aws`), so the suite also runs where no stack is up.
 */
export async function ownServers(dir: string, awsEndpoint = process.env.AWS_ENDPOINT_URL || 'http://127.0.0.1:5000'): Promise<OwnServers> {
  const dataDir = path.join(dir, 'data');
  const logDir = path.join(dir, 'logs');
  for (const d of [dataDir, logDir, path.join(dataDir, 'ferretdb'), path.join(dataDir, 'ferretdb-state')]) mkdirSync(d, { recursive: true });
  const [temporal, temporalUi, mongodb] = [await freePort(), await freePort(), await freePort()];
  const mongoUri = `mongodb://127.0.0.1:${mongodb}`;

  const ferretdb = ownServer('ferretdb', { mongodb }, dataDir, logDir, mongoUri, () => mongoAnswers(mongoUri));
  const temporalServer = ownServer('temporal', { temporal, temporalUi }, dataDir, logDir, `127.0.0.1:${temporal}`, () => temporalAnswers(temporalUi));
  // SNS/SQS: the shared LocalStack when one answers, else a private one; DynamoDB: the shared dynoxide
  // (its own endpoint) when one answers, else a private one (LocalStack here serves no DynamoDB)
  const dynamodb = loadConfig({ ...process.env, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL }).aws.dynamodbEndpoint;
  const sharedDynamodb = dynamodb !== undefined && (await dynamodbAnswers(dynamodb));
  const own: OwnServer[] = [];
  const ownEnv: Record<string, string> = {};
  if (!(await sqsAnswers(awsEndpoint))) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    own.push(ownServer('localstack', { localstack: port }, dataDir, logDir, endpoint, () => sqsAnswers(endpoint)));
    ownEnv.AWS_ENDPOINT_URL = endpoint;
  }
  if (sharedDynamodb) {
    // named even when it is what AWS_ENDPOINT_URL alone reached, since AWS_ENDPOINT_URL may now be a private LocalStack
    ownEnv.DYNAMODB_ENDPOINT_URL = dynamodb;
  } else {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    own.push(ownServer('dynoxide', { dynamodb: port }, dataDir, logDir, endpoint, () => dynamodbAnswers(endpoint)));
    ownEnv.DYNAMODB_ENDPOINT_URL = endpoint;
  }
  const aws: OwnServer | undefined = own.length === 0 ? undefined : {
    name: own[0]!.name,
    address: own[0]!.address,
    logFile: own.map((s) => s.logFile).join(', '),
    running: () => own.every((s) => s.running()),
    start: async () => {
      await Promise.all(own.map((s) => s.start()));
    },
    stop: async (graceMs?: number) => {
      await Promise.all(own.map((s) => s.stop(graceMs)));
    },
  };
  return {
    temporal: temporalServer,
    ferretdb,
    ...(aws ? { aws } : {}),
    env: {
      MONGODB_URI: mongoUri,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${temporalUi}`,
      ...ownEnv,
    },
    dataDir,
    logDir,
    async stopAll() {
      await Promise.all([temporalServer.stop(5000), ferretdb.stop(5000), aws?.stop(5000)]);
    },
  };
}
