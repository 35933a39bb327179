#!/usr/bin/env node
/**
 * The local stack manager: real servers from package registries, installed and cached inside the
 * project (`.stack/`, git-ignored), started on loopback, stopped by pid.
 *
 *   node scripts/stack.mjs install|up|down|status|reset
 *
 * - Temporal dev server (Temporal CLI v1.5.1, `go install`, CGO off): gRPC 7233, Web UI 8233, SQLite file
 *   under .stack/data (WAL, synchronous=off), the search attributes the reservation workflow uses,
 *   Update-with-Start enabled.
 * - dynoxide 3.2.0 (`cargo install dynoxide-rs`): DynamoDB + Streams on 8000, SQLite file under .stack/data.
 * - LocalStack (localstack-core 2026.3.0, the exact set in scripts/localstack-requirements.txt) in a project
 *   venv on Python 3.13: SNS + SQS only, on 5000, in memory (scripts/localstack-server.py: loopback only,
 *   no DNS server, no usage events). It replaced moto 5.2.5 (2026-12-01): a FIFO topic fanned out to five
 *   FIFO queues cost the server 1-2 ms of CPU per delivered message against moto's 10-59 ms (moto's grows
 *   with queue depth), and it keeps connections alive where moto closed each one.
 * - FerretDB 1.24.2 (MongoDB wire protocol) on 27017 with SQLite under .stack/data, telemetry off.
 *
 * Everything but LocalStack keeps its data across down/up; `reset` empties it on purpose. Messages
 * LocalStack held when it stopped are made up for by the pipeline at start (workers/pipeline.ts, catch-up).
 *
 * When TEMPORAL_ADDRESS / DYNAMODB_ENDPOINT_URL / AWS_ENDPOINT_URL / MONGODB_URI name existing endpoints,
 * the matching server is not started (docker-compose or real AWS; AWS_ENDPOINT_URL alone also serves
 * DynamoDB). No dependencies beyond Node itself: it runs before npm ci.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STACK = path.join(ROOT, '.stack');
const BIN = path.join(STACK, 'bin');
const DATA = path.join(STACK, 'data');
const LOGS = path.join(STACK, 'logs');
const RUN = path.join(STACK, 'run');
/** LocalStack's venv (moto's, before it, was .stack/venv: left alone, so a moto still running from it keeps working). */
const VENV = path.join(STACK, 'localstack');

/** Versions, ports and search attributes live in one data file the app's tests also read. */
const STACK_DEF = JSON.parse(fs.readFileSync(path.join(ROOT, 'platform', 'local-stack.json'), 'utf8'));
const VERSIONS = STACK_DEF.versions;
const SEARCH_ATTRIBUTES = STACK_DEF.searchAttributes;

const log = (msg) => process.stderr.write(`[stack] ${msg}\n`);
const fail = (msg) => {
  const e = new Error(msg);
  e.stackFailure = true;
  throw e;
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  return r;
}

function need(tool, hint) {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (r.status !== 0) fail(`${tool} is not installed; ${hint}`);
}

/** Runs a long command with a heartbeat so a slow first build does not look hung. */
function runWithProgress(label, cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    const collect = (d) => {
      out += d.toString();
      if (out.length > 20000) out = out.slice(-20000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const beat = setInterval(() => log(`${label}: still working (${Math.round((Date.now() - started) / 1000)} s)…`), 15000);
    child.on('close', (code) => {
      clearInterval(beat);
      if (code === 0) resolve(out);
      else reject(new Error(`${label} failed (exit ${code}):\n${out.slice(-4000)}`));
    });
    child.on('error', (err) => {
      clearInterval(beat);
      reject(err);
    });
  });
}

const stampOk = (name, version) => {
  try {
    return fs.readFileSync(path.join(BIN, `${name}.version`), 'utf8').trim() === version && fs.existsSync(path.join(BIN, name));
  } catch {
    return false;
  }
};
const writeStamp = (name, version) => fs.writeFileSync(path.join(BIN, `${name}.version`), `${version}\n`);

