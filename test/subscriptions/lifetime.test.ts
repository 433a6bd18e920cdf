import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unique, useClock } from '../helpers/time.js';
import { createSubscriptionApp, startSubscriptionServer, watch, within, type SubscriptionApp, type SubscriptionServer } from './harness.js';

/**
 * a subscription ends at its token's expiry (a timer, no polling), refresh pushes the
 * deadline out, and 1 000 subscriptions opened and closed leave no listener or timer behind.
 */

let app: SubscriptionApp;
let server: SubscriptionServer;
const clock = useClock();

beforeAll(async () => {
  app = await createSubscriptionApp();
  server = await startSubscriptionServer(app);
});
afterAll(async () => {
  await server?.close();
  await app?.close();
});

/** A token of a client whose TTL is `ttl` seconds. */
async function loggedIn(ttl = 3600) {
  const user = await app.createUser();
  const clientName = unique('web');
  await app.durin.clients.create({ name: clientName, tokenTtl: ttl });
  return { user, clientName, ...(await app.durin.tokens.issue(user, clientName)) };
}

describe('expiry', () => {
  test.each(['ws', 'sse'] as const)('a %s subscription of a 2 s token ends with "The given token has expired."', async (transport) => {
    const { token, auth } = await loggedIn(2);
    const expired: unknown[] = [];
    const onExpired = (event: unknown) => expired.push(event);
    app.durin.events.on('tokenExpired', onExpired);
    const connection = server[transport](`Token ${token}`);
    try {
      const ticks = watch<number>((input, handlers) => connection.client.ticks.subscribe(input, handlers));
      await ticks.received(1);
      const error = await within(4000, ticks.error, 'the end at expiry');
      expect(error).toMatchObject({ message: 'The given token has expired.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_EXPIRED' } });
      // It ended at the expiry, not before; and as over HTTP, the expired row is gone and reported.
      expect(Date.now()).toBeGreaterThan(auth.expiry.getTime());
      expect(await app.durin.models.AuthToken.count({ where: { id: auth.id } })).toBe(0);
      expect(expired).toHaveLength(1);
      await expect.poll(() => app.durin.subscriptions.watchedTokens).toBe(0);
    } finally {
      app.durin.events.off('tokenExpired', onExpired);
      await connection.close();
    }
  });

  test('refresh pushes the deadline out; the subscription then ends at the new expiry', async () => {
    const { token, auth } = await loggedIn(2);
    const ws = server.ws(`Token ${token}`);
    try {
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await ticks.received(1);
      // A real wait: the end is a real timer armed from the expiry, so the token must age on the real clock (a
      // Date-only fake clock would stand still while that timer runs) before refresh moves the deadline.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const { expiry } = await ws.client.auth.refresh.mutate();
      let ended = false;
      void ticks.error.then(() => (ended = true));
      // Past the first expiry, the stream still runs.
      while (Date.now() <= auth.expiry.getTime() + 300) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(ended).toBe(false);
      const count = ticks.data.length;
      await ticks.received(count + 1);
      const error = await within(3000, ticks.error, 'the end at the new expiry');
      expect(error.message).toBe('The given token has expired.');
      expect(Date.now()).toBeGreaterThan(expiry.getTime());
    } finally {
      await ws.close();
    }
  });

  test('a query on the connection after expiry fails as over HTTP: expired first, then invalid', async () => {
    const { token } = await loggedIn(60);
    const ws = server.ws(`Token ${token}`);
    // The server closes the first connection once it has refused the token: the second query comes on a new one.
    const again = server.ws(`Token ${token}`);
    try {
      await ws.client.me.query();
      await again.client.me.query();
      clock.travel(61_000);
      const fail = (connection: typeof ws) => connection.client.me.query().catch((e: { message: string }) => e.message);
      expect(await fail(ws)).toBe('The given token has expired.');
      expect(await fail(again)).toBe('Invalid token.');
    } finally {
      await ws.close();
      await again.close();
    }
  });
});

describe('resources', () => {
  test('1 000 subscriptions opened and closed leave no listener or timer behind', async () => {
    const listenersBefore = app.durin.subscriptions.listeners;
    const sessions = await Promise.all(Array.from({ length: 4 }, () => loggedIn()));
    const connections = sessions.map(({ token }) => server.ws(`Token ${token}`));
    try {
      const open = Array.from({ length: 1000 }, (_, i) =>
        watch<string>((input, handlers) => connections[i % connections.length]!.client.quiet.subscribe(input, handlers)),
      );
      await Promise.all(open.map((ticks) => ticks.received(1)));
      expect(app.durin.subscriptions.open).toBe(1000);
      // One listener and one timer per token, not per subscription.
      expect(app.durin.subscriptions.watchedTokens).toBe(4);
      expect(app.durin.subscriptions.listeners).toBe(listenersBefore + 4);
      for (const ticks of open) ticks.unsubscribe();
      await expect.poll(() => app.durin.subscriptions.open, { timeout: 5000 }).toBe(0);
      expect(app.durin.subscriptions.watchedTokens).toBe(0);
      expect(app.durin.subscriptions.listeners).toBe(listenersBefore);
    } finally {
      await Promise.all(connections.map((connection) => connection.close()));
    }
  });

  test('a subscription ended by its token frees its watch', async () => {
    const listenersBefore = app.durin.subscriptions.listeners;
    const { token, auth } = await loggedIn();
    const ws = server.ws(`Token ${token}`);
    try {
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await ticks.received(1);
      await app.durin.tokens.revoke(auth);
      await ticks.error;
      expect(app.durin.subscriptions).toMatchObject({ open: 0, watchedTokens: 0, listeners: listenersBefore });
    } finally {
      await ws.close();
    }
  });
});
