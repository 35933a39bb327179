/**
 * Where the local stack lives and how each of its servers is started: the one definition that the stack
 * script (scripts/stack/*, the shared stack), the fault suite and the persistence test (their own servers
 * on free ports) all use, so every one of them runs the servers exactly the same way.
 *
 * CommonJS on purpose: Node's ES modules (scripts/stack.mjs) and jest's CommonJS runtime (test/) can both
 * load it, and it needs nothing beyond Node (the stack script runs before `npm ci`). Types: layout.d.ts.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const STACK = path.join(ROOT, '.stack');
const BIN = path.join(STACK, 'bin');
const DATA = path.join(STACK, 'data');
const LOGS = path.join(STACK, 'logs');
const RUN = path.join(STACK, 'run');
/** LocalStack's venv (moto's, before it, was .stack/venv: left alone, so a moto still running from it keeps working). */
const VENV = path.join(STACK, 'localstack');

/** Versions, ports and search attributes: one data file, also read by the app's tests and the compose check. */
const STACK_DEF = JSON.parse(fs.readFileSync(path.join(ROOT, 'platform', 'local-stack.json'), 'utf8'));

/**
 * The command line `[cmd, args]` of one server (`temporal`, `dynoxide`, `localstack`, `ferretdb`) on the given
 * ports (keys as in platform/local-stack.json `ports`) and data dir. `up` starts the shared stack with the
 * defaults. FerretDB needs `<dataDir>/ferretdb` and `<dataDir>/ferretdb-state` to exist.
 */
function serverCommand(name, { ports = {}, dataDir = DATA } = {}) {
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
          ...Object.entries(STACK_DEF.searchAttributes).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
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
      // LocalStack's own runtime through a wrapper that sets its environment and binds it to loopback
      return [
        path.join(VENV, 'bin', 'python3'),
        [
          path.join(ROOT, 'scripts', 'localstack-server.py'),
          '--host', '127.0.0.1', '--port', String(p.localstack),
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

module.exports = { ROOT, STACK, BIN, DATA, LOGS, RUN, VENV, STACK_DEF, serverCommand };
