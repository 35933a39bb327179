import { BackgroundLoop } from './background-loop';

describe('BackgroundLoop', () => {
  it('stop wakes every sleep in progress and waits for the body to finish', async () => {
    const woke: string[] = [];
    const loop: BackgroundLoop = new BackgroundLoop(async () => {
      // two sleeps at once, as the SQS consumer runner has when a pause overlaps its batching window
      const side = loop.sleep(60_000).then(() => woke.push('side'));
      await loop.sleep(60_000);
      woke.push('main');
      await side;
    });
    loop.start();
    const started = Date.now();
    await loop.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(woke.sort()).toEqual(['main', 'side']);
    expect(loop.stopping).toBe(true);
  });

  it('runs the body again after a stop and a new start', async () => {
    let runs = 0;
    const loop: BackgroundLoop = new BackgroundLoop(async () => {
      runs++;
      while (!loop.stopping) await loop.sleep(60_000);
    });
    loop.start();
    loop.start(); // already running: no second body
    await loop.stop();
    loop.start();
    expect(loop.stopping).toBe(false);
    await loop.stop();
    expect(runs).toBe(2);
  });
});
