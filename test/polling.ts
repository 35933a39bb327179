/** Waiting in tests: a free port to start a server on, and polling until a condition holds. */
import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nothing listens on now (on loopback). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns without throwing and (if it returns a boolean) returns true; the last error is rethrown. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = new Error(`condition not met within ${timeoutMs} ms`);
  for (;;) {
    try {
      const v = await fn();
      if (v !== false) return v;
      last = new Error(`condition still false after ${timeoutMs} ms`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last;
    await sleep(intervalMs);
  }
}
