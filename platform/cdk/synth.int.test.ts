/**
 * `cdk synth` as an operator runs it (`npm run cdk -- synth`: the CLI, the app, esbuild bundling the
 * functions), offline: test/no-network.cjs is preloaded into the CLI and every process it starts, and
 * writes down any connection or DNS lookup they try. The template must come out, with every function's
 * bundle beside it, and nothing may have tried the network.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, topology } from '../topology';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const GUARD = path.join(ROOT, 'test/no-network.cjs');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function guarded(log: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NO_NETWORK_LOG: log,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(GUARD)}`.trim(),
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
}

test('the guard itself sees a connection attempt (so an empty log means something)', () => {
  const log = path.join(dir, 'probe.log');
  const out = spawnSync(process.execPath, ['-e', "fetch('http://example.invalid/').catch(() => process.exit(3))"], { env: guarded(log), encoding: 'utf8', timeout: 20_000 });
  expect(out.status).toBe(3);
  expect(fs.readFileSync(log, 'utf8')).toMatch(/(dns lookup example\.invalid|connect example\.invalid)/);
  // and the SRV lookups a MongoDB driver makes, through a Resolver of its own
  const srv = spawnSync(process.execPath, ['-e', "new (require('node:dns').promises.Resolver)().resolveSrv('_mongodb._tcp.example.invalid').catch(() => process.exit(3))"], {
    env: guarded(log),
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(srv.status).toBe(3);
  expect(fs.readFileSync(log, 'utf8')).toContain('dns resolveSrv _mongodb._tcp.example.invalid');
});

test('npm run cdk -- synth: a template and bundled functions, without the network', () => {
  const log = path.join(dir, 'synth.log');
  const outDir = path.join(dir, 'cdk.out');
  const out = spawnSync('npm', ['run', '--silent', 'cdk', '--', 'synth', '--quiet', '--output', outDir, '-c', 'temporalAddress=temporal.example.invalid:7233'], {
    cwd: ROOT,
    env: guarded(log),
    encoding: 'utf8',
    timeout: 200_000,
  });
  if (out.status !== 0) throw new Error(`cdk synth exited ${out.status}:\n${out.stdout}\n${out.stderr}`);
  // nothing tried to connect or resolve a name
  expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').toBe('');

  const prefix = topology('rr').prefix;
  const template = JSON.parse(fs.readFileSync(path.join(outDir, `${prefix}-reservations.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(fns).toHaveLength(SERVICES.length + topology('rr').consumers.length + 1);
  for (const fn of fns) {
    // each function's code is an asset directory esbuild wrote, with the handler in it
    const asset = fn.Metadata?.['aws:asset:path'];
    expect(asset).toBeDefined();
    const bundle = fs.readFileSync(path.join(outDir, asset!, 'index.js'), 'utf8');
    expect(bundle).toContain('handler');
  }
});