async function installTemporal() {
  if (stampOk('temporal', VERSIONS.temporal)) return;
  need('go', 'install Go (https://go.dev/dl) — it builds the Temporal dev server and FerretDB');
  const versions = run('go', ['list', '-m', '-versions', 'github.com/temporalio/cli']);
  if (versions.status !== 0 || !versions.stdout.split(/\s+/).includes(VERSIONS.temporal)) {
    fail(
      `the Go module proxy does not offer github.com/temporalio/cli ${VERSIONS.temporal}:\n${versions.stderr || versions.stdout}\n` +
        'Point TEMPORAL_ADDRESS at an existing Temporal server instead.',
    );
  }
  log(`building the Temporal CLI ${VERSIONS.temporal} with go install (the first build takes several minutes; later runs reuse Go's cache)…`);
  await runWithProgress('temporal build', 'go', ['install', `github.com/temporalio/cli/cmd/temporal@${VERSIONS.temporal}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: BIN, GOFLAGS: '-mod=mod' },
  });
  writeStamp('temporal', VERSIONS.temporal);
  log('Temporal CLI installed');
}

/**
 * FerretDB's `cmd/ferretdb` panics at start when built by a plain `go install`: its version package
 * embeds build/version/version.txt, which the module zip does not contain. So: download the same module
 * from the Go proxy, add version.txt, and build its own `cmd/ferretdb` — the unmodified program.
 */
async function installFerretDB() {
  if (stampOk('ferretdb', VERSIONS.ferretdb)) return;
  need('go', 'install Go (https://go.dev/dl) — it builds FerretDB');
  log(`building FerretDB ${VERSIONS.ferretdb} from the Go module proxy (about a minute the first time)…`);
  const dl = run('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${VERSIONS.ferretdb}`]);
  if (dl.status !== 0) fail(`go mod download of FerretDB failed:\n${dl.stdout}${dl.stderr}`);
  const dir = JSON.parse(dl.stdout).Dir;
  const src = path.join(STACK, 'build', 'ferretdb');
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(src), { recursive: true });
  fs.cpSync(dir, src, { recursive: true });
  run('chmod', ['-R', 'u+w', src]);
  fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${VERSIONS.ferretdb}\n`);
  await runWithProgress('ferretdb build', 'go', ['build', '-o', path.join(BIN, 'ferretdb'), './cmd/ferretdb'], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
  });
  fs.rmSync(src, { recursive: true, force: true });
  writeStamp('ferretdb', VERSIONS.ferretdb);
  log('FerretDB installed');
}

/**
 * dynoxide's bundled SQLite is compiled with WAL + synchronous=NORMAL as its default (dynoxide opens its
 * file in WAL mode and sets no `synchronous`, so SQLite's FULL applies: an fsync per write). Measured
 * 2026-12-01 on this 2-core machine: PutItem 3.5 ms server CPU and 12.3 ms wall with FULL, vs 0.64 ms CPU
 * in memory. NORMAL in WAL loses nothing when a process dies (the OS holds the writes); a power cut may
 * lose the last transactions, like the Temporal dev server's synchronous=off here.
 */
const DYNOXIDE_SQLITE_FLAGS = '-DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1';
/**
 * dynoxide's release profile links with fat LTO into one codegen unit: most of its build is then one
 * single-threaded step. Without LTO and with 16 units it took 3 min 16 s of CPU instead of 4 min 28–32 s
 * (2026-12-01, 2 cores), and served PutItem / GetRecords within the noise of the LTO build (well under a
 * millisecond either way); a fresh clone's first `npm test` must stay under 12 minutes.
 */
const DYNOXIDE_PROFILE = { CARGO_PROFILE_RELEASE_LTO: 'off', CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '16' };
const DYNOXIDE_BUILD = `${VERSIONS.dynoxide} LIBSQLITE3_FLAGS=${DYNOXIDE_SQLITE_FLAGS} LTO=off CODEGEN_UNITS=16`;

/**
 * dynoxide 3.2.0 keeps every stream record in one SQLite table without an index on what it looks them up by:
 * each write numbers its record with `MAX(CAST(sequence_number AS INTEGER)) … WHERE table_name = ?` and each
 * GetRecords filters and sorts on the same expression, so both scan every record ever written (the local
 * stack keeps them: nothing trims after 24 h as on AWS). Measured 2026-12-01 at 10,000 records: 7.3 ms
 * → 0.012 ms for the numbering, 6.2 → 0.07 ms per GetRecords. These two expression indexes (the program's
 * own queries then use them; SQLite re-plans when another connection changes the schema) are added
 * after every start, with Python's sqlite3 module (Python is a prerequisite anyway).
 */
const DYNOXIDE_INDEXES = [
  'CREATE INDEX IF NOT EXISTS rr_stream_records_next ON _stream_records (table_name, CAST(sequence_number AS INTEGER))',
  'CREATE INDEX IF NOT EXISTS rr_stream_records_read ON _stream_records (table_name, shard_id, CAST(sequence_number AS INTEGER))',
];

/** Adds DYNOXIDE_INDEXES to a dynoxide database file (dynoxide running or not). */
export function indexDynoxide(dbFile) {
  const py = fs.existsSync(path.join(VENV, 'bin', 'python3')) ? path.join(VENV, 'bin', 'python3') : 'python3';
  const script = [
    'import sqlite3, sys',
    'c = sqlite3.connect(sys.argv[1], timeout=30)',
    ...DYNOXIDE_INDEXES.map((sql) => `c.execute(${JSON.stringify(sql)})`),
    'c.commit()',
  ].join('\n');
  const r = run(py, ['-c', script, dbFile]);
  // slower without them, not wrong: say so and go on
  if (r.status !== 0) log(`warning: could not index dynoxide's stream records in ${dbFile}:\n${r.stderr}`);
}

