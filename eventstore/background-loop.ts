/**
 * The start/stop/sleep of a long-running polling loop (the forwarder's stream runner, the dead-letter
 * redriver): `start` runs the body once until `stop`; `stop` wakes a sleep and waits for the pass in flight
 * to finish. The body checks `stopping` between steps and sleeps with `sleep`.
 */
export class BackgroundLoop {
  private running: Promise<void> | undefined;
  private stopRequested = false;
  private wake: (() => void) | undefined;

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
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  /** Waits `ms`, or less if `stop` is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
