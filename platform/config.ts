/**
 * One typed configuration, read from environment variables with local defaults. An invalid value stops
 * start-up with a message naming the variable. The defaults point at the local stack (`npm run stack`);
 * set TEMPORAL_ADDRESS / AWS_ENDPOINT_URL / DYNAMODB_ENDPOINT_URL / MONGODB_URI to use docker-compose or
 * real AWS instead.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_SCRYPT } from '../domain/auth/passwords';
import type { ServiceName } from '../eventstore/types';
import { SERVICES } from './topology';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function powerOfTwo(env: Env, name: string, fallback: number, min: number, max: number): number {
  const n = int(env, name, fallback, min, max);
  if ((n & (n - 1)) !== 0) throw new ConfigError(`${name} must be a power of two, got "${n}"`);
  return n;
}

function url(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  try {
    new URL(v);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${v}"`);
  }
  return v;
}

function hostPort(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  if (!/^[^\s:/]+:\d{1,5}$/.test(v)) throw new ConfigError(`${name} must be host:port, got "${v}"`);
  return v;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const v = str(env, name, fallback);
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

/**
 * How the API and the worker reach a Temporal cluster beyond the dev server: TLS with the server's CA and an
 * optional client certificate (mTLS: a self-hosted cluster, or Temporal Cloud with certificates), or an API
 * key (Temporal Cloud; implies TLS). `TEMPORAL_TLS=auto` (the default) turns TLS on when any of these is set.
 * The CA, certificate and key each come from a file (TEMPORAL_TLS_*_FILE) or as PEM text (TEMPORAL_TLS_CA /
 * _CERT / _KEY: what ECS injects from a secret's JSON fields), never both; an empty value is unset, since an
 * ECS secret has "" for the fields a deployment does not use.
 */
