/**
 * For route tests without tokens: the caller is whoever the `x-test-user` header names. Registered like the
 * real auth plugin (not encapsulated), so every route of the app sees `request.caller`.
 */
import type { RoutePlugin } from '../api/server';

export const testAuth: RoutePlugin = async (app) => {
  if (!app.hasRequestDecorator('caller')) app.decorateRequest('caller', undefined);
  app.addHook('onRequest', async (request) => {
    const user = request.headers['x-test-user'];
    if (typeof user === 'string') request.caller = { userId: user, email: `${user}@example.test`, roles: ['customer'] };
  });
};
(testAuth as RoutePlugin & Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