/**
 * dynoxide (DynamoDB + Streams on SQLite, a Rust crate): built by cargo from crates.io with only the
 * features the stack uses (native SQLite, the HTTP server, the command line), the program unmodified.
 * About 3 minutes of 2 cores the first time. `--root .stack` puts the binary at .stack/bin/dynoxide.
 */
async function installDynoxide() {
  if (stampOk('dynoxide', DYNOXIDE_BUILD)) return;
  need('cargo', 'install the Rust toolchain (https://rustup.rs) — it builds dynoxide, the local DynamoDB');
  log(`building dynoxide ${VERSIONS.dynoxide} with cargo install (about 3 minutes on 2 cores the first time)…`);
  await runWithProgress('dynoxide build', 'cargo', [
    'install', '--locked', '--force', '--no-default-features', '--features', 'native-sqlite,http-server,cli',
    '--root', STACK, 'dynoxide-rs', '--version', VERSIONS.dynoxide,
  ], { env: { ...process.env, LIBSQLITE3_FLAGS: DYNOXIDE_SQLITE_FLAGS, ...DYNOXIDE_PROFILE } });
  writeStamp('dynoxide', DYNOXIDE_BUILD);
  log('dynoxide installed');
}

/** The exact Python packages of LocalStack (SNS + SQS); a change to the file reinstalls the venv. */
const LOCALSTACK_REQUIREMENTS = path.join(ROOT, 'scripts', 'localstack-requirements.txt');

/**
 * A Python 3.13 to make LocalStack's venv with: localstack-core 2026.3.0 needs 3.13 (it imports
 * warnings.deprecated) though its metadata says 3.10. LOCALSTACK_PYTHON when set, else python3.13 or
 * python3 from the PATH, else a pyenv-installed 3.13 (pyenv's shims answer only for the selected version).
 */
