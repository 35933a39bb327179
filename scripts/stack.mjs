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
 * - Chromium for the browser test (not a server): when none is found (CHROME_PATH, `chromium` on the PATH,
 *   /usr/bin/chromium), Debian's `chromium` package through apt-get as root or with passwordless sudo; elsewhere
 *   `install` says how, and the browser test fails with the same words. No browser is downloaded from anywhere else.
 *
 * Everything but LocalStack keeps its data across down/up; `reset` empties it on purpose. Messages
 * LocalStack held when it stopped are made up for by the pipeline at start (workers/pipeline.ts, catch-up).
 *
 * When TEMPORAL_ADDRESS / DYNAMODB_ENDPOINT_URL / AWS_ENDPOINT_URL / MONGODB_URI name existing endpoints,
 * the matching server is not started (docker-compose or real AWS; AWS_ENDPOINT_URL alone also serves
 * DynamoDB). No dependencies beyond Node itself: it runs before npm ci.
 *
 * This file is the command line; the work is in scripts/stack/: layout.js (paths, versions, each server's
 * command line), probes.js (readiness checks), install.mjs (building and installing), supervise.mjs
 * (starting, waiting, stopping).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { install } from './stack/install.mjs';
import layout from './stack/layout.js';
import { down, status, up } from './stack/supervise.mjs';
import { log, fail } from './stack/util.mjs';

// what scripts/run.mjs, bench/index.ts and the schemathesis test call; tests that start servers of their
// own take command lines and probes from scripts/stack/layout.js and probes.js directly
export { install, installSchemathesis } from './stack/install.mjs';
export { down, status, up } from './stack/supervise.mjs';

const { DATA, STACK_DEF } = layout;
const VERSIONS = STACK_DEF.versions;

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
