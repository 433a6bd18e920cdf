import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  createSubscriptionApp,
  startSubscriptionServer,
  type SubscriptionApp,
  type SubscriptionRouter,
  type SubscriptionServer,
} from './harness.js';

/**
 * The session cookie on the connections that cannot send headers: the WebSocket upgrade request
 * (always checked for its origin, since the socket then carries writes) and SSE. And a session
 * cookie never shows up in a response body, a log line or an event payload.
 */

const TRUSTED = 'https://app.example.com';

describe('cookie sessions on WebSocket and SSE', () => {
  let app: SubscriptionApp;
  let server: SubscriptionServer;
  let token: string;
  const logged: string[] = [];
  const emitted: string[] = [];
  const bodies: string[] = [];

  beforeAll(async () => {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : JSON.stringify(arg))).join(' '));
      });
    }
    app = await createSubscriptionApp({ settings: { cookie: { trustedOrigins: [TRUSTED] } } });
    const emit = app.durin.events.emit.bind(app.durin.events);
    vi.spyOn(app.durin.events, 'emit').mockImplementation(((name: string, payload: unknown) => {
      emitted.push(`${name} ${JSON.stringify(payload)}`);
      return (emit as (n: string, p: unknown) => boolean)(name, payload);
    }) as never);
    await app.durin.clients.create({ name: 'web', tokenTtl: '1h' });
    await app.createUser({ username: 'fay', password: 'pw' });
    server = await startSubscriptionServer(app);
    const response = await fetch(`${server.url}/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(superjson.serialize({ username: 'fay', password: 'pw', client: 'web', transport: 'cookie' })),
    });
    bodies.push(await response.text());
    const line = response.headers.getSetCookie()[0]!;
    token = line.slice('durin_token='.length, line.indexOf(';'));
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    vi.restoreAllMocks();
  });

  /** A wsLink client whose upgrade request carries the cookie (and an Origin, as browsers send). */
  function wsWithCookie(origin: string) {
    const headers = { cookie: `durin_token=${token}`, origin };
    class CookieWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    }
    const wsClient = createWSClient({
      url: server.url.replace('http', 'ws'),
      WebSocket: CookieWebSocket as never,
      retryDelayMs: () => 60_000,
    });
    const client = createTRPCClient<SubscriptionRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    return { client, close: () => wsClient.close() };
  }

  test('a WebSocket from the own origin is authenticated by the cookie', async () => {
    const ws = wsWithCookie(server.url);
    try {
      expect(await ws.client.me.query()).toMatchObject({ username: 'fay' });
    } finally {
      await ws.close();
    }
  });

  test('a WebSocket from a trusted origin is authenticated by the cookie', async () => {
    const ws = wsWithCookie(TRUSTED);
    try {
      expect(await ws.client.me.query()).toMatchObject({ username: 'fay' });
    } finally {
      await ws.close();
    }
  });

  test('a cross-site WebSocket is refused as CSRF_FAILED', async () => {
    const ws = wsWithCookie('https://evil.example');
    try {
      const error = await ws.client.me.query().then(
        () => null,
        (caught: unknown) => caught as { data?: { durinCode?: string; code?: string }; message: string },
      );
      expect(error?.message).toBe('Cross-site request refused.');
      expect(error?.data).toMatchObject({ code: 'FORBIDDEN', durinCode: 'CSRF_FAILED' });
    } finally {
      await ws.close();
    }
  });

  test('an SSE subscription is authenticated by the cookie', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/ticks`, { headers: { cookie: `durin_token=${token}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!/data: /.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).not.toMatch(/serialized-error/);
    expect(text).toMatch(/data: \{"json":0\}/);
  });

  test('the session cookie never appears in a response body, a log line or an event payload', async () => {
    const http = await fetch(`${server.url}/auth.sessions.list`, { headers: { cookie: `durin_token=${token}` } });
    bodies.push(await http.text());
    const refreshed = await fetch(`${server.url}/auth.refresh`, {
      method: 'POST',
      headers: { cookie: `durin_token=${token}`, origin: server.url, 'content-type': 'application/json' },
      body: '{}',
    });
    bodies.push(await refreshed.text());
    expect(refreshed.headers.getSetCookie()[0]).toContain(token);
    const logout = await fetch(`${server.url}/auth.logout`, {
      method: 'POST',
      headers: { cookie: `durin_token=${token}`, origin: server.url, 'content-type': 'application/json' },
      body: '{}',
    });
    bodies.push(await logout.text());
    expect(emitted.join('\n')).toMatch(/userLoggedIn/);
    expect(emitted.join('\n')).toMatch(/tokenRevoked|userLoggedOut/);
    for (const text of [...bodies, ...logged, ...emitted]) expect(text).not.toContain(token);
  });
});