function findPython313() {
  const ok = (exe) => {
    const r = spawnSync(exe, ['-c', 'import sys; print(sys.executable if sys.version_info[:2] == (3, 13) else "")'], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  };
  if (process.env.LOCALSTACK_PYTHON) {
    return ok(process.env.LOCALSTACK_PYTHON) ?? fail(`LOCALSTACK_PYTHON=${process.env.LOCALSTACK_PYTHON} is not a Python 3.13`);
  }
  for (const exe of ['python3.13', 'python3']) {
    const found = ok(exe);
    if (found) return found;
  }
  // pyenv's versions, whether or not pyenv itself is on this PATH
  const root = spawnSync('pyenv', ['root'], { encoding: 'utf8' });
  const roots = [root.status === 0 ? root.stdout.trim() : '', process.env.PYENV_ROOT ?? '', process.env.HOME ? path.join(process.env.HOME, '.pyenv') : ''];
  for (const r of new Set(roots.filter(Boolean))) {
    const versions = path.join(r, 'versions');
    const candidates = fs.existsSync(versions) ? fs.readdirSync(versions).filter((v) => /^3\.13\.\d+$/.test(v)) : [];
    candidates.sort((x, y) => Number(y.split('.')[2]) - Number(x.split('.')[2]));
    for (const v of candidates) {
      const found = ok(path.join(versions, v, 'bin', 'python3'));
      if (found) return found;
    }
  }
  return fail(
    'LocalStack (the local SNS and SQS) needs Python 3.13 and none was found: install it (Debian 13: apt-get install ' +
      'python3.13 python3.13-venv; macOS: brew install python@3.13; or pyenv install 3.13), or set LOCALSTACK_PYTHON to one, ' +
      'or point AWS_ENDPOINT_URL at an SNS/SQS you run yourself.',
  );
}

async function installLocalstack() {
  const requirements = fs.readFileSync(LOCALSTACK_REQUIREMENTS, 'utf8');
  const stamp = `${VERSIONS.localstack} ${crypto.createHash('sha256').update(requirements).digest('hex').slice(0, 16)}`;
  const stampFile = path.join(VENV, 'localstack.version');
  try {
    if (fs.readFileSync(stampFile, 'utf8').trim() === stamp && fs.existsSync(path.join(VENV, 'bin', 'python3'))) return;
  } catch {
    /* not installed */
  }
  if (!new RegExp(`^localstack-core==${VERSIONS.localstack.replace(/\./g, '\\.')}$`, 'm').test(requirements)) {
    fail(`${path.relative(ROOT, LOCALSTACK_REQUIREMENTS)} does not pin localstack-core==${VERSIONS.localstack} (platform/local-stack.json)`);
  }
  const python = findPython313();
  log(`installing LocalStack ${VERSIONS.localstack} (SNS, SQS) into ${path.relative(ROOT, VENV)} with ${python} (about 2 minutes the first time)…`);
  fs.rmSync(VENV, { recursive: true, force: true });
  const venv = run(python, ['-m', 'venv', VENV]);
  if (venv.status !== 0) fail(`${python} -m venv failed (on Debian: apt-get install python3.13-venv):\n${venv.stderr}`);
  // --no-deps: the file is the whole set, each version exact (pins over what pip would choose: see its header)
  await runWithProgress('LocalStack install', path.join(VENV, 'bin', 'pip'), [
    'install', '--disable-pip-version-check', '-q', '--no-deps', '-r', LOCALSTACK_REQUIREMENTS,
  ]);
  fs.writeFileSync(stampFile, `${stamp}\n`);
  log('LocalStack installed');
}

/**
 * schemathesis (property-based API testing from the OpenAPI document), pinned, for the integration test
 * test/schemathesis.int.test.ts. Its own venv, not LocalStack's: the two pin overlapping libraries (werkzeug,
 * jsonschema, requests) and neither should move the other's versions.
 */
export const SCHEMATHESIS_VENV = path.join(STACK, 'schemathesis');
export const SCHEMATHESIS_VERSION = '4.32.5';
export async function installSchemathesis() {
  const bin = path.join(SCHEMATHESIS_VENV, 'bin', 'schemathesis');
  try {
    if (fs.readFileSync(path.join(SCHEMATHESIS_VENV, 'schemathesis.version'), 'utf8').trim() === SCHEMATHESIS_VERSION && fs.existsSync(bin)) return;
  } catch {
    /* not installed */
  }
  need('python3', 'install Python 3 (it runs schemathesis, the API fuzzer)');
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(ROOT, SCHEMATHESIS_VENV)}…`);
  fs.rmSync(SCHEMATHESIS_VENV, { recursive: true, force: true });
  const venv = run('python3', ['-m', 'venv', SCHEMATHESIS_VENV]);
  if (venv.status !== 0) fail(`python3 -m venv failed (on Debian: apt-get install python3-venv):\n${venv.stderr}`);
  await runWithProgress('schemathesis install', path.join(SCHEMATHESIS_VENV, 'bin', 'pip'), [
    'install', '--disable-pip-version-check', '-q', `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  fs.writeFileSync(path.join(SCHEMATHESIS_VENV, 'schemathesis.version'), `${SCHEMATHESIS_VERSION}\n`);
  log('schemathesis installed');
}

