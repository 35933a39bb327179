/**
 * The start/stop/sleep of a long-running polling loop (the forwarder's stream runner, the dead-letter
 * redriver, the local SQS consumer runner): `start` runs the body once until `stop`; `stop` wakes every
 * sleep and waits for the pass in flight to finish. The body checks `stopping` between steps and sleeps
 * with `sleep`.
 */
export class BackgroundLoop {
  private running: Promise<void> | undefined;
  private stopRequested = false;
  /** One per sleep in progress (the consumer runner may sleep in its loop and in a pause at once). */
  private readonly wakes = new Set<() => void>();

  constructor(private readonly body: () => Promise<void>) {}

  get stopping(): boolean {
    return this.stopRequested;
  }

  start(): void {
    if (this.running) return;
    this.stopRequested = false;
    this.running = this.body();
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    for (const wake of this.wakes) wake();
    await this.running;
    this.running = undefined;
  }

  /** Waits `ms`, or less if `stop` is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.wakes.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.wakes.add(wake);
    });
  }
}
