import { afterAll, beforeAll, expect, test } from 'vitest';
import { unique } from '../helpers/time.js';
import { createSubscriptionApp, startSubscriptionServer, watch, within, type SubscriptionApp, type SubscriptionServer } from './harness.js';

/**
 * An administrator's revocation goes through the same funnel as the user's own: the user's open
 * WebSocket subscription ends with "Invalid token." as soon as the admin call returns.
 */

let app: SubscriptionApp;
let server: SubscriptionServer;

beforeAll(async () => {
  app = await createSubscriptionApp({ isAdmin: (user) => user.username.startsWith('admin') });
  server = await startSubscriptionServer(app, { cached: true });
});
afterAll(async () => {
  await server?.close();
  await app?.close();
});

async function login(prefix: string) {
  const user = await app.createUser({ username: unique(prefix) });
  const client = unique('web');
  await app.durin.clients.create({ name: client });
  return { user, ...(await app.durin.tokens.issue(user, client)) };
}

for (const how of ['tokens.revoke', 'users.revokeAll'] as const) {
  test(`${how} by an administrator ends the user's open WebSocket subscription`, async () => {
    const admin = server.http((await login('admin')).token).admin;
    const john = await login('john');
    const ws = server.ws(`Token ${john.token}`);
    try {
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await within(2000, ticks.received(1), 'the first tick');
      if (how === 'tokens.revoke') await admin.tokens.revoke.mutate({ id: Number(john.auth.id) });
      else expect(await admin.users.revokeAll.mutate({ userId: john.user.id })).toEqual({ revoked: 1 });
      const error = await within(1000, ticks.error, 'the end of the subscription');
      expect(error.message).toBe('Invalid token.');
      expect(error.data).toMatchObject({ code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' });
      expect(app.durin.subscriptions.open).toBe(0);
    } finally {
      await ws.close();
    }
  });
}
