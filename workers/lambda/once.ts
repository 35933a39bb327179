/**
 * Module-scope state of a Lambda container: built on the first invocation (never at import, so importing
 * an entry point reaches no network) and reused by every later one. A failed build is forgotten, so the
 * next invocation tries again instead of the container failing for good.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
