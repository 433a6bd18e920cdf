import { request as httpRequest } from 'node:http';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DURIN_ERRORS, DurinConfigError, getDurinCode } from '../../src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestServer, type TestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * Throttling: durin's UserClientRateThrottle tests
 * (ExampleProjectViewsTestCase) and what durin left untested: the 429's message and `Retry-After`,
 * the key per (user, client), anonymous callers by IP, `X-Forwarded-For` only with `trustProxy`, the
 * login throttle, the sliding window.
 */
const clock = useClock();
const HOUR = 3600_000;
let windowStart = Date.UTC(2031, 0, 1);
/** Freezes the clock an hour after the previous test's: every counter from before has expired. */
function freshWindow(): number {
  windowStart += 24 * HOUR;
  return clock.freeze(windowStart);
}
const throttledMessage = (seconds: number) =>
  DURIN_ERRORS.THROTTLED.message.replace('{wait}', seconds === 1 ? '1 second' : `${seconds} seconds`);

let addressCount = 0;
/** A loopback address no other test used: the socket IP the server sees for `from`. */
function nextAddress(): string {
  addressCount += 1;
  return `127.0.${1 + Math.floor(addressCount / 250)}.${1 + (addressCount % 250)}`;
}

interface Reply {
  status: number;
  retryAfter: string | null;
  message: string | null;
  durinCode: string | null;
}

