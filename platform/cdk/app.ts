/**
 * The CDK app (`npm run cdk -- synth|diff|deploy`). Settings come from context (`-c name=value`) or the
 * environment; nothing is looked up in the account at synth time, so synth runs offline.
 *
 *   prefix          resource name prefix (RESOURCE_PREFIX; default rr)
 *   temporalAddress Temporal frontend host:port (TEMPORAL_ADDRESS; required)
 *   temporalNamespace, taskQueue   (TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE)
 *   image           a prebuilt container image; default: built from platform/cdk/Dockerfile at deploy
 *   certificateArn  ACM certificate for HTTPS;  alarmEmail  who gets the alarms
 *   workersMin, workersMax   the reservation worker's task count range (default 1–10)
 */
import { App } from 'aws-cdk-lib';
import { topology } from '../topology';
import { ReservationsStack, type ReservationsStackProps } from './stack';

export function stackProps(app: App, env: Record<string, string | undefined> = process.env): ReservationsStackProps {
  const get = (key: string, envName?: string): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
    const e = envName ? env[envName] : undefined;
    return e === undefined || e === '' ? undefined : e;
  };
  const int = (key: string, fallback: number): number => {
    const v = get(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`context ${key} must be a whole number, got "${v}"`);
    return n;
  };
  const prefix = get('prefix', 'RESOURCE_PREFIX') ?? 'rr';
  // as platform/config.ts checks RESOURCE_PREFIX: the processes must find the names the stack gives
  if (!/^[a-zA-Z0-9-]{1,24}$/.test(prefix)) throw new Error(`prefix must be 1-24 letters, digits or dashes, got "${prefix}"`);
  const workers = { min: int('workersMin', 1), max: int('workersMax', 10), cpuTargetPercent: 60 };
  if (workers.min < 1 || workers.min > workers.max) throw new Error(`workersMin must be at least 1 and at most workersMax, got ${workers.min}-${workers.max}`);
  const image = get('image');
  const certificateArn = get('certificateArn');
  const alarmEmail = get('alarmEmail');
  // required: a stack without it would deploy processes that cannot reach Temporal
  const temporalAddress = get('temporalAddress', 'TEMPORAL_ADDRESS');
  if (temporalAddress === undefined || !/^[^\s:/]+:\d{1,5}$/.test(temporalAddress)) {
    throw new Error(`temporalAddress (host:port of the Temporal frontend) is required: -c temporalAddress=… or TEMPORAL_ADDRESS; got "${temporalAddress ?? ''}"`);
  }
  return {
    topology: topology(prefix),
    temporal: {
      address: temporalAddress,
      namespace: get('temporalNamespace', 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: get('taskQueue', 'TEMPORAL_TASK_QUEUE') ?? 'reservations',
    },
    mongoDb: get('mongoDb', 'MONGODB_DB') ?? prefix,
    ...(image ? { image } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    workers,
    description: `Restaurant reservations (${prefix}): event pipeline, APIs and the reservation worker`,
  };
}

if (require.main === module) {
  const app = new App();
  const props = stackProps(app);
  new ReservationsStack(app, `${props.topology.prefix}-reservations`, props);
  app.synth();
}
