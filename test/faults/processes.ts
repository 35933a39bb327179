/**
 * kill -9 and restart of the pipeline and of one API process of a running `System` (test/system.ts has
 * killWorker/restartWorker only). Restarted processes are spawned exactly as startSystem spawns them (same
 * entry, same environment, same API port, log appended to the same file) and are stopped by `stopAll`; the
 * System's own `stop()` skips the ones killed here (they have exited).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from '../../platform/config';
import { eventually, type System } from '../system';

export interface Spawned {
  name: string;
  process: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

function isRunning(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

function spawnLike(sys: System, name: string, entry: string, env: Record<string, string>): Spawned {
  const logFile = path.join(sys.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} restarting ${entry} (fault suite)\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      log.end(`--- ${new Date().toISOString()} exited code=${code} signal=${signal}\n`);
      resolve();
    }),
  );
  return { name, process: child, logFile, exited };
}

async function kill9(c: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (!isRunning(c)) return;
  c.kill('SIGKILL');
  await exited;
}

export interface Restarts {
  /** kill -9 of the current pipeline process; resolves when it has exited. */
  killPipeline(): Promise<void>;
  /** A new pipeline process. It has no readiness signal: the caller probes that events flow again. */
  restartPipeline(): Promise<void>;
  pipelineRunning(): boolean;
  killApi(i: number): Promise<void>;
  /** API i again on its port; resolves when its /health answers 200. */
  restartApi(i: number): Promise<void>;
  stopAll(): Promise<void>;
}

export function restarts(sys: System): Restarts {
  let pipeline: { process: ChildProcess; exited: Promise<unknown> } = sys.pipeline;
  const apis: Array<{ process: ChildProcess; exited: Promise<unknown> }> = [...sys.apis];
  const spawned: Spawned[] = [];

  return {
    async killPipeline() {
      await kill9(pipeline.process, pipeline.exited);
    },
    pipelineRunning: () => isRunning(pipeline.process),
    async restartPipeline() {
      if (isRunning(pipeline.process)) throw new Error('the pipeline is still running; killPipeline() first');
      const p = spawnLike(sys, 'pipeline', 'workers/pipeline.ts', sys.env);
      spawned.push(p);
      pipeline = p;
    },
    async killApi(i) {
      const a = apis[i];
      if (!a) throw new Error(`no API ${i}`);
      await kill9(a.process, a.exited);
    },
    async restartApi(i) {
      const a = apis[i];
      const info = sys.apis[i];
      if (!a || !info) throw new Error(`no API ${i}`);
      if (isRunning(a.process)) throw new Error(`API ${i} is still running; killApi(${i}) first`);
      const p = spawnLike(sys, `api-${i}`, 'workers/api.ts', { ...sys.env, PORT: String(info.port), PUBLIC_URL: info.url });
      spawned.push(p);
      apis[i] = p;
      await eventually(async () => {
        if (!isRunning(p.process)) throw new Error(`the restarted api-${i} exited at start-up; log: ${p.logFile}`);
        const res = await fetch(`${info.url}/health`, { signal: AbortSignal.timeout(3000) });
        if (res.status !== 200) throw new Error(`api-${i} /health ${res.status}: ${await res.text()}`);
        return true;
      }, 90_000, 300);
    },
    async stopAll() {
      await Promise.all(
        spawned.map(async (p) => {
          if (!isRunning(p.process)) return;
          p.process.kill('SIGTERM');
          const done = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
          if (!done) {
            p.process.kill('SIGKILL');
            await p.exited;
          }
        }),
      );
    },
  };
}
