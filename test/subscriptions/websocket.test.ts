import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getDurinCode } from '../../src/index.js';
import { unique } from '../helpers/time.js';
import { createSubscriptionApp, startSubscriptionServer, watch, within, type SubscriptionApp, type SubscriptionServer } from './harness.js';

/**
 * Subscriptions over a real `ws` server sharing the HTTP server's port, with tRPC's wsLink and
 * connectionParams: a connection never outlives its token.
 */

let app: SubscriptionApp;
const servers: Record<'cached' | 'uncached', SubscriptionServer> = {} as never;

beforeAll(async () => {
  app = await createSubscriptionApp({ settings: { apiAccessClientName: 'api' } });
  servers.uncached = await startSubscriptionServer(app);
  servers.cached = await startSubscriptionServer(app, { cached: true });
  await app.durin.clients.create({ name: 'api' });
});
afterAll(async () => {
  await servers.uncached?.close();
  await servers.cached?.close();
  await app?.close();
});

async function loggedIn(ttl?: number) {
  const user = await app.createUser();
  const clientName = unique('web');
  await app.durin.clients.create({ name: clientName, ...(ttl ? { tokenTtl: ttl } : {}) });
  const { token, auth } = await app.durin.tokens.issue(user, clientName);
  return { user, clientName, token, auth };
}

describe.each(['uncached', 'cached'] as const)('WebSocket, %s context', (kind) => {
  test('connectionParams authenticate queries and subscriptions', async () => {
    const { user, token } = await loggedIn();
    const ws = servers[kind].ws(`Token ${token}`);
    try {
      expect(await ws.client.me.query()).toMatchObject({ username: user.username });
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await ticks.received(2);
      expect(ticks.data.slice(0, 2)).toEqual([0, 1]);
      ticks.unsubscribe();
    } finally {
      await ws.close();
    }
  });

  test('a query on the same connection after logout fails with "Invalid token."', async () => {
    const { token } = await loggedIn();
    const ws = servers[kind].ws(`Token ${token}`);
    try {
      await ws.client.me.query();
      await servers[kind].http(token).auth.logout.mutate();
      const error = await ws.client.me.query().catch((e: unknown) => e as { message: string; data: { code: string } });
      expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' } });
    } finally {
      await ws.close();
    }
  });

  const reasons: Array<[string, (ctx: Awaited<ReturnType<typeof loggedIn>>) => Promise<unknown>]> = [
    ['logout', ({ token }) => servers[kind].http(token).auth.logout.mutate()],
    [
      'logoutAll from another session',
      async ({ user }) => {
        const other = await app.durin.tokens.issue(user, 'api');
        return servers[kind].http(other.token).auth.logoutAll.mutate();
      },
    ],
    [
      'sessions.revoke from another session',
      async ({ user, auth }) => {
        const other = await app.durin.tokens.issue(user, 'api');
        return servers[kind].http(other.token).auth.sessions.revoke.mutate({ id: Number(auth.id) });
      },
    ],
    ['apiAccess.revoke of the API key itself', async ({ token }) => servers[kind].http(token).auth.apiAccess.revoke.mutate()],
    ['rotation (a new login on the same client)', ({ user, clientName }) => app.durin.tokens.issue(user, clientName)],
    ['clients.delete', ({ clientName }) => app.durin.clients.delete(clientName)],
    ['tokens.revoke', ({ auth }) => app.durin.tokens.revoke(auth)],
  ];

  test.each(reasons)('an open subscription ends with "Invalid token." within 1 s after %s', async (name, revoke) => {
    const session = await loggedIn();
    if (name.startsWith('apiAccess')) {
      const key = await app.durin.tokens.issue(session.user, 'api');
      Object.assign(session, { token: key.token, auth: key.auth });
    }
    const ws = servers[kind].ws(`Token ${session.token}`);
    try {
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await ticks.received(1);
      await revoke(session);
      const error = await within(1000, ticks.error, 'the end of the subscription');
      expect(error.message).toBe('Invalid token.');
      expect(error.data).toMatchObject({ code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' });
      // The stream stopped: nothing more arrives. A real wait: no tick (one every 50 ms) over a window is what is shown.
      const seen = ticks.data.length;
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(ticks.data.length).toBe(seen);
      expect(app.durin.subscriptions.open).toBe(0);
    } finally {
      await ws.close();
    }
  });
});

describe('WebSocket: who the connection is', () => {
  test('an anonymous connection gets "Authentication credentials were not provided."', async () => {
    const ws = servers.uncached.ws(null);
    try {
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      const error = await ticks.error;
      expect(error).toMatchObject({
        message: 'Authentication credentials were not provided.',
        data: { code: 'UNAUTHORIZED', durinCode: 'NOT_AUTHENTICATED' },
      });
      expect(await ws.client.auth.sessions.list.query().catch((e: { message: string }) => e.message)).toBe(
        'Authentication credentials were not provided.',
      );
    } finally {
      await ws.close();
    }
  });

  test.each([
    ['Token', 'Invalid token header. No credentials provided.', 'HEADER_MALFORMED'],
    ['Token a b', 'Invalid token header. Token string should not contain spaces.', 'HEADER_MALFORMED'],
    ['Token nope', 'Invalid token.', 'TOKEN_INVALID'],
    [`Token ${'a'.repeat(5000)}`, 'Invalid token.', 'TOKEN_INVALID'],
  ])("connectionParams.authorization %# gets durin's message", async (authorization, message, durinCode) => {
    // Each on its own connection: the server closes a connection once it has refused its token.
    const ws = servers.uncached.ws(authorization);
    const forSubscription = servers.uncached.ws(authorization);
    try {
      const error = await ws.client.me.query().catch((e: { message: string; data: unknown }) => e);
      expect(error).toMatchObject({ message, data: { code: 'UNAUTHORIZED', durinCode } });
      const ticks = watch<number>((input, handlers) => forSubscription.client.ticks.subscribe(input, handlers));
      expect((await ticks.error).message).toBe(message);
    } finally {
      await ws.close();
      await forSubscription.close();
    }
  });

  test('the Authorization header of the upgrade request wins over connectionParams', async () => {
    const { createContext } = app;
    const { token, user } = await loggedIn();
    const ctx = await createContext({
      req: { headers: { authorization: `Token ${token}` }, socket: { remoteAddress: '127.0.0.1' } },
      // The ws adapter's `res` is the socket.
      res: { ping() {}, terminate() {}, readyState: 1 },
      info: { connectionParams: { authorization: 'Token nope' } },
    } as never);
    expect((ctx.user as { username: string } | null)?.username).toBe(user.username);
    expect(getDurinCode(null)).toBeNull();
  });
});
