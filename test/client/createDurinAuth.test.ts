import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, httpBatchLink, TRPCClientError, wsLink } from '@trpc/client';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createDurinAuth, type DurinAuthState, type DurinAuthStorage } from '../../src/client/index.js';
import type { DurinSettings } from '../../src/index.js';
import { createSubscriptionApp, type SubscriptionApp, type SubscriptionRouter } from '../subscriptions/harness.js';
import { createTestApp, type TestApp, type TestRouter } from '../helpers/app.js';

/**
 * trpc-durin/client against real servers: httpBatchLink over the standalone adapter, wsLink over a
 * ws server. The server counts the procedures it is asked for, so "one refresh" and "no retry" are
 * what reached it.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function sharedStorage(): DurinAuthStorage & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (k) => values.get(k) ?? null,
    setItem: (k, v) => void values.set(k, v),
    removeItem: (k) => void values.delete(k),
  };
}

async function serve(app: TestApp | SubscriptionApp, withWs = false) {
  const calls: string[] = [];
  const handler = createHTTPHandler({ router: app.router as TestRouter, createContext: app.createContext });
  const server: Server = createServer((req, res) => {
    calls.push(...decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1)).split(','));
    return handler(req, res);
  });
  const wss = withWs ? new WebSocketServer({ server }) : null;
  const wssHandler = wss ? applyWSSHandler({ wss, router: app.router as SubscriptionRouter, createContext: app.createContext }) : null;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    wssHandler?.broadcastReconnectNotification();
    for (const socket of wss?.clients ?? []) socket.terminate();
    wss?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });
  return { url, calls, count: (path: string) => calls.filter((call) => call === path).length };
}

async function setup(settings: DurinSettings = {}, client: { tokenTtl?: string; throttleRate?: string } = {}) {
  const app = await createTestApp({ settings: { loginThrottleRate: null, ...settings } });
  await app.durin.clients.create({ name: 'web', ...client });
  const user = await app.createUser({ username: `u${Math.random().toString(36).slice(2, 8)}`, password: 'pw' });
  const served = await serve(app);
  return { app, user, ...served };
}

function clientFor(url: string, options: Parameters<typeof createDurinAuth>[0] = {}) {
  const auth = createDurinAuth(options);
  cleanups.push(() => auth.close());
  const client = createTRPCClient<TestRouter>({
    // TestRouter's transformer is chosen per app at run time, so its type does not know superjson.
    links: [auth.link(), httpBatchLink<TestRouter>({ url, transformer: superjson as never, headers: auth.headers })],
  });
  return { auth, client };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('createDurinAuth over httpBatchLink', () => {
  test('login is stored and its token attached; logout signs out', async () => {
    const { url, user } = await setup();
    const storage = sharedStorage();
    const { auth, client } = clientFor(url, { storage });
    const seen: DurinAuthState[] = [];
    auth.onChange((state) => seen.push(state));
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    expect(auth.state.status).toBe('signedIn');
    expect(auth.headers().authorization).toMatch(/^Token [0-9a-f]{72}$/);
    expect(JSON.parse(storage.values.get('trpc-durin')!)).toMatchObject({ token: expect.any(String) });
    expect(await client.me.query()).toMatchObject({ username: user.username });
    await client.auth.logout.mutate();
    expect(auth.state).toEqual({ status: 'signedOut', reason: 'logout' });
    expect(auth.headers()).toEqual({});
    expect(storage.values.has('trpc-durin')).toBe(false);
    expect(seen.map((state) => state.status)).toEqual(['signedIn', 'signedOut']);
  });

  test('an UNAUTHORIZED TOKEN_INVALID signs out with that reason', async () => {
    const { url, user, app } = await setup();
    const { auth, client } = clientFor(url);
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    await app.durin.tokens.revokeAll(user);
    const error = await client.me.query().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(auth.state).toEqual({ status: 'signedOut', reason: 'TOKEN_INVALID' });
    expect(auth.headers()).toEqual({});
  });

  test('operations near the expiry share one refresh', async () => {
    const { url, user, count } = await setup({}, { tokenTtl: '1h' });
    const { auth, client } = clientFor(url, { renewBefore: '2h' });
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    const before = auth.state.expiry!.getTime();
    const results = await Promise.all(Array.from({ length: 8 }, () => client.me.query()));
    expect(results).toHaveLength(8);
    expect(count('auth.refresh')).toBe(1);
    expect(count('me')).toBe(8);
    expect(auth.state.expiry!.getTime()).toBeGreaterThanOrEqual(before);
  });

  test('no refresh while the expiry is far', async () => {
    const { url, user, count } = await setup({}, { tokenTtl: '1h' });
    const { client } = clientFor(url, { renewBefore: '5m' });
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    await Promise.all([client.me.query(), client.me.query()]);
    expect(count('auth.refresh')).toBe(0);
  });

  test('a throttled query is retried once after Retry-After', async () => {
    const { url, user, count } = await setup({}, { throttleRate: '1/s' });
    const { client } = clientFor(url);
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    expect(await client.throttled.query()).toBe('throttled');
    expect(await client.throttled.query()).toBe('throttled');
    expect(count('throttled')).toBe(3);
  });

  test('a wait beyond maxRetryAfter is not retried; the error carries retryAfter', async () => {
    const { url, user, count } = await setup({}, { throttleRate: '1/m' });
    const { client } = clientFor(url, { maxRetryAfter: '10s' });
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    await client.throttled.query();
    const error = (await client.throttled.query().catch((caught: unknown) => caught)) as TRPCClientError<TestRouter> & {
      retryAfter?: number;
    };
    expect(error.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(error.retryAfter).toBeGreaterThan(10);
    expect(error.retryAfter).toBeLessThanOrEqual(60);
    expect(count('throttled')).toBe(2);
  });

  test('a throttled mutation is never retried', async () => {
    const { url, user, count } = await setup({ loginThrottleRate: '1/m' });
    const { client } = clientFor(url, { maxRetryAfter: '120s' });
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    const error = (await client.auth.login
      .mutate({ username: user.username, password: 'pw', client: 'web' })
      .catch((caught: unknown) => caught)) as {
      retryAfter?: number;
      data?: { code?: string };
    };
    expect(error.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(typeof error.retryAfter).toBe('number');
    expect(count('auth.login')).toBe(2);
  });

  test('cookie mode keeps only the expiry', async () => {
    const { url, user } = await setup({ cookie: { secure: false } });
    const storage = sharedStorage();
    const { auth, client } = clientFor(url, { storage });
    await client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web', transport: 'cookie' });
    expect(auth.state.status).toBe('signedIn');
    expect(auth.headers()).toEqual({});
    expect(JSON.parse(storage.values.get('trpc-durin')!)).toEqual({ token: null, expiry: auth.state.expiry!.toISOString() });
  });

  test('a sign-in and a sign-out reach another tab sharing the storage', async () => {
    const { url, user } = await setup();
    const storage = sharedStorage();
    const tabA = clientFor(url, { storage });
    const tabB = clientFor(url, { storage });
    await tabA.client.auth.login.mutate({ username: user.username, password: 'pw', client: 'web' });
    await until(() => tabB.auth.state.status === 'signedIn', 'tab B to sign in');
    expect(await tabB.client.me.query()).toMatchObject({ username: user.username });
    await tabA.client.auth.logout.mutate();
    await until(() => tabB.auth.state.status === 'signedOut', 'tab B to sign out');
    expect(tabB.auth.headers()).toEqual({});
  });
});

describe('createDurinAuth with wsLink', () => {
  test('attach reconnects the WebSocket with the new token', async () => {
    const app = await createSubscriptionApp({ settings: { loginThrottleRate: null } });
    await app.durin.clients.create({ name: 'web' });
    const ann = await app.createUser({ username: 'ann-ws', password: 'pw' });
    const bob = await app.createUser({ username: 'bob-ws', password: 'pw' });
    const { url } = await serve(app, true);
    const auth = createDurinAuth();
    cleanups.push(() => auth.close());
    const http = createTRPCClient<SubscriptionRouter>({
      links: [auth.link(), httpBatchLink({ url, transformer: superjson, headers: auth.headers })],
    });
    const wsClient = createWSClient({
      url: url.replace('http', 'ws'),
      connectionParams: auth.connectionParams,
      WebSocket: WebSocket as never,
      retryDelayMs: () => 10,
    });
    cleanups.push(() => void wsClient.close());
    auth.attach(wsClient);
    const ws = createTRPCClient<SubscriptionRouter>({ links: [auth.link(), wsLink({ client: wsClient, transformer: superjson })] });
    const whoOnWs = () =>
      ws.me.query().then(
        (me) => me.username,
        () => null,
      );

    expect(await whoOnWs()).toBeNull();
    await http.auth.login.mutate({ username: ann.username, password: 'pw', client: 'web' });
    await until(async () => (await whoOnWs()) === ann.username, 'the socket to authenticate as ann');
    await http.auth.login.mutate({ username: bob.username, password: 'pw', client: 'web' });
    await until(async () => (await whoOnWs()) === bob.username, 'the socket to authenticate as bob');
  });
});