/** One raw HTTP call from the loopback address `from`, for status codes and headers. */
function call(
  server: TestServer,
  path: string,
  options: { from?: string; token?: string; headers?: Record<string, string>; input?: unknown } = {},
): Promise<Reply> {
  const url = new URL(server.url);
  const method = options.input === undefined ? 'GET' : 'POST';
  const body = method === 'POST' ? JSON.stringify(superjson.serialize(options.input)) : undefined;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Token ${options.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: `/${path}`, method, headers, agent: false, localAddress: options.from ?? '127.0.0.1' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            error?: { json: { message: string; data: { durinCode: string | null } } };
          };
          const error = json.error?.json;
          resolve({
            status: res.statusCode!,
            retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
            message: error?.message ?? null,
            durinCode: error?.data.durinCode ?? null,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const statuses = async (count: number, next: () => Promise<Reply>) => {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await next()).status);
  return out;
};

/** Checks a 429 the way durin answers it: code, message with N, `Retry-After: N`. */
function expectThrottled(reply: Reply, seconds: number) {
  expect(reply.status).toBe(429);
  expect(reply.durinCode).toBe('THROTTLED');
  expect(reply.message).toBe(throttledMessage(seconds));
  expect(reply.retryAfter).toBe(String(seconds));
  const n = /Expected available in (\d+) seconds?\./.exec(reply.message!)?.[1];
  expect(n).toBe(reply.retryAfter);
}

/** A user with a token on a fresh client (optionally with its own rate). */
async function setup(app: TestApp, throttleRate?: string) {
  const client = await app.durin.clients.create({ name: unique('web'), ...(throttleRate ? { throttleRate } : {}) });
  const user = await app.createUser({ username: unique('john'), password: 'hunter2' });
  const { token } = await app.durin.tokens.issue(user, client.name);
  return { client, user, token };
}

describe.each(['standalone', 'fetch'] as const)('throttle() on the %s adapter (defaultThrottleRate 2/m)', (adapter) => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer({ settings: { defaultThrottleRate: '2/m', loginThrottleRate: '3/m' }, adapter });
  beforeAll(() => {
    ({ app, server } = env);
  });
  const throttled = (token: string) => call(server, 'throttled', { token });

  test("durin's test_throttled_api_default_rate_429: 200, 200, then 429", async () => {
    freshWindow();
    const { token } = await setup(app);
    expect(await statuses(2, () => throttled(token))).toEqual([200, 200]);
    expectThrottled(await throttled(token), 60);
  });

  test("durin's test_throttled_api_custom_rate_429: the client's 5/m beats the default 2/m", async () => {
    freshWindow();
    const { token } = await setup(app, '5/m');
    expect(await statuses(5, () => throttled(token))).toEqual([200, 200, 200, 200, 200]);
    expectThrottled(await throttled(token), 60);
  });

  test("durin's test_throttled_api_no_token_401: no token is 401, never 429", async () => {
    freshWindow();
    for (let i = 0; i < 4; i++) {
      const reply = await call(server, 'throttled');
      expect(reply.status).toBe(401);
      expect(reply.message).toBe(DURIN_ERRORS.NOT_AUTHENTICATED.message);
      expect(reply.retryAfter).toBeNull();
    }
    for (let i = 0; i < 3; i++) {
      const reply = await call(server, 'throttled', { token: 'f'.repeat(64) });
      expect(reply.status).toBe(401);
      expect(reply.message).toBe(DURIN_ERRORS.TOKEN_INVALID.message);
    }
  });

  test('Retry-After is the wait of the message, rounded up, and reads "1 second" at the end', async () => {
    const at = freshWindow();
    const { token } = await setup(app);
    await throttled(token);
    clock.freeze(at + 20_000);
    await throttled(token);
    clock.freeze(at + 35_500);
    expectThrottled(await throttled(token), 25); // the first request leaves at +60 s: 24.5 s → 25
    clock.freeze(at + 59_001);
    const last = await throttled(token);
    expectThrottled(last, 1);
    expect(last.message).toBe('Request was throttled. Expected available in 1 second.');
  });

  test('the sliding window frees a slot as each request leaves it', async () => {
    const at = freshWindow();
    const { token } = await setup(app);
    await throttled(token); // +0
    clock.freeze(at + 30_000);
    await throttled(token); // +30
    clock.freeze(at + 45_000);
    expectThrottled(await throttled(token), 15);
    clock.freeze(at + 60_000); // the +0 request leaves the window
    expect((await throttled(token)).status).toBe(200);
    clock.freeze(at + 61_000);
    expectThrottled(await throttled(token), 29); // now +30 is the oldest
    clock.freeze(at + 120_000); // both +30 and +60 have left
    expect(await statuses(2, () => throttled(token))).toEqual([200, 200]);
    expect((await throttled(token)).status).toBe(429);
  });

  test('the key is (user, client): the same user on another client, and another user, have their own budgets', async () => {
    freshWindow();
    const john = await setup(app);
    expect(await statuses(3, () => throttled(john.token))).toEqual([200, 200, 429]);
    const otherClient = await app.durin.clients.create({ name: unique('mobile') });
    const johnMobile = (await app.durin.tokens.issue(john.user, otherClient.name)).token;
    expect(await statuses(3, () => throttled(johnMobile))).toEqual([200, 200, 429]);
    const jane = await app.createUser({ username: unique('jane') });
    const janeWeb = (await app.durin.tokens.issue(jane, john.client.name)).token;
    expect(await statuses(3, () => throttled(janeWeb))).toEqual([200, 200, 429]);
    // john's first budget is still spent
    expect((await throttled(john.token)).status).toBe(429);
  });

  test('a rotated token keeps its (user, client) budget: logging in again does not reset it', async () => {
    freshWindow();
    const { user, client, token } = await setup(app);
    expect(await statuses(2, () => throttled(token))).toEqual([200, 200]);
    const rotated = (await app.durin.tokens.issue(user, client.name)).token;
    expect((await throttled(rotated)).status).toBe(429);
  });

  test('X-Forwarded-For does nothing without trustProxy: spoofed addresses share one budget', async () => {
    freshWindow();
    const from = nextAddress();
    const spoofed = (xff: string) => call(server, 'publicThrottled', { from, headers: { 'x-forwarded-for': xff } });
    expect((await spoofed('1.1.1.1')).status).toBe(200);
    expect((await spoofed('2.2.2.2')).status).toBe(200);
    expectThrottled(await spoofed('3.3.3.3'), 60);
    expect((await call(server, 'publicThrottled', { from })).status).toBe(429);
  });

  describe('the login throttle (loginThrottleRate 3/m)', () => {
    const login = (input: { username: string; password: string; client?: string }, headers: Record<string, string> = {}) =>
      call(server, 'auth.login', { input, headers });

    test('the 4th attempt for one (IP, username) is TOO_MANY_REQUESTS with Retry-After, even with the right password', async () => {
      freshWindow();
      const { user, client } = await setup(app);
      for (let i = 0; i < 3; i++) {
        const reply = await login({ username: user.username, password: 'wrong', client: client.name });
        expect(reply.status).toBe(400);
        expect(reply.message).toBe(DURIN_ERRORS.INVALID_CREDENTIALS.message);
      }
      expectThrottled(await login({ username: user.username, password: 'hunter2', client: client.name }), 60);
    });

    test('successful logins count too', async () => {
      freshWindow();
      const { user, client } = await setup(app);
      expect(await statuses(4, () => login({ username: user.username, password: 'hunter2', client: client.name }))).toEqual([
        200, 200, 200, 429,
      ]);
    });

    test('another username from the same IP is unaffected', async () => {
      freshWindow();
      const { user, client } = await setup(app);
      const other = await setup(app);
      expect(await statuses(4, () => login({ username: user.username, password: 'wrong', client: client.name }))).toEqual([
        400, 400, 400, 429,
      ]);
      expect((await login({ username: other.user.username, password: 'hunter2', client: other.client.name })).status).toBe(200);
    });

    test('spellings the username column equates share its budget; on a case-sensitive column they do not', async () => {
      // MariaDB's case-insensitive collations log 'JOHN' in as 'john' through a plain findOne, so
      // counting each spelling apart would give a brute force a fresh budget per spelling. SQLite's
      // default (BINARY) column logs in only the exact name: each spelling is then another name.
      freshWindow();
      const { user, client } = await setup(app);
      const name = user.username;
      const variants = [name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1), name.toUpperCase()];
      const equated = await Promise.all(
        variants.map(async (username) => (await app.User.findOne({ where: { username } }))?.id === user.id),
      );
      expect(new Set(equated).size).toBe(1);
      for (const username of variants) {
        expect((await login({ username, password: 'wrong', client: client.name })).status).toBe(400);
      }
      const response = await login({ username: name, password: 'hunter2', client: client.name });
      if (equated[0]) expectThrottled(response, 60);
      else expect(response.status).toBe(200);
    });

    test('the window frees up after a minute', async () => {
      const at = freshWindow();
      const { user, client } = await setup(app);
      await statuses(3, () => login({ username: user.username, password: 'wrong', client: client.name }));
      expect((await login({ username: user.username, password: 'hunter2', client: client.name })).status).toBe(429);
      clock.freeze(at + 60_000);
      expect((await login({ username: user.username, password: 'hunter2', client: client.name })).status).toBe(200);
    });

    test('X-Forwarded-For does not bypass it without trustProxy', async () => {
      freshWindow();
      const { user, client } = await setup(app);
      const attempt = (i: number) =>
        login({ username: user.username, password: 'wrong', client: client.name }, { 'x-forwarded-for': `10.0.0.${i}` });
      let spoof = 0;
      expect(await statuses(3, () => attempt(++spoof))).toEqual([400, 400, 400]);
      expectThrottled(await attempt(++spoof), 60);
    });
  });
});

