/**
 * Running the local stack: which servers make it up (or which the environment names instead), starting them
 * detached on loopback with their pid in .stack/run, waiting until each answers, stopping them by pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { indexDynoxide, install } from './install.mjs';
import chromium from './chromium.js';
import layout from './layout.js';
import probes from './probes.js';
import { fail, log } from './util.mjs';

const { ROOT, DATA, LOGS, RUN, STACK_DEF, serverCommand } = layout;
const { dynamodbAnswers, mongoPing, portInUse, sqsAnswers, temporalAnswers } = probes;

/** The DynamoDB endpoint the environment names (DYNAMODB_ENDPOINT_URL, else AWS_ENDPOINT_URL when set), as platform/config.ts reads it. */
function externalDynamodb(env) {
  if (env.DYNAMODB_ENDPOINT_URL) return env.DYNAMODB_ENDPOINT_URL;
  if (env.AWS_ENDPOINT_URL !== undefined) return env.AWS_ENDPOINT_URL || 'real AWS';
  return undefined;
}

/**
 * Registers the declared search attributes the server lacks. The dev server registers its
 * `--search-attribute`s only when it creates its database, so a stack whose data predates an attribute
 * (WaitlistDate, WaitlistWaiting came later) would fail every workflow task that sets it.
 */
function ensureSearchAttributes(port) {
  const [bin] = serverCommand('temporal');
  const address = ['--address', `127.0.0.1:${port}`];
  const listed = spawnSync(bin, ['operator', 'search-attribute', 'list', ...address, '-o', 'json'], { encoding: 'utf8', timeout: 30000 });
  if (listed.status !== 0) return log(`warning: could not list Temporal's search attributes: ${listed.stderr || listed.error}`);
  const have = JSON.parse(listed.stdout).customAttributes ?? {};
  for (const [name, type] of Object.entries(STACK_DEF.searchAttributes)) {
    if (name in have) continue;
    const made = spawnSync(bin, ['operator', 'search-attribute', 'create', '--name', name, '--type', type, ...address], { encoding: 'utf8', timeout: 30000 });
    log(made.status === 0 ? `temporal: registered search attribute ${name} (${type})` : `warning: could not register search attribute ${name}: ${made.stderr || made.error}`);
  }
}

function services(env = process.env) {
  const { temporal, temporalUi, dynamodb, localstack, mongodb } = STACK_DEF.ports;
  return [
    {
      name: 'temporal',
      external: env.TEMPORAL_ADDRESS,
      ports: [temporal, temporalUi],
      command: () => serverCommand('temporal'),
      ready: () => temporalAnswers(temporalUi),
      afterStart: () => ensureSearchAttributes(temporal),
      url: `temporal gRPC 127.0.0.1:${temporal}, Web UI http://127.0.0.1:${temporalUi}`,
      envVar: 'TEMPORAL_ADDRESS',
    },
    {
      name: 'dynoxide',
      external: externalDynamodb(env),
      ports: [dynamodb],
      command: () => serverCommand('dynoxide'),
      ready: () => dynamodbAnswers(`http://127.0.0.1:${dynamodb}/`),
      afterStart: () => indexDynoxide(path.join(DATA, 'dynoxide.db')),
      url: `dynoxide (DynamoDB, Streams) http://127.0.0.1:${dynamodb}`,
      envVar: 'DYNAMODB_ENDPOINT_URL',
    },
    {
      name: 'localstack',
      external: env.AWS_ENDPOINT_URL,
      ports: [localstack],
      command: () => serverCommand('localstack'),
      ready: () => sqsAnswers(`http://127.0.0.1:${localstack}/`),
      url: `LocalStack (SNS, SQS) http://127.0.0.1:${localstack}`,
      envVar: 'AWS_ENDPOINT_URL',
    },
    {
      name: 'ferretdb',
      external: env.MONGODB_URI,
      ports: [mongodb],
      command: () => serverCommand('ferretdb'),
      ready: () => mongoPing(mongodb),
      url: `FerretDB (MongoDB wire protocol) mongodb://127.0.0.1:${mongodb}`,
      envVar: 'MONGODB_URI',
    },
    {
      // FerretDB 1.24 on SQLite looks documents up by `_ferretdb_sjson->'$._id'`, but its own `_id` index is
      // on `_ferretdb_sjson->"_id"`: every find, update or delete by `_id` scans the collection (measured
      // 2026-12-01 at 3,000 documents: find 14.3 → 1.9 ms, update 28.0 → 3.0 ms with an index on what it
      // queries). Collections appear at their first write, and each test system or bench run makes databases
      // of its own, so a small watcher beside FerretDB indexes each new collection within half a second.
      name: 'ferretdb-indexer',
      external: env.MONGODB_URI,
      ports: [],
      command: () => ['python3', [path.join(ROOT, 'scripts', 'ferretdb-indexer.py'), path.join(DATA, 'ferretdb')]],
      // ourPid answers only for a process that is alive
      ready: async () => ourPid('ferretdb-indexer') !== undefined,
      url: `FerretDB _id index watcher (scripts/ferretdb-indexer.py)`,
      envVar: 'MONGODB_URI',
    },
  ];
}

