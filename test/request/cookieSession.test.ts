import type { AddressInfo } from 'node:net';
import * as trpcExpress from '@trpc/server/adapters/express';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { durinMessage } from '../../src/errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestAppServer, startTestServer, useTestServer } from '../helpers/server.js';
import { useClock } from '../helpers/time.js';

/**
 * Cookie sessions over real servers on every adapter: login sets an HttpOnly cookie and answers
 * no token, the cookie authenticates like the header (same messages), refresh re-sends it, logout
 * and logoutAll clear it, and a cookie-authenticated write must come from a trusted origin.
 */

interface Served {
  readonly url: string;
  close(): Promise<void>;
}

async function expressServer(app: TestApp): Promise<Served> {
  const server = express();
  server.use('/trpc', trpcExpress.createExpressMiddleware({ router: app.router, createContext: app.createContext }));
  const listening = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/trpc`,
    close: () =>
      new Promise((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
}

async function fastifyServer(app: TestApp): Promise<Served> {
  const server = Fastify();
  await server.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions: { router: app.router, createContext: app.createContext } });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/trpc`, close: () => server.close() };
}

const ADAPTERS = [
  ['standalone', (app: TestApp) => startTestServer(app)],
  ['fetch', (app: TestApp) => startTestServer(app, { adapter: 'fetch' })],
  ['express', expressServer],
  ['fastify', fastifyServer],
] as const;

const TRUSTED = 'https://app.example.com';
const COOKIE = { trustedOrigins: [TRUSTED] };

interface Answer {
  status: number;
  setCookie: string[];
  text: string;
  body: { result?: { data: unknown }; error?: { message: string; code: number; data: { code: string; durinCode?: string } } };
}

/** One raw call: `input` makes it a POST (a mutation), else a GET. */
async function call(served: Served, path: string, init: { input?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const response = await fetch(
    `${served.url}/${path}`,
    init.input === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(init.input) },
  );
  const text = await response.text();
  return { status: response.status, setCookie: response.headers.getSetCookie(), text, body: JSON.parse(text) as Answer['body'] };
}

/** The token in a `Set-Cookie` value for durin_token. */
function cookieToken(setCookie: string[]): string {
  const line = setCookie.find((value) => value.startsWith('durin_token='));
  if (!line) throw new Error(`no durin_token cookie in ${JSON.stringify(setCookie)}`);
  return decodeURIComponent(line.slice('durin_token='.length, line.indexOf(';')));
}

const maxAgeOf = (setCookie: string[]) => Number(/Max-Age=(\d+)/.exec(setCookie.join('\n'))?.[1]);

describe.each(ADAPTERS)('cookie sessions on %s', (_, start) => {
  let app: TestApp;
  let served: Served;
  let origin: string;

  beforeAll(async () => {
    app = await createTestApp({ transformer: 'none', settings: { cookie: COOKIE } });
    await app.durin.clients.create({ name: 'web', tokenTtl: '1h' });
    await app.createUser({ username: 'ann', password: 'pw' });
    served = await start(app);
    origin = new URL(served.url).origin;
  });
  afterAll(async () => {
    await served?.close();
    await app?.close();
  });

  const login = async () => {
    const answer = await call(served, 'auth.login', { input: { username: 'ann', password: 'pw', client: 'web', transport: 'cookie' } });
    expect(answer.status).toBe(200);
    return { answer, token: cookieToken(answer.setCookie) };
  };
  const withCookie = (token: string, headers: Record<string, string> = {}) => ({ cookie: `other=1; durin_token=${token}`, ...headers });

  test('login sets an HttpOnly cookie with every attribute and answers no token', async () => {
    const { answer, token } = await login();
    expect(answer.setCookie).toHaveLength(1);
    expect(answer.setCookie[0]).toMatch(/^durin_token=[0-9a-f]{72}; HttpOnly; Secure; SameSite=Lax; Path=\/; Max-Age=(\d+)$/);
    expect(maxAgeOf(answer.setCookie)).toBeGreaterThan(3590);
    expect(maxAgeOf(answer.setCookie)).toBeLessThanOrEqual(3600);
    const data = answer.body.result!.data as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['expiry']);
    expect(answer.text).not.toContain(token);
  });

  test('the cookie authenticates a query, and a write from the own origin', async () => {
    const { token } = await login();
    const me = await call(served, 'me', { headers: withCookie(token) });
    expect(me.body.result?.data).toMatchObject({ username: 'ann', client: 'web' });
    const refreshed = await call(served, 'auth.refresh', { input: null, headers: withCookie(token, { origin }) });
    expect(refreshed.status).toBe(200);
  });

  test('logout clears the cookie and the token stops working', async () => {
    const { token } = await login();
    const out = await call(served, 'auth.logout', { input: null, headers: withCookie(token, { origin: TRUSTED }) });
    expect(out.status).toBe(200);
    expect(out.setCookie).toEqual(['durin_token=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0']);
    const me = await call(served, 'me', { headers: withCookie(token) });
    expect(me.body.error?.message).toBe(durinMessage('TOKEN_INVALID'));
  });

  test('a cross-site write is refused as CSRF_FAILED and the session stays', async () => {
    const { token } = await login();
    const refused = await call(served, 'auth.logout', { input: null, headers: withCookie(token, { origin: 'https://evil.example' }) });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toBe('Cross-site request refused.');
    expect(refused.body.error?.data.durinCode).toBe('CSRF_FAILED');
    expect(refused.setCookie).toEqual([]);
    expect((await call(served, 'me', { headers: withCookie(token) })).status).toBe(200);
  });
});

