/** docker-compose.yml cannot run here (no Docker engine); parse it and check it matches the local stack. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../platform/config';
import localStack from '../platform/local-stack.json';
import { serverCommand } from '../scripts/stack/layout.js';

interface Compose {
  services: Record<string, { image: string; command?: string[]; ports?: string[]; environment?: Record<string, string> }>;
}

const compose = parse(fs.readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as Compose;
const config = loadConfig({});
const port = (hostPort: string) => Number(hostPort.split(':').pop());

test('it defines the four servers with the expected images', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['dynoxide', 'localstack', 'mongodb', 'temporal']);
  // the same Temporal CLI release the local stack builds
  expect(compose.services.temporal!.image).toBe(`temporalio/temporal:${localStack.versions.temporal.replace(/^v/, '')}`);
  // the same dynoxide release the local stack builds, pinned
  expect(compose.services.dynoxide!.image).toBe(`ghcr.io/nubo-db/dynoxide:${localStack.versions.dynoxide}`);
  // the last LocalStack image that needs no account (the local stack runs localstack-core from PyPI)
  expect(compose.services.localstack!.image).toBe('localstack/localstack:4.14.0');
  expect(compose.services.mongodb!.image).toBe('mongo:7');
});

test('ports match the config defaults and the local stack', () => {
  expect(port(config.temporal.address)).toBe(localStack.ports.temporal);
  expect(Number(new URL(config.aws.endpoint!).port)).toBe(localStack.ports.localstack);
  expect(Number(new URL(config.mongo.uri).port)).toBe(localStack.ports.mongodb);
  // "127.0.0.1:7233:7233": the host port is the one before the container port
  const hostPorts = (s: string) => compose.services[s]!.ports!.map((p) => Number(p.split(':').at(-2)));
  expect(hostPorts('temporal')).toEqual([port(config.temporal.address), port(config.temporal.uiUrl.replace(/\/$/, ''))]);
  expect(hostPorts('localstack')).toEqual([Number(new URL(config.aws.endpoint!).port)]);
  expect(Number(new URL(config.aws.dynamodbEndpoint!).port)).toBe(localStack.ports.dynamodb);
  expect(hostPorts('dynoxide')).toEqual([localStack.ports.dynamodb]);
  expect(hostPorts('mongodb')).toEqual([Number(new URL(config.mongo.uri).port)]);
});

test('temporal has the same search attributes, dynamic config and SQLite pragmas as the local stack', () => {
  // the flags the local stack passes (scripts/stack/layout.js, search attributes from platform/local-stack.json),
  // in compose's `--flag=value` form; compose must have exactly these, no more and no fewer
  const settings = ['--search-attribute', '--dynamic-config-value', '--sqlite-pragma'];
  const [, stackArgs] = serverCommand('temporal');
  const stack = stackArgs.flatMap((a, i) => (settings.includes(a) ? [`${a}=${stackArgs[i + 1]}`] : []));
  const composed = compose.services.temporal!.command!.filter((a) => settings.some((f) => a.startsWith(`${f}=`)));
  expect(composed.sort()).toEqual(stack.sort());
  const declared = Object.entries(localStack.searchAttributes).map(([k, v]) => `--search-attribute=${k}=${v}`);
  expect(composed.filter((a) => a.startsWith('--search-attribute=')).sort()).toEqual(declared.sort());
});

test('dynoxide keeps its data in a volume, like the local stack keeps it under .stack/data', () => {
  const cmd = compose.services.dynoxide!.command!;
  expect(cmd.slice(0, 1)).toEqual(['serve']);
  expect(cmd[cmd.indexOf('--db-path') + 1]).toMatch(/^\/data\//);
  expect(cmd[cmd.indexOf('--port') + 1]).toBe(String(localStack.ports.dynamodb));
});

test('LocalStack serves SNS and SQS only, on the published port, with no DNS server and no usage events', () => {
  const env = compose.services.localstack!.environment!;
  expect(env.SERVICES).toBe('sqs,sns');
  expect(env.GATEWAY_LISTEN).toBe(`0.0.0.0:${localStack.ports.localstack}`);
  expect(env.DNS_ADDRESS).toBe('0');
  expect(env.DISABLE_EVENTS).toBe('1');
});

test('every published port is bound to the loopback interface (the servers have no authentication)', () => {
  const exposed = Object.entries(compose.services).flatMap(([name, svc]) =>
    (svc.ports ?? []).filter((p) => !/^127\.0\.0\.1:\d+:\d+(\/(tcp|udp))?$/.test(String(p))).map((p) => `${name}: ${p}`),
  );
  expect(exposed).toEqual([]);
  for (const svc of Object.values(compose.services)) expect((svc.ports ?? []).length).toBeGreaterThan(0);
});
