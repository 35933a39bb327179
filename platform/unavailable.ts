/**
 * Which errors mean "a dependency is down or too slow" (→ 503 with Retry-After), as opposed to a bug
 * (→ 500). Recognised by name and code rather than `instanceof`, so an error from a second copy of a
 * driver, or one wrapped as the `cause` of another, is still recognised.
 *
 * - MongoDB driver 6: server selection failed (down), network errors and timeouts (hung), the client-side
 *   operation timeout (`timeoutMS`, CSOT), a pool cleared or closed under us.
 * - AWS SDK v3: the request handler's connection/request timeouts, refused or reset connections,
 *   throttling, and 5xx answers (`$fault: 'server'`).
 * - Temporal client: gRPC UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED / CANCELLED, and an update whose RPC
 *   timed out.
 * - Fastify: the handler timeout (the last safety net, `handlerTimeout`).
 */

const MONGO_UNAVAILABLE = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoOperationTimeoutError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoWaitQueueTimeoutError',
]);

const AWS_UNAVAILABLE = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
]);

/** Node socket errors: nothing listens, the peer went away, or it never answered. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * gRPC status codes: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE, and CANCELLED: the API never cancels a
 * Temporal call itself, but grpc-js reports a call whose deadline ran out while the SDK's retry interceptor
 * waited to retry as "1 CANCELLED: Call cancelled" (seen 4 times in 60 calls at a 1 ms deadline on a busy
 * machine), which is the same outage.
 */
const GRPC_UNAVAILABLE = new Set([1, 4, 8, 14]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $metadata?: unknown;
}

/** Which dependency failed, for the problem detail and the log; null when the error is not an outage. */
export function unavailableDependency(err: unknown): 'database' | 'event store' | 'workflow engine' | 'the server' | null {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as ErrorLike).cause) {
    seen.add(e);
    const { name, code, $fault, $metadata } = e as ErrorLike;
    if (typeof name === 'string' && MONGO_UNAVAILABLE.has(name)) return 'database';
    if (code === 'FST_ERR_HANDLER_TIMEOUT') return 'the server';
    if (typeof name === 'string' && name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'workflow engine';
    // @temporalio/client's ServiceError wraps the gRPC error, whose `code` is a number
    if (typeof code === 'number' && GRPC_UNAVAILABLE.has(code) && 'details' in e) return 'workflow engine';
    // smithy's own request/connection timeout is a plain Error named TimeoutError (no $metadata when it is not retried)
    if (name === 'TimeoutError') return 'event store';
    const aws = $metadata !== undefined && typeof $metadata === 'object';
    if (aws && ($fault === 'server' || (typeof name === 'string' && AWS_UNAVAILABLE.has(name)))) return 'event store';
    // the AWS SDK rejects with the socket's own error; the Mongo and Temporal clients wrap theirs (matched above)
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'event store';
  }
  return null;
}
