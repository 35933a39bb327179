import fs from 'node:fs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { Config } from './config';

/**
 * TLS and API key for a connection (the client's and the worker's take the same): PEM text as given, the
 * certificate files read now, so a rotated certificate is picked up by the next connection. Nothing for the
 * local dev server.
 */
export function temporalSecurity(config: Pick<Config, 'temporal'>): { tls?: TLSConfig; apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  // config allows one of the two per item, never an empty one
  const pem = (text: string | undefined, file: string | undefined): Buffer | undefined =>
    text ? Buffer.from(text) : file ? fs.readFileSync(file) : undefined;
  const ca = tls && pem(tls.caPem, tls.caFile);
  const crt = tls && pem(tls.certPem, tls.certFile);
  const key = tls && pem(tls.keyPem, tls.keyFile);
  return {
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(ca ? { serverRootCACertificate: ca } : {}),
            ...(crt && key ? { clientCertPair: { crt, key } } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * Gives every call without a deadline of its own one `ms` from now. The Temporal client sets none by
 * default, so a frontend that accepts connections but never answers would hold a request forever. Calls
 * that set their own (Connection.withDeadline, e.g. the placement deadline) keep theirs. First in the
 * chain, so the SDK's retries happen within the same deadline.
 */
export function defaultDeadline(ms: number): GrpcInterceptor {
  // the next call itself is the whole interceptor: grpc-js only uses its InterceptingCallInterface methods,
  // so no InterceptingCall wrapper (and no direct @grpc/grpc-js import) is needed
  return (options, nextCall) =>
    nextCall(options.deadline === undefined ? { ...options, deadline: Date.now() + ms } : options) as ReturnType<GrpcInterceptor>;
}

/**
 * The client the API uses. `rpcDeadlineMs` bounds each call that has no deadline of its own; long polls
 * are not made through this client (workers use their own native connection).
 */
export async function connectTemporal(config: Pick<Config, 'temporal'>, opts: { rpcDeadlineMs?: number } = {}): Promise<Client> {
  const connection = await Connection.connect({
    address: config.temporal.address,
    connectTimeout: config.temporal.connectTimeoutMs,
    ...temporalSecurity(config),
    ...(opts.rpcDeadlineMs === undefined
      ? {}
      : { interceptors: [defaultDeadline(opts.rpcDeadlineMs), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] }),
  });
  return new Client({ connection, namespace: config.temporal.namespace });
}