export async function install() {
  for (const d of [BIN, DATA, LOGS, RUN]) fs.mkdirSync(d, { recursive: true });
  // they are independent; building them side by side saves minutes on a fresh machine
  const results = await Promise.allSettled([installTemporal(), installFerretDB(), installDynoxide(), installLocalstack(), installSchemathesis()]);
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (errors.length) fail(errors.join('\n\n'));
}

// ---------------------------------------------------------------------------------------------------

/**
 * The command line `[cmd, args]` of one server (`temporal`, `dynoxide`, `localstack`, `ferretdb`) on the given
 * ports and data dir (`moto`, server and port name, is the old name of `localstack` and still taken). `up`
 * starts the shared stack with the defaults; the fault suite and the persistence test (test/) start their
 * own throwaway servers with it on free ports, so both run the servers exactly the same way.
 * FerretDB needs `<dataDir>/ferretdb` and `<dataDir>/ferretdb-state` to exist.
 */
export function serverCommand(name, { ports = {}, dataDir = DATA } = {}) {
  const p = { ...STACK_DEF.ports, ...ports };
  switch (name) {
    case 'temporal':
      return [
        path.join(BIN, 'temporal'),
        [
          'server', 'start-dev',
          '--ip', '127.0.0.1', '--port', String(p.temporal), '--ui-port', String(p.temporalUi),
          '--db-filename', path.join(dataDir, 'temporal.db'),
          // measured (issue 10): the default rollback journal, synced, costs ~40 ms of server CPU per
          // workflow; WAL without fsync about 25 ms, and the bench floor went from 18 to 34/s. A process
          // crash loses nothing (the OS has the writes); a power cut may lose the last moments.
          '--sqlite-pragma', 'journal_mode=wal',
          '--sqlite-pragma', 'synchronous=off',
          '--log-level', 'warn',
          ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
          '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
          '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
          // a worker completing a workflow task gets the activity it schedules in the answer (no activity task
          // through matching): Temporal CPU per floor workflow 37.2 → 30.5 ms, measured 2026-12-01
          '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
        ],
      ];
    case 'dynoxide':
      return [
        path.join(BIN, 'dynoxide'),
        ['serve', '--host', '127.0.0.1', '--port', String(p.dynamodb), '--db-path', path.join(dataDir, 'dynoxide.db'), '--log', 'quiet'],
      ];
    case 'localstack':
    case 'moto':
      // LocalStack's own runtime through a wrapper that sets its environment and binds it to loopback
      return [
        path.join(VENV, 'bin', 'python3'),
        [
          path.join(ROOT, 'scripts', 'localstack-server.py'),
          '--host', '127.0.0.1', '--port', String(ports.localstack ?? ports.moto ?? p.localstack),
          '--dir', path.join(dataDir, 'localstack'),
        ],
      ];
    case 'ferretdb':
      return [
        path.join(BIN, 'ferretdb'),
        [
          '--handler=sqlite',
          `--sqlite-url=file:${path.join(dataDir, 'ferretdb')}/`,
          `--state-dir=${path.join(dataDir, 'ferretdb-state')}`,
          `--listen-addr=127.0.0.1:${p.mongodb}`,
          '--telemetry=disable',
          '--debug-addr=-',
          '--log-level=warn',
        ],
      ];
    default:
      throw new Error(`unknown server ${name}; use temporal | dynoxide | localstack | ferretdb`);
  }
}

