/**
 * The CDK app (`npm run cdk -- synth|diff|deploy`). Settings come from context (`-c name=value`) or the
 * environment; nothing is looked up in the account at synth time, so synth runs offline.
 *
 *   prefix          resource name prefix (RESOURCE_PREFIX; default rr)
 *   temporalAddress Temporal frontend host:port (context only; unset, deploy asks for the TemporalAddress parameter)
 *   temporalNamespace, taskQueue   (TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE)
 *   image           a prebuilt container image; default: built from platform/cdk/Dockerfile at deploy
 *   certificateArn  ACM certificate for HTTPS;  alarmEmail  who gets the alarms
 *   workersMin, workersMax   the reservation worker's task count range (default 1–10)
 *   apiTasks        tasks per service API (default 2)
 *   temporalServerName  the name in the Temporal server's certificate, when not the address's host
 */
import { App } from 'aws-cdk-lib';
import { topology } from '../topology';
import { ReservationsStack, TEMPORAL_ADDRESS_PATTERN, type ReservationsStackProps } from './stack';

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
  const temporalServerName = get('temporalServerName');
  const apiTasks = int('apiTasks', 2);
  if (apiTasks < 1) throw new Error(`apiTasks must be at least 1, got ${apiTasks}`);
  // context only: a TEMPORAL_ADDRESS in the shell is the local dev server's, meaningless on AWS. Unset, the
  // template asks for it as the TemporalAddress parameter at deploy (synth, diff and bootstrap need none)
  const temporalAddress = get('temporalAddress');
  if (temporalAddress !== undefined && !TEMPORAL_ADDRESS_PATTERN.test(temporalAddress)) {
    throw new Error(`temporalAddress must be host:port (the Temporal frontend), got "${temporalAddress}"`);
  }
  return {
    topology: topology(prefix),
    temporal: {
      ...(temporalAddress ? { address: temporalAddress } : {}),
      namespace: get('temporalNamespace', 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: get('taskQueue', 'TEMPORAL_TASK_QUEUE') ?? 'reservations',
      ...(temporalServerName ? { serverName: temporalServerName } : {}),
    },
    apiTasks,
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