function temporalSecurity(env: Env): {
  tls?: { caFile?: string; caPem?: string; certFile?: string; certPem?: string; keyFile?: string; keyPem?: string; serverName?: string };
  apiKey?: string;
} {
  const opt = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  // a file or its PEM text, one of the two; the text is checked for shape only, and never echoed (it may be a key)
  const fileOrPem = (name: string): { file?: string; pem?: string } => {
    const file = opt(`${name}_FILE`);
    const pem = opt(name);
    if (file !== undefined && pem !== undefined) throw new ConfigError(`${name}_FILE and ${name} are both set: give one (a file, or the PEM text)`);
    if (pem !== undefined && !/-----BEGIN [A-Z0-9 ]+-----/.test(pem)) throw new ConfigError(`${name} must be PEM text (-----BEGIN …), not shown here`);
    // line breaks that arrived as the two characters \n (escaped twice in a JSON secret): TLS would refuse it later without naming the variable
    if (pem !== undefined && !pem.includes('\n') && pem.includes('\\n')) throw new ConfigError(`${name} has "\\n" where its line breaks should be`);
    return { ...(file !== undefined ? { file } : {}), ...(pem !== undefined ? { pem } : {}) };
  };
  const ca = fileOrPem('TEMPORAL_TLS_CA');
  const cert = fileOrPem('TEMPORAL_TLS_CERT');
  const key = fileOrPem('TEMPORAL_TLS_KEY');
  const serverName = opt('TEMPORAL_TLS_SERVER_NAME');
  const apiKey = opt('TEMPORAL_API_KEY');
  const given = (x: { file?: string; pem?: string }): boolean => x.file !== undefined || x.pem !== undefined;
  // either form for each (a certificate from a file and its key as text is fine)
  if (given(cert) !== given(key)) {
    throw new ConfigError(
      'TEMPORAL_TLS_CERT_FILE (or TEMPORAL_TLS_CERT) and TEMPORAL_TLS_KEY_FILE (or TEMPORAL_TLS_KEY) go together (a client certificate and its key)',
    );
  }
  const mode = oneOf(env, 'TEMPORAL_TLS', ['auto', 'on', 'off'] as const, 'auto');
  const anySet = given(ca) || given(cert) || given(key) || serverName !== undefined || apiKey !== undefined;
  if (mode === 'off' && anySet) throw new ConfigError('TEMPORAL_TLS=off, but a TEMPORAL_TLS_* setting or TEMPORAL_API_KEY is set');
  const tlsOn = mode === 'on' || (mode === 'auto' && anySet);
  return {
    ...(tlsOn
      ? {
          tls: {
            ...(ca.file ? { caFile: ca.file } : {}),
            ...(ca.pem ? { caPem: ca.pem } : {}),
            ...(cert.file ? { certFile: cert.file } : {}),
            ...(cert.pem ? { certPem: cert.pem } : {}),
            ...(key.file ? { keyFile: key.file } : {}),
            ...(key.pem ? { keyPem: key.pem } : {}),
            ...(serverName ? { serverName } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/**
 * The services whose HTTP routes this API process serves: `API_SERVICES`, a comma list (default: all, one
 * process as locally). On AWS each service runs as its own process behind one load balancer (api/routing.ts).
 * A process without the auth service verifies tokens with the auth service's published keys, so it needs
 * AUTH_JWKS_URL.
 */
function apiServices(env: Env): ServiceName[] {
  const raw = env.API_SERVICES;
  if (raw === undefined) return [...SERVICES];
  const names = raw.split(',').map((s) => s.trim());
  const known = SERVICES as readonly string[];
  // set but empty is a mistake (a process serving nothing), not the default
  if (names.every((n) => n === '')) throw new ConfigError(`API_SERVICES must name at least one of ${SERVICES.join(', ')}, got "${raw}"`);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new ConfigError(`API_SERVICES must list only ${SERVICES.join(', ')}, got "${raw}" (unknown: ${unknown.map((n) => `"${n}"`).join(', ')})`);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new ConfigError(`API_SERVICES names ${twice[0]} twice: "${raw}"`);
  const services = names as ServiceName[];
  if (!services.includes('auth') && (env.AUTH_JWKS_URL === undefined || env.AUTH_JWKS_URL === '')) {
    throw new ConfigError(
      `AUTH_JWKS_URL must be set when API_SERVICES leaves out auth ("${raw}"): this process verifies tokens with the auth service's public keys (its /.well-known/jwks.json) and holds no signing key`,
    );
  }
  return services;
}

/** proxy-addr's names for well-known ranges, which Fastify's trustProxy also takes. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: whose X-Forwarded-For sets the client address (`request.ip`, which the auth rate limits key
 * on). Unset or empty: nobody's, the connection's peer is the client (right without a proxy, and a client
 * cannot spoof it). Behind a load balancer: its addresses as a comma list of IPs/CIDRs (e.g. the VPC's
 * subnets) or `uniquelocal`; or the number of proxy hops, only where nothing but the proxy can reach the
 * process (a hop count trusts whoever connects). Trusting everyone ("true") is refused: any client could
 * then pick its own address and walk past the limits.
 */
function trustProxy(env: Env): false | number | string[] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 10) throw new ConfigError(`TRUST_PROXY as a hop count must be 1 to 10 (unset it to trust no proxy), got "${raw}"`);
    return hops;
  }
  const entries = raw.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !isTrustedAddress(e));
  if (bad.length > 0) {
    throw new ConfigError(
      `TRUST_PROXY must be a hop count or a comma list of IP addresses, CIDRs or ${PROXY_RANGES.join('/')}, got "${raw}" (not valid: ${bad.map((b) => `"${b}"`).join(', ')})`,
    );
  }
  return entries;
}

function isTrustedAddress(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

export const ROOT_DIR = path.resolve(__dirname, '..');

export function loadConfig(env: Env = process.env) {
  const dataDir = path.resolve(ROOT_DIR, str(env, 'DATA_DIR', '.stack/data'));
  const port = int(env, 'PORT', 3000, 0, 65535);
  return {
    env: oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dataDir,
    api: {
      host: str(env, 'HOST', '127.0.0.1'),
      port,
      publicUrl: url(env, 'PUBLIC_URL', `http://127.0.0.1:${port}`),
      /**
       * How long POST /reservations waits for the placement before answering 202 with the reservation id
       * and a Location to poll (the workflow goes on; a client is never told "failed" for work that then happens).
       */
      placementDeadlineMs: int(env, 'PLACEMENT_DEADLINE_MS', 8000, 100, 60000),
      /**
       * The last safety net: a request whose handler has not answered by then gets 503 + Retry-After.
       * Above the placement deadline, so POST /reservations still answers 202 itself.
       */
      handlerTimeoutMs: int(env, 'API_HANDLER_TIMEOUT_MS', 12000, 1000, 120000),
      /** A whole request (headers and body) must arrive within this (slow clients hold sockets otherwise). */
      requestTimeoutMs: int(env, 'API_REQUEST_TIMEOUT_MS', 15000, 1000, 120000),
      /**
       * Most open GET /reservations/live streams per API process (each holds a socket and a subscription
       * to the process's one poller); one more is refused with 503 + Retry-After.
       */
      liveStreamsMax: int(env, 'API_LIVE_STREAMS_MAX', 500, 1, 100000),
      /** The services whose routes this process serves (API_SERVICES; default all three). */
      services: apiServices(env),
      /** Whose X-Forwarded-For to believe for the client address (TRUST_PROXY; default nobody's). */
      trustProxy: trustProxy(env),
    },
    /** Prefix of every AWS resource name, so several environments (and test runs) can share one account. */
    resourcePrefix: (() => {
      const v = str(env, 'RESOURCE_PREFIX', 'rr');
      if (!/^[a-zA-Z0-9-]{1,24}$/.test(v)) throw new ConfigError(`RESOURCE_PREFIX must be 1-24 letters, digits or dashes, got "${v}"`);
      return v;
    })(),
    aws: {
      region: str(env, 'AWS_REGION', 'us-east-1'),
      /**
       * SNS and SQS (and DynamoDB unless DYNAMODB_ENDPOINT_URL is set). Empty means real AWS; the local default
       * is the stack's LocalStack (SNS and SQS only: DynamoDB is dynoxide's, below).
       */
      endpoint: env.AWS_ENDPOINT_URL === '' ? undefined : url(env, 'AWS_ENDPOINT_URL', 'http://127.0.0.1:5000'),
      /**
       * DynamoDB and DynamoDB Streams. Locally dynoxide (a persistent, faster DynamoDB with Streams), on its
       * own port. When unset: dynoxide's default port if AWS_ENDPOINT_URL is unset too; else whatever
       * AWS_ENDPOINT_URL names (one endpoint for everything, e.g. moto alone or real AWS; not the stack's
       * LocalStack, which serves no DynamoDB).
       */
      dynamodbEndpoint:
        env.DYNAMODB_ENDPOINT_URL !== undefined && env.DYNAMODB_ENDPOINT_URL !== ''
          ? url(env, 'DYNAMODB_ENDPOINT_URL', '')
          : env.AWS_ENDPOINT_URL === undefined
            ? 'http://127.0.0.1:8000'
            : env.AWS_ENDPOINT_URL === ''
              ? undefined
              : url(env, 'AWS_ENDPOINT_URL', ''),
      /**
       * The event store's moto workarounds (eventstore/dynamodb-emulator.ts; platform/runtime.ts `eventStore`):
       * `auto` turns them on when DynamoDB is served by the same endpoint as SNS/SQS (taken to be a moto serving
       * everything), off for dynoxide (the local stack's DynamoDB, beside LocalStack's SNS/SQS) and real AWS.
       */
      motoWorkarounds: oneOf(env, 'DYNAMODB_MOTO_WORKAROUNDS', ['auto', 'on', 'off'] as const, 'auto'),
      accessKeyId: str(env, 'AWS_ACCESS_KEY_ID', 'test'),
      secretAccessKey: str(env, 'AWS_SECRET_ACCESS_KEY', 'test'),
      /** TCP (and TLS) connect, per attempt: an endpoint that does not accept connections fails fast. */
      connectionTimeoutMs: int(env, 'AWS_CONNECTION_TIMEOUT_MS', 1000, 100, 60000),
      /** Per attempt, socket idle: an endpoint that accepts but never answers fails instead of hanging (SQS long polls get their wait on top). */
      requestTimeoutMs: int(env, 'AWS_REQUEST_TIMEOUT_MS', 5000, 100, 120000),
    },
    mongo: {
      uri: url(env, 'MONGODB_URI', 'mongodb://127.0.0.1:27017'),
      /** Database name prefix: each service gets its own database, `<prefix>_<service>`. */
      db: str(env, 'MONGODB_DB', 'rr'),
      /**
       * Longest wait for a server's answer (socket read) and for a pooled connection, so a hung server is
       * an error (503 at the API), never a hang. Raise it for processes that run long operations.
       */
      timeoutMs: int(env, 'MONGODB_TIMEOUT_MS', 1800, 100, 600000),
      /**
       * How long to look for a server that is down before giving up. The driver retries a read once after
       * a network error, so a hung server costs timeoutMs + this: under 3 s by default.
       */
      serverSelectionTimeoutMs: int(env, 'MONGODB_SERVER_SELECTION_TIMEOUT_MS', 1000, 100, 600000),
    },
    pipeline: {
      /** Dead letters go back to their queue in rounds: first after this long, doubling while they return… */
      redriveBaseMs: int(env, 'DLQ_REDRIVE_BASE_MS', 30_000, 1),
      /** …up to this long between rounds. */
      redriveMaxMs: int(env, 'DLQ_REDRIVE_MAX_MS', 900_000, 1),
    },
    temporal: {
      address: hostPort(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233'),
      namespace: str(env, 'TEMPORAL_NAMESPACE', 'default'),
      uiUrl: url(env, 'TEMPORAL_UI_URL', 'http://127.0.0.1:8233'),
      taskQueue: str(env, 'TEMPORAL_TASK_QUEUE', 'reservations'),
      connectTimeoutMs: int(env, 'TEMPORAL_CONNECT_TIMEOUT_MS', 5000, 100, 120000),
      /**
       * Deadline of every API call to Temporal that has none of its own (a placement sets its own): a
       * frontend that does not answer is an error within this, not a hang.
       */
      rpcDeadlineMs: int(env, 'TEMPORAL_RPC_DEADLINE_MS', 10000, 100, 120000),
      ...temporalSecurity(env),
    },
    worker: {
      maxConcurrentActivities: int(env, 'WORKER_MAX_ACTIVITIES', 100, 1, 10000),
      maxConcurrentWorkflowTasks: int(env, 'WORKER_MAX_WORKFLOW_TASKS', 100, 1, 10000),
      /** A prebuilt workflow bundle (bundleWorkflowCode output); unset: the worker bundles workflows/ at start. */
      bundlePath: env.WORKFLOW_BUNDLE_PATH || undefined,
    },
    auth: {
      issuer: str(env, 'AUTH_ISSUER', 'restaurant-reservations'),
      audience: str(env, 'AUTH_AUDIENCE', 'restaurant-reservations-api'),
      tokenTtlSeconds: int(env, 'AUTH_TOKEN_TTL_SECONDS', 900, 30, 86400),
      /** PEM/JWK JSON of the signing key pair; when unset a pair is created under the data dir on first start. */
      privateJwk: env.AUTH_PRIVATE_JWK,
      jwksUrl: env.AUTH_JWKS_URL,
      /** Per client address and API process (in memory). */
      limits: {
        signUpsPerIp: int(env, 'AUTH_SIGNUPS_PER_IP', 20, 1),
        signUpWindowSeconds: int(env, 'AUTH_SIGNUP_WINDOW_SECONDS', 600, 1, 86400),
        loginAttemptsPerIp: int(env, 'AUTH_LOGIN_ATTEMPTS_PER_IP', 50, 1),
        loginIpWindowSeconds: int(env, 'AUTH_LOGIN_IP_WINDOW_SECONDS', 60, 1, 86400),
        loginFailuresPerAccountAndIp: int(env, 'AUTH_LOGIN_FAILURES_PER_ACCOUNT_IP', 10, 1),
        loginFailureWindowSeconds: int(env, 'AUTH_LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86400),
      },
      /**
       * scrypt cost of new password hashes (default: OWASP's baseline, DEFAULT_SCRYPT). Each hash stores
       * its own parameters, so changing these leaves existing passwords valid.
       */
      passwordHash: {
        N: powerOfTwo(env, 'AUTH_SCRYPT_N', DEFAULT_SCRYPT.N, 2 ** 10, 2 ** 20),
        r: int(env, 'AUTH_SCRYPT_R', DEFAULT_SCRYPT.r, 1, 32),
        p: int(env, 'AUTH_SCRYPT_P', DEFAULT_SCRYPT.p, 1, 16),
      },
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;