/**
 * One unsigned AWS JSON-protocol call (LocalStack and dynoxide check no signature; dynoxide wants a date header):
 * whether the server answers it with 2xx.
 */
async function awsJsonAnswers(endpoint, target, signingName, timeoutMs) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': target,
      'x-amz-date': '20260101T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${signingName}/aws4_request, SignedHeaders=host;x-amz-date, Signature=x`,
    },
    body: '{}',
    signal: AbortSignal.timeout(timeoutMs),
  });
  return res.ok;
}

/** A DynamoDB ListTables over HTTP (dynoxide). */
export const dynamodbAnswers = (endpoint, timeoutMs = 2000) => awsJsonAnswers(endpoint, 'DynamoDB_20120810.ListTables', 'dynamodb', timeoutMs);

/** An SQS ListQueues over HTTP (JSON protocol, as SDK v3 speaks it). */
export const sqsAnswers = (endpoint, timeoutMs = 2000) => awsJsonAnswers(endpoint, 'AmazonSQS.ListQueues', 'sqs', timeoutMs);

/** The DynamoDB endpoint the environment names (DYNAMODB_ENDPOINT_URL, else AWS_ENDPOINT_URL when set), as platform/config.ts reads it. */
function externalDynamodb(env) {
  if (env.DYNAMODB_ENDPOINT_URL) return env.DYNAMODB_ENDPOINT_URL;
  if (env.AWS_ENDPOINT_URL !== undefined) return env.AWS_ENDPOINT_URL || 'real AWS';
  return undefined;
}

function services(env = process.env) {
  const { temporal, temporalUi, dynamodb, localstack, mongodb } = STACK_DEF.ports;
  return [
    {
      name: 'temporal',
      external: env.TEMPORAL_ADDRESS,
      ports: [temporal, temporalUi],
      command: () => serverCommand('temporal'),
      ready: async () => {
        // a real round trip through the UI server to the frontend service
        const res = await fetch(`http://127.0.0.1:${temporalUi}/api/v1/namespaces/default`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      },
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
      ready: () => mongoPing(),
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

/** A real MongoDB `ping` command over the wire (OP_MSG), without the driver. */
function mongoPing() {
  return new Promise((resolve) => {
    const sock = net.connect(STACK_DEF.ports.mongodb, '127.0.0.1');
    const doc = Buffer.from([
      // BSON {ping: 1, $db: "admin"}
      ...int32(0), 0x10, ...cstr('ping'), ...int32(1), 0x02, ...cstr('$db'), ...int32(6), ...cstr('admin'), 0x00,
    ]);
    doc.writeInt32LE(doc.length, 0);
    const body = Buffer.concat([Buffer.from(int32(0)), Buffer.from([0]), doc]);
    const header = Buffer.alloc(16);
    header.writeInt32LE(16 + body.length, 0);
    header.writeInt32LE(1, 4);
    header.writeInt32LE(0, 8);
    header.writeInt32LE(2013, 12);
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write(Buffer.concat([header, body])));
    sock.on('data', (d) => done(d.length > 16 && d.includes(Buffer.from('ok'))));
  });
  function int32(n) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return [...b];
  }
  function cstr(s) {
    return [...Buffer.from(s, 'utf8'), 0];
  }
}

function portInUse(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
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
  return rows;
}

async function main() {
  const cmd = process.argv[2] ?? 'status';
  try {
    switch (cmd) {
      case 'install':
        await install();
        log('installed: ' + Object.entries(VERSIONS).map(([k, v]) => `${k} ${v}`).join(', '));
        break;
      case 'up':
        await up();
        break;
      case 'down':
        await down();
        break;
      case 'reset':
        await down();
        fs.rmSync(DATA, { recursive: true, force: true });
        log('stopped the stack and removed its data');
        break;
      case 'status':
        console.table(await status());
        break;
      default:
        fail(`unknown command ${cmd}; use install | up | down | status | reset`);
    }
  } catch (err) {
    log(err.stackFailure ? err.message : err.stack);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
