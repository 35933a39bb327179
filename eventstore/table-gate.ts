/**
 * A readers/writer gate: exclusive work runs one at a time and alone, shared work runs side by side (and
 * waits while exclusive work is queued or running). The emulator workarounds (dynamodb-emulator.ts) hold one
 * per table: transactions exclusive, single puts shared.
 */
export class TableGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly puts = new Set<Promise<unknown>>();
  /** Transactions queued or running. */
  private transactions = 0;
  /** Puts waiting for transactions to finish. */
  private waiting = 0;

  get idle(): boolean {
    return this.transactions === 0 && this.waiting === 0 && this.puts.size === 0;
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.transactions++;
    // puts already running when our turn comes must finish first; later ones wait for us (transactions > 0)
    const run = this.tail.then(async () => {
      await Promise.allSettled([...this.puts]);
      return fn();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.transactions--;
    }
  }

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.transactions > 0) {
      this.waiting++;
      try {
        while (this.transactions > 0) await this.tail;
      } finally {
        this.waiting--;
      }
    }
    // registered in the same tick as the check, so a transaction queued from now on waits for this put
    const p = fn();
    this.puts.add(p);
    try {
      return await p;
    } finally {
      this.puts.delete(p);
    }
  }
}
