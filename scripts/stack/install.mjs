/**
 * Installing the local stack's servers from package registries into .stack/ (git-ignored), each once:
 * a stamp file beside each binary names the version (and build flags) it was built with, and a change of
 * either rebuilds it. Versions come from platform/local-stack.json.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import chromium from './chromium.js';
import layout from './layout.js';
import { fail, log, need, run, runWithProgress } from './util.mjs';

const { ROOT, STACK, BIN, DATA, LOGS, RUN, VENV, STACK_DEF } = layout;
const VERSIONS = STACK_DEF.versions;

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

/** Debian (not a derivative whose `chromium` is something else, such as Ubuntu's snap stub) with apt-get. */
function isDebianWithApt() {
  try {
    const osRelease = fs.readFileSync('/etc/os-release', 'utf8');
    return /^ID="?debian"?$/m.test(osRelease) && spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  } catch {
    return false;
  }
}

/**
 * Chromium for the browser test (test/e2e/browser.int.test.ts): when none is found (scripts/stack/chromium.js: CHROME_PATH,
 * `chromium` on the PATH, /usr/bin/chromium), Debian's `chromium` package through apt-get, as root or with passwordless
 * sudo. Nothing else is tried (no browser downloads). Where it may not install, it says how and goes on: the stack serves
 * `npm start` without a browser, and the browser test fails with the same words.
 */
async function installChromium() {
  const found = chromium.findChromium();
  if (found.path) return;
  if (process.env.CHROME_PATH) {
    log(`warning: ${found.error} (the browser test fails until then)`);
    return;
  }
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isDebianWithApt() || (!root && !sudo)) {
    log(`warning: ${found.error} (the browser test fails until then)`);
    return;
  }
  // sudo drops the environment: DEBIAN_FRONTEND goes through env(1)
  const asRoot = (cmd, args) => (root ? [cmd, args] : ['sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', cmd, ...args]]);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    // a fresh machine's package lists may be empty: refresh them once, only then
    const policy = run('apt-cache', ['policy', 'chromium'], { env: { ...env, LC_ALL: 'C' } }); // "Candidate:" untranslated
    let updated = false;
    if (!/Candidate: (?!\(none\))\S/.test(policy.stdout)) {
      log('updating the package lists (apt-get update) to find chromium…');
      await runWithProgress('apt-get update', ...asRoot('apt-get', ['update']), { env });
      updated = true;
    }
    log("installing Debian's chromium package for the browser test (apt-get install chromium)…");
    const aptInstall = () => runWithProgress('chromium install', ...asRoot('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']), { env });
    try {
      await aptInstall();
    } catch (err) {
      if (updated) throw err;
      // stale package lists name package versions the mirror no longer has (404): refresh them once and retry once
      log(`apt-get install failed (${err.message.split('\n')[0]}); updating the package lists (apt-get update) and trying again…`);
      await runWithProgress('apt-get update', ...asRoot('apt-get', ['update']), { env });
      await aptInstall();
    }
  } catch (err) {
    log(`warning: installing chromium failed: ${err.message}\n${found.error}`);
    return;
  }
  const after = chromium.findChromium();
  log(after.path ? `Chromium installed: ${after.path}` : `warning: chromium was installed but is not found: ${after.error}`);
}

export async function install() {
  for (const d of [BIN, DATA, LOGS, RUN]) fs.mkdirSync(d, { recursive: true });
  // they are independent; building them side by side saves minutes on a fresh machine
  const results = await Promise.allSettled([installTemporal(), installFerretDB(), installDynoxide(), installLocalstack(), installSchemathesis(), installChromium()]);
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (errors.length) fail(errors.join('\n\n'));
}