describe('anonymous callers by socket IP (standalone)', () => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer({ settings: { defaultThrottleRate: '2/m', loginThrottleRate: '3/m' }, adapter: 'standalone' });
  beforeAll(() => {
    ({ app, server } = env);
  });

  test('an anonymous caller is throttled at the default rate, keyed by its IP', async () => {
    freshWindow();
    const first = nextAddress();
    const second = nextAddress();
    expect(await statuses(2, () => call(server, 'publicThrottled', { from: first }))).toEqual([200, 200]);
    expectThrottled(await call(server, 'publicThrottled', { from: first }), 60);
    expect(await statuses(3, () => call(server, 'publicThrottled', { from: second }))).toEqual([200, 200, 429]);
  });

  test('an authenticated caller on a public throttled procedure is keyed by (user, client), not by IP', async () => {
    freshWindow();
    const from = nextAddress();
    const { token } = await setup(app);
    expect(await statuses(2, () => call(server, 'publicThrottled', { from }))).toEqual([200, 200]);
    expect(await statuses(3, () => call(server, 'publicThrottled', { from, token }))).toEqual([200, 200, 429]);
  });

  test('a bad token on a public throttled procedure is counted by IP', async () => {
    freshWindow();
    const from = nextAddress();
    expect(await statuses(3, () => call(server, 'publicThrottled', { from, token: 'f'.repeat(64) }))).toEqual([200, 200, 429]);
  });

  test('the login throttle is per IP: the same username from another IP has its own budget', async () => {
    freshWindow();
    const { user, client } = await setup(app);
    const input = { username: user.username, password: 'hunter2', client: client.name };
    const from = nextAddress();
    expect(await statuses(4, () => call(server, 'auth.login', { from, input }))).toEqual([200, 200, 200, 429]);
    expect((await call(server, 'auth.login', { from: nextAddress(), input })).status).toBe(200);
  });
});