const pidFile = (name) => path.join(RUN, `${name}.pid`);
function ourPid(name) {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function waitReady(svc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await svc.ready()) return;
    } catch {
      /* not yet */
    }
    if (svc.pid !== undefined) {
      try {
        process.kill(svc.pid, 0);
      } catch {
        fail(`${svc.name} exited during start-up; see ${path.relative(ROOT, path.join(LOGS, `${svc.name}.log`))}`);
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${svc.name} did not answer within ${timeoutMs / 1000} s; see ${path.relative(ROOT, path.join(LOGS, `${svc.name}.log`))}`);
}

/**
 * Starts what is not running, on the data the stack already has (Temporal, dynoxide and FerretDB keep
 * theirs; LocalStack's SNS/SQS start empty and `npm start` provisions them again). Returns the names it started
 * (so a caller stops only those).
 */
export async function up({ quiet = false } = {}) {
  await install();
  const svcs = services();
  const started = [];
  for (const svc of svcs) {
    if (svc.external) {
      if (!quiet) log(`${svc.name}: using ${svc.external} (from the environment); not starting one`);
      continue;
    }
    if (svc.name === 'localstack' && ourPid('moto') !== undefined && ourPid('localstack') === undefined) {
      // a stack started before LocalStack replaced moto: its moto serves SNS/SQS on the same port until `down`
      if (!quiet) log('moto (the SNS/SQS server before LocalStack) still runs: using it; `npm run stack -- down` then `up` switches');
      svc.url = `moto (SNS, SQS; until the next down) http://127.0.0.1:${STACK_DEF.ports.localstack}`;
      await waitReady(svc, 30000);
      continue;
    }
    if (ourPid(svc.name) !== undefined) {
      await waitReady(svc, 30000);
      svc.afterStart?.();
      continue;
    }
    for (const p of svc.ports) {
      if (await portInUse(p)) {
        fail(
          `port ${p} (${svc.name}) is taken by another program. Stop it, or point the app at it by setting ${svc.envVar}.`,
        );
      }
    }
    const [cmd, args] = svc.command();
    for (const d of [LOGS, path.join(DATA, 'ferretdb'), path.join(DATA, 'ferretdb-state')]) fs.mkdirSync(d, { recursive: true });
    const out = fs.openSync(path.join(LOGS, `${svc.name}.log`), 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: DATA });
    child.unref();
    fs.writeFileSync(pidFile(svc.name), String(child.pid));
    svc.pid = child.pid;
    if (!quiet) log(`starting ${svc.name} (pid ${child.pid})…`);
    // Temporal and LocalStack take 5-30 s on a busy machine
    await waitReady(svc, svc.name === 'temporal' || svc.name === 'localstack' ? 90000 : 45000);
    svc.afterStart?.();
    started.push(svc.name);
  }
  if (!quiet) for (const s of svcs) if (!s.external) log(`up: ${s.url}`);
  return started;
}

async function stopOne(name) {
  const pid = ourPid(name);
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 40; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 250));
    } catch {
      break;
    }
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  fs.rmSync(pidFile(name), { force: true });
  return true;
}

/**
 * Stops what this stack started (by pid), or only the named services. `moto`: the SNS/SQS server before
 * LocalStack, still stopped by its pid file so a stack started by an older checkout goes down too.
 */
export async function down(names = [...services().map((s) => s.name), 'moto']) {
  for (const n of names) if (await stopOne(n)) log(`stopped ${n}`);
}

export async function status() {
  const rows = [];
  for (const svc of services()) {
    let health = false;
    try {
      health = svc.external ? 'external' : await svc.ready();
    } catch {
      health = false;
    }
    rows.push({ service: svc.name, pid: ourPid(svc.name) ?? '-', endpoint: svc.external ?? svc.url, healthy: health });
  }
  // not a server: the browser the browser test launches (install.mjs installs it), shown so a missing one is seen early
  const browser = chromium.findChromium();
  rows.push({ service: 'chromium', pid: '-', endpoint: browser.path ?? browser.error, healthy: browser.path !== undefined });
  return rows;
}

