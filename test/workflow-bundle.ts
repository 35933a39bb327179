/** The workflow bundle the test systems' workers load: built once per content of workflows/ and domain/, cached in the temp dir. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT_DIR } from '../platform/config';

let bundling: Promise<string> | undefined;

/** Path of the workflow bundle for the current workflows/ sources; built at most once per content. */
export function workflowBundlePath(): Promise<string> {
  bundling ??= (async () => {
    const dir = path.join(ROOT_DIR, 'workflows');
    const hash = createHash('sha256');
    // the workflows and the domain rules they import: a change to either must not reuse an old bundle
    for (const top of ['workflows', 'domain']) {
      for (const f of (readdirSync(path.join(ROOT_DIR, top), { recursive: true }) as string[]).filter((n) => n.endsWith('.ts') && !n.includes('.test.')).sort()) {
        hash.update(`${top}/${f}`).update(readFileSync(path.join(ROOT_DIR, top, f)));
      }
    }
    hash.update(readFileSync(path.join(ROOT_DIR, 'node_modules', '@temporalio', 'workflow', 'package.json')));
    const file = path.join(tmpdir(), `rr-workflow-bundle-${hash.digest('hex').slice(0, 16)}.js`);
    if (existsSync(file)) return file;
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(dir, 'index.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
    });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
    return file;
  })();
  bundling.catch(() => (bundling = undefined));
  return bundling;
}
