/**
 * Secrets read by the processes themselves at start (the Lambdas at cold start, the API and the worker on
 * ECS), so no secret value is in a Lambda's configuration, a task definition or the template. A variable
 * NAME_SECRET_ARN names a Secrets Manager secret (by ARN or by name) whose string becomes NAME, read once:
 *
 * - `NAME_SECRET_ARN=<arn or name>`: NAME is the secret's whole string (e.g. MONGODB_URI_SECRET_ARN → MONGODB_URI).
 * - `NAME_SECRET_ARN=<arn or name>#<field>`: the secret is a JSON object and NAME is its field `<field>`.
 *
 * A NAME that is already set (non-empty) wins and its secret is not read, so a local override needs no AWS.
 * An empty NAME_SECRET_ARN is unset. Errors name the variable, the ARN and the field, never a value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, loadConfig, type Config } from './config';

type Env = Record<string, string | undefined>;

/** The secret's string (SecretString) by ARN. */
export type GetSecret = (arn: string) => Promise<string>;

const SUFFIX = '_SECRET_ARN';

/** A copy of `env` with every NAME whose NAME_SECRET_ARN is set (and NAME is not) read from its secret. */
export async function resolveSecretEnv(env: Env, getSecret: GetSecret): Promise<Env> {
  const wanted: { name: string; arn: string; field?: string }[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.endsWith(SUFFIX) || value === undefined || value === '') continue;
    const name = variable.slice(0, -SUFFIX.length);
    if (name === '') throw new ConfigError(`${variable} names no variable (NAME${SUFFIX} sets NAME)`);
    if (env[name] !== undefined && env[name] !== '') continue;
    // an ARN has no '#' (secret names allow letters, digits and /_+=.@- only), so the first one starts the field
    const hash = value.indexOf('#');
    const arn = hash === -1 ? value : value.slice(0, hash);
    const field = hash === -1 ? undefined : value.slice(hash + 1);
    if (arn === '' || field === '') throw new ConfigError(`${variable} must be <arn> or <arn>#<field>, got "${value}"`);
    wanted.push({ name, arn, ...(field !== undefined ? { field } : {}) });
  }
  if (wanted.length === 0) return { ...env };

  // each secret read once, all at once (a cold start waits for the slowest, not the sum)
  const arns = [...new Set(wanted.map((w) => w.arn))];
  const strings = new Map<string, string>();
  await Promise.all(
    arns.map(async (arn) => {
      try {
        strings.set(arn, await getSecret(arn));
      } catch (err) {
        const names = wanted.filter((w) => w.arn === arn).map((w) => w.name);
        throw new Error(`${names.join(', ')}: could not read secret ${arn}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }),
  );

  const out: Env = { ...env };
  for (const { name, arn, field } of wanted) {
    const secret = strings.get(arn) as string;
    // a whole secret that is empty would read as unset, i.e. the local default (a MongoDB on localhost):
    // refused; an empty field of a JSON secret is how it says "not used" (e.g. no client certificate)
    if (field === undefined && secret === '') throw new ConfigError(`${name}: secret ${arn} is empty`);
    out[name] = field === undefined ? secret : jsonField(secret, name, arn, field);
  }
  return out;
}

function jsonField(secret: string, name: string, arn: string, field: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    // not the parser's message: it quotes the text, i.e. the secret
    throw new ConfigError(`${name}: secret ${arn} is not JSON, so it has no field "${field}"`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${name}: secret ${arn} is not a JSON object, so it has no field "${field}"`);
  }
  if (!Object.prototype.hasOwnProperty.call(parsed, field)) throw new ConfigError(`${name}: secret ${arn} has no field "${field}"`);
  const v = (parsed as Record<string, unknown>)[field];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ConfigError(`${name}: field "${field}" of secret ${arn} is not a string, number or boolean`);
}

/**
 * Reads secrets from Secrets Manager with the AWS settings' deadlines (as platform/aws.ts: connecting and
 * the whole request per attempt, a timeout thrown). The client is made at the first read, so a process
 * with no NAME_SECRET_ARN makes none. Only string secrets: a binary one is an error.
 */
export function secretsManagerGetter(
  aws: Pick<Config['aws'], 'region' | 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'connectionTimeoutMs' | 'requestTimeoutMs'>,
): GetSecret {
  let client: SecretsManagerClient | undefined;
  return async (arn) => {
    client ??= new SecretsManagerClient({
      region: aws.region,
      ...(aws.endpoint ? { endpoint: aws.endpoint, credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey } } : {}),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: aws.connectionTimeoutMs, requestTimeout: aws.requestTimeoutMs, throwOnRequestTimeout: true },
    });
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (out.SecretString === undefined) {
      throw new Error(`secret ${arn} has no string value${out.SecretBinary !== undefined ? ' (it is binary)' : ''}`);
    }
    return out.SecretString;
  };
}

/**
 * The process's configuration with its secrets read first (NAME_SECRET_ARN, above): the plain environment
 * gives the settings that are never secret (the AWS ones, to reach Secrets Manager). Without any
 * NAME_SECRET_ARN, as locally, it is loadConfig() and no call is made.
 */
export async function loadConfigWithSecrets(env: Env = process.env): Promise<Config> {
  const plain = loadConfig(env);
  return loadConfig(await resolveSecretEnv(env, secretsManagerGetter(plain.aws)));
}
