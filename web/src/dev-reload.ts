/**
 * Dev builds only (`npm run web:dev`): reload the page when a rebuild names new assets in index.html.
 * Polling the page's own origin keeps the Content-Security-Policy as strict as in production.
 */
export function reloadOnRebuild(intervalMs = 1000): void {
  const current = (html: string) => [...html.matchAll(/\/assets\/[^"]+/g)].map((m) => m[0]).join(' ');
  let seen: string | undefined;
  const tick = async () => {
    const ctl = new AbortController();
    const deadline = setTimeout(() => ctl.abort(), 5000);
    try {
      const res = await fetch('/', { cache: 'no-store', signal: ctl.signal });
      const assets = current(await res.text());
      if (seen !== undefined && assets && assets !== seen) location.reload();
      seen = assets || seen;
    } catch {
      /* the API is restarting: try again */
    } finally {
      clearTimeout(deadline);
    }
    setTimeout(() => void tick(), intervalMs);
  };
  void tick();
}
