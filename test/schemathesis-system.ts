/**
 * Starts the system on its own prefix for a manual schemathesis run, prints the API URL and a signed-in
 * user's token, and stops (dropping its resources) on SIGINT/SIGTERM:
 *
 *   npx tsx test/schemathesis-system.ts
 */
import { signUp, startSystem } from './system';
import { SCHEMATHESIS_ENV } from './schemathesis-env';

async function main(): Promise<void> {
  const sys = await startSystem({ apis: 1, workers: 1, env: SCHEMATHESIS_ENV });
  const user = await signUp(sys.apis[0]!.url, 'fuzz');
  console.log(JSON.stringify({ url: sys.apis[0]!.url, token: user.token, logDir: sys.logDir }));
  const stop = () => void sys.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
