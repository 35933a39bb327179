import fs from 'node:fs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { Config } from './config';

/**
 * TLS and API key for a connection (the client's and the worker's take the same): the certificate files read
 * now, so a rotated certificate is picked up by the next connection. Nothing for the local dev server.
 */
export function temporalSecurity(config: Pick<Config, 'temporal'>): { tls?: TLSConfig; apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  const read = (file: string): Buffer => fs.readFileSync(file);
  return {
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.caFile ? { serverRootCACertificate: read(tls.caFile) } : {}),
            ...(tls.certFile && tls.keyFile ? { clientCertPair: { crt: read(tls.certFile), key: read(tls.keyFile) } } : {}),
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