describe('cookie sessions: the rules', () => {
  let app: TestApp;
  let served: Served;
  let origin: string;

  // Many logins by one user here: the login throttle is not what these tests are about.
  const env = useTestServer({ transformer: 'none', settings: { cookie: COOKIE, loginThrottleRate: null } });
  beforeAll(async () => {
    ({ app, server: served } = env);
    await app.durin.clients.create({ name: 'web', tokenTtl: '1h' });
    await app.createUser({ username: 'bob', password: 'pw' });
    origin = served.url;
  });
  const clock = useClock();

  const login = async (transport: 'cookie' | 'header' = 'cookie') => {
    const answer = await call(served, 'auth.login', { input: { username: 'bob', password: 'pw', client: 'web', transport } });
    return transport === 'cookie' ? cookieToken(answer.setCookie) : (answer.body.result!.data as { token: string }).token;
  };
  const cookie = (token: string) => ({ cookie: `durin_token=${token}` });
  const refresh = (headers: Record<string, string>) => call(served, 'auth.refresh', { input: null, headers });
  const expectCsrf = (answer: Answer) => {
    expect(answer.status).toBe(403);
    expect(answer.body.error?.data).toMatchObject({ code: 'FORBIDDEN', durinCode: 'CSRF_FAILED' });
  };

  describe('cross-site checks', () => {
    test('a write without Origin or Referer is refused', async () => {
      expectCsrf(await refresh(cookie(await login())));
    });
    test('a write from a foreign Origin is refused', async () => {
      expectCsrf(await refresh({ ...cookie(await login()), origin: 'http://127.0.0.1:1' }));
    });
    test('"null" Origin is refused', async () => {
      expectCsrf(await refresh({ ...cookie(await login()), origin: 'null' }));
    });
    test('a Referer-only write counts by the Referer origin', async () => {
      const token = await login();
      expect((await refresh({ ...cookie(token), referer: `${origin}/settings?tab=1` })).status).toBe(200);
      expect((await refresh({ ...cookie(token), referer: `${TRUSTED}/page` })).status).toBe(200);
      expectCsrf(await refresh({ ...cookie(token), referer: 'https://evil.example/page' }));
    });
    test('Sec-Fetch-Site: cross-site is refused even with a trusted Origin', async () => {
      const token = await login();
      expectCsrf(await refresh({ ...cookie(token), origin: TRUSTED, 'sec-fetch-site': 'cross-site' }));
      expect((await refresh({ ...cookie(token), origin: TRUSTED, 'sec-fetch-site': 'same-site' })).status).toBe(200);
    });
    test('a query (GET) needs no Origin', async () => {
      expect((await call(served, 'me', { headers: cookie(await login()) })).status).toBe(200);
    });
    test('a header token from a foreign origin is never checked', async () => {
      const token = await login('header');
      const answer = await refresh({ authorization: `Token ${token}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(answer.status).toBe(200);
      expect(answer.setCookie).toEqual([]);
    });
    test('a refused cross-site request costs no SQL', async () => {
      const token = await login();
      const spy = vi.spyOn(app.db.sequelize, 'query');
      try {
        expectCsrf(await refresh({ ...cookie(token), origin: 'https://evil.example' }));
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });
  });

  test('Authorization wins over the cookie', async () => {
    const headerToken = await login('header');
    const me = await call(served, 'me', { headers: { authorization: `Token ${headerToken}`, cookie: 'durin_token=garbage' } });
    expect(me.status).toBe(200);
  });

  test('a bad cookie fails with the header messages and is cleared', async () => {
    const fake = 'f'.repeat(64);
    const invalid = await call(served, 'me', { headers: cookie(fake) });
    expect(invalid.body.error?.message).toBe(durinMessage('TOKEN_INVALID'));
    expect(invalid.setCookie).toEqual(['durin_token=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0']);
    const token = await login();
    clock.travel(2 * 3600_000);
    const expired = await call(served, 'me', { headers: cookie(token) });
    expect(expired.body.error?.message).toBe(durinMessage('TOKEN_EXPIRED'));
    expect(expired.setCookie[0]).toMatch(/Max-Age=0$/);
  });

  test('an empty cookie is anonymous', async () => {
    const me = await call(served, 'me', { headers: { cookie: 'durin_token=' } });
    expect(me.body.error?.data.durinCode).toBe('NOT_AUTHENTICATED');
  });

  test('refresh re-sends the cookie with the new Max-Age', async () => {
    const token = await login();
    clock.travel(1800_000);
    const answer = await refresh({ ...cookie(token), origin });
    expect(answer.status).toBe(200);
    expect(cookieToken(answer.setCookie)).toBe(token);
    expect(maxAgeOf(answer.setCookie)).toBeGreaterThan(3590);
  });

  test('logoutAll clears the cookie', async () => {
    const token = await login();
    const answer = await call(served, 'auth.logoutAll', { input: null, headers: { ...cookie(token), origin } });
    expect(answer.setCookie).toEqual(['durin_token=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0']);
  });
});

describe('cookie settings at work', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('without settings.cookie, a cookie login is COOKIE_NOT_CONFIGURED and no token is issued', async () => {
    await using running = await startTestAppServer({ transformer: 'none' });
    const { app, server: served } = running;
    await app.durin.clients.create({ name: 'web' });
    await app.createUser({ username: 'cy', password: 'pw' });
    const answer = await call(served, 'auth.login', { input: { username: 'cy', password: 'pw', client: 'web', transport: 'cookie' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toBe('Cookie sessions are not configured.');
    expect(answer.body.error?.data.durinCode).toBe('COOKIE_NOT_CONFIGURED');
    expect(await app.durin.models.AuthToken.count()).toBe(0);
    // and a cookie is never read
    const me = await call(served, 'me', { headers: { cookie: `durin_token=${'a'.repeat(64)}` } });
    expect(me.body.error?.data.durinCode).toBe('NOT_AUTHENTICATED');
  });

  test('name, path, domain, SameSite and Secure come from the setting', async () => {
    const settings = { cookie: { name: 'sid', path: '/api', domain: 'example.com', sameSite: 'strict', secure: false } } as const;
    await using running = await startTestAppServer({ transformer: 'none', settings });
    const { app, server: served } = running;
    await app.durin.clients.create({ name: 'web', tokenTtl: '10m' });
    await app.createUser({ username: 'di', password: 'pw' });
    const answer = await call(served, 'auth.login', { input: { username: 'di', password: 'pw', client: 'web', transport: 'cookie' } });
    expect(answer.setCookie[0]).toMatch(/^sid=[0-9a-f]{72}; HttpOnly; SameSite=Strict; Path=\/api; Domain=example.com; Max-Age=(599|600)$/);
  });

  test('a renewOnUse renewal re-sends the cookie with the new Max-Age', async () => {
    const settings = { cookie: {}, renewOnUse: true, renewOnUseInterval: 1 };
    await using running = await startTestAppServer({ transformer: 'none', settings });
    const { app, server: served } = running;
    await app.durin.clients.create({ name: 'web', tokenTtl: '1h' });
    await app.createUser({ username: 'ed', password: 'pw' });
    const login = await call(served, 'auth.login', { input: { username: 'ed', password: 'pw', client: 'web', transport: 'cookie' } });
    const token = cookieToken(login.setCookie);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1800_000);
    const me = await call(served, 'me', { headers: { cookie: `durin_token=${token}` } });
    expect(me.status).toBe(200);
    expect(cookieToken(me.setCookie)).toBe(token);
    expect(maxAgeOf(me.setCookie)).toBeGreaterThan(3590);
  });
});
