/** Small shared pieces: the error alert, a labelled field, a page heading that takes focus. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { problemLines, problemOf, type Problem } from './problem';

/** The API's problem details as they say them, announced to screen readers (role=alert). */
export function Alert({ problem }: { problem: Problem | null | undefined }) {
  if (!problem) return null;
  const [title, ...rest] = problemLines(problem);
  return (
    <div role="alert" class="alert">
      <strong>{title}</strong>
      {rest.map((line) => (
        <p>{line}</p>
      ))}
    </div>
  );
}

export const asProblem = problemOf;

/** The page's h1; it takes focus when the page opens, so keyboard and screen-reader users start there. */
export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function Status({ status }: { status: string }) {
  return (
    <span class={`status status-${status}`} data-status={status}>
      {status}
    </span>
  );
}

export function Loading() {
  return <p aria-live="polite">Loading…</p>;
}

/**
 * One user action against the API: `busy` while it runs (its button disabled), and its failure shown as the
 * API's problem. `run` clears the last problem first; `setProblem` is there for what the page checks itself.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, setProblem, run };
}
