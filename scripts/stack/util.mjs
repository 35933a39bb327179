/** What the stack's modules share to talk and to run programs: a log line, a failure meant for the user, a command. */
import { spawn, spawnSync } from 'node:child_process';

export const log = (msg) => process.stderr.write(`[stack] ${msg}\n`);

/** Throws an error the command line prints as its message alone (no stack trace): the user's next step. */
export const fail = (msg) => {
  const e = new Error(msg);
  e.stackFailure = true;
  throw e;
};

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  return r;
}

export function need(tool, hint) {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (r.status !== 0) fail(`${tool} is not installed; ${hint}`);
}

/** Runs a long command with a heartbeat so a slow first build does not look hung. */
export function runWithProgress(label, cmd, args, opts = {}) {
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