describe.each(['standalone', 'fetch'] as const)('trustProxy on the %s adapter', (adapter) => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer({ settings: { defaultThrottleRate: '2/m', loginThrottleRate: '3/m', trustProxy: true }, adapter });
  beforeAll(() => {
    ({ app, server } = env);
  });
  const forwarded = (xff: string) => call(server, 'publicThrottled', { headers: { 'x-forwarded-for': xff } });

  test('each X-Forwarded-For client address has its own budget', async () => {
    freshWindow();
    expect(await statuses(3, () => forwarded('203.0.113.1'))).toEqual([200, 200, 429]);
    expect(await statuses(3, () => forwarded('203.0.113.2'))).toEqual([200, 200, 429]);
  });

  test('the first address of the list is the client', async () => {
    freshWindow();
    expect((await forwarded('203.0.113.10, 10.0.0.1')).status).toBe(200);
    expect((await forwarded('203.0.113.10,10.0.0.2')).status).toBe(200);
    expectThrottled(await forwarded('203.0.113.10'), 60);
    expect((await forwarded('10.0.0.1')).status).toBe(200);
  });

  test('the login throttle is keyed by the forwarded address', async () => {
    freshWindow();
    const { user, client } = await setup(app);
    const input = { username: user.username, password: 'hunter2', client: client.name };
    const from = (xff: string) => call(server, 'auth.login', { input, headers: { 'x-forwarded-for': xff } });
    expect(await statuses(4, () => from('198.51.100.1'))).toEqual([200, 200, 200, 429]);
    expect((await from('198.51.100.2')).status).toBe(200);
  });
});

describe('rate resolution without a default rate', () => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer({ settings: { defaultThrottleRate: null, loginThrottleRate: null }, adapter: 'standalone' });
  beforeAll(() => {
    ({ app, server } = env);
  });

  test('a client without a rate is not throttled', async () => {
    freshWindow();
    const { token } = await setup(app);
    const replies = await statuses(12, () => call(server, 'throttled', { token }));
    expect(replies.every((status) => status === 200)).toBe(true);
  });

  test("a client's own rate applies", async () => {
    freshWindow();
    const { token } = await setup(app, '1/m');
    expect(await statuses(2, () => call(server, 'throttled', { token }))).toEqual([200, 429]);
  });

  test('anonymous callers are not throttled', async () => {
    freshWindow();
    const from = nextAddress();
    const replies = await statuses(12, () => call(server, 'publicThrottled', { from }));
    expect(replies.every((status) => status === 200)).toBe(true);
  });

  test('loginThrottleRate null switches the login throttle off', async () => {
    freshWindow();
    const { user, client } = await setup(app);
    const wrong = await statuses(15, () =>
      call(server, 'auth.login', { input: { username: user.username, password: 'wrong', client: client.name } }),
    );
    expect(wrong.every((status) => status === 400)).toBe(true);
    expect(
      (await call(server, 'auth.login', { input: { username: user.username, password: 'hunter2', client: client.name } })).status,
    ).toBe(200);
  });
});

describe('throttle() options', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ settings: { defaultThrottleRate: '2/m' } });
  });
  afterAll(() => app.close());

  function callerFor() {
    type Context = Awaited<ReturnType<TestApp['createContext']>>;
    const t = initTRPC.context<Context>().create();
    const router = t.router({
      plain: t.procedure.concat(app.durin.throttle()).query(() => 'plain'),
      burst: t.procedure.concat(app.durin.throttle({ scope: 'burst', defaultRate: '1/s' })).query(() => 'burst'),
      five: t.procedure.concat(app.durin.throttle({ scope: 'shared', defaultRate: '5/m' })).query(() => 'five'),
      two: t.procedure.concat(app.durin.throttle({ scope: 'shared', defaultRate: '2/m' })).query(() => 'two'),
      off: t.procedure.concat(app.durin.throttle({ defaultRate: null })).query(() => 'off'),
    });
    return async (ip: string, resHeaders = new Headers()) => router.createCaller(await app.createContext({ headers: {}, ip, resHeaders }));
  }
  async function throttledError(promise: Promise<unknown>) {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('TOO_MANY_REQUESTS');
    expect(getDurinCode(error)).toBe('THROTTLED');
    return error as TRPCError;
  }

  test('scopes count separately, each at its own default rate', async () => {
    const at = freshWindow();
    const caller = callerFor();
    const ip = '192.0.2.1';
    await (await caller(ip)).burst();
    await throttledError((await caller(ip)).burst());
    // The default scope is untouched by "burst".
    await (await caller(ip)).plain();
    await (await caller(ip)).plain();
    await throttledError((await caller(ip)).plain());
    clock.freeze(at + 1000);
    expect(await (await caller(ip)).burst()).toBe('burst');
  });

  test('Retry-After reaches a { headers, ip, resHeaders } context', async () => {
    freshWindow();
    const caller = callerFor();
    const resHeaders = new Headers();
    await (await caller('192.0.2.2')).burst();
    const error = await throttledError((await caller('192.0.2.2', resHeaders)).burst());
    expect(error.message).toBe(throttledMessage(1));
    expect(resHeaders.get('retry-after')).toBe('1');
  });

  test('defaultRate null turns a throttle off for clients without a rate', async () => {
    freshWindow();
    const caller = callerFor();
    for (let i = 0; i < 10; i++) expect(await (await caller('192.0.2.3')).off()).toBe('off');
  });

  test('two throttles sharing a scope at different rates give a finite, correct wait', async () => {
    // The shared log holds 3 requests (made at 5/m); at 2/m the next is allowed once 2 have left,
    // i.e. when the one made at +1 s does, at +61 s. DRF's formula divides by 2 - 3 + 1 = 0 here.
    const at = freshWindow();
    const caller = callerFor();
    const ip = '192.0.2.4';
    for (const offset of [0, 1000, 2000]) {
      clock.freeze(at + offset);
      await (await caller(ip)).five();
    }
    clock.freeze(at + 10_000);
    const resHeaders = new Headers();
    const error = await throttledError((await caller(ip, resHeaders)).two());
    expect(error.message).toBe(throttledMessage(51));
    expect(resHeaders.get('retry-after')).toBe('51');
    clock.freeze(at + 61_000);
    expect(await (await caller(ip)).two()).toBe('two');
  });

  test.each([
    [{ scope: '' }, 'scope'],
    [{ scope: 'has space' }, 'scope'],
    [{ scope: 'x'.repeat(65) }, 'scope'],
    [{ defaultRate: '5/minutes' }, 'defaultRate'],
    [{ defaultRate: '0/m' }, 'defaultRate'],
    [{ defaultRate: '' }, 'defaultRate'],
  ])('throttle(%j) fails at once, naming the option', (options, name) => {
    expect(() => app.durin.throttle(options)).toThrow(DurinConfigError);
    expect(() => app.durin.throttle(options)).toThrow(`"${name}"`);
  });
});
