import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS } from '../../src/errors.js';
import { memoryThrottleStore, type DurinThrottleStore } from '../../src/throttle/store.js';
import { startTestAppServer, type TestAppServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** Client IP: which proxy may name the client, and no shared "unknown" bucket. */
async function prepare({ app, server }: TestAppServer) {
  const user = await app.createUser();
  const client = unique('web');
  await app.durin.clients.create({ name: client });
  const login = (headers: Record<string, string> = {}, password = 'wrong') =>
    server.raw('auth.login', { body: { username: user.username, password, client }, headers });
  return { app, server, login };
}

describe('trustProxy behind an appending proxy', () => {
  test('a hop count: forged X-Forwarded-For entries share the real address budget', async () => {
    await using running = await startTestAppServer({ settings: { loginThrottleRate: '3/m', trustProxy: 1 } });
    const { login } = await prepare(running);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login({ 'x-forwarded-for': `198.51.100.${i}, 203.0.113.5` })).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    expect((await login({ 'x-forwarded-for': '203.0.113.6' })).status).toBe(400);
  });

  test('a trusted list ("loopback"): the entry the trusted proxy appended is the client', async () => {
    await using running = await startTestAppServer({ settings: { loginThrottleRate: '2/m', trustProxy: ['loopback'] } });
    const { login } = await prepare(running);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await login({ 'x-forwarded-for': `10.9.9.${i}, 203.0.113.7` })).status);
    expect(statuses).toEqual([400, 400, 429, 429]);
  });

  test('an IPv4-mapped forwarded address counts as its IPv4 address', async () => {
    await using running = await startTestAppServer({ settings: { loginThrottleRate: '2/m', trustProxy: 1 } });
    const { login } = await prepare(running);
    expect((await login({ 'x-forwarded-for': '::ffff:203.0.113.8' })).status).toBe(400);
    expect((await login({ 'x-forwarded-for': '203.0.113.8' })).status).toBe(400);
    expect((await login({ 'x-forwarded-for': '::FFFF:203.0.113.8' })).status).toBe(429);
  });

  test('8 KB forwarded values become bounded throttle keys', async () => {
    const keys: string[] = [];
    const memory = memoryThrottleStore();
    const store: DurinThrottleStore = { hit: (key, window, at) => (keys.push(key), memory.hit(key, window, at)) };
    await using running = await startTestAppServer({ settings: { trustProxy: true }, throttleStore: store });
    const { login } = await prepare(running);
    for (let i = 0; i < 3; i++) await login({ 'x-forwarded-for': `${i}${'x'.repeat(8192)}` });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(key.length).toBeLessThanOrEqual(200);
  });
});

describe('fetch without a client IP', () => {
  const body = async (response: Response) =>
    (await response.json()) as { error?: { json: { message: string; data: { durinCode?: string } } } };

  test('login refuses loudly instead of sharing one bucket between every caller', async () => {
    await using running = await startTestAppServer({ settings: { loginThrottleRate: '2/m' }, adapter: 'fetch', withoutIp: true });
    const { login } = await prepare(running);
    const response = await login({}, 'hunter2');
    expect(response.status).toBe(500);
    const error = (await body(response)).error!.json;
    expect(error.message).toBe(DURIN_ERRORS.CLIENT_IP_UNKNOWN.message);
    expect(error.data.durinCode).toBe('CLIENT_IP_UNKNOWN');
  });

  test('one caller failing does not lock another out: IPs come from the trusted proxy header', async () => {
    await using running = await startTestAppServer({
      settings: { loginThrottleRate: '2/m', trustProxy: 1 },
      adapter: 'fetch',
      withoutIp: true,
    });
    const { login } = await prepare(running);
    for (let i = 0; i < 3; i++) await login({ 'x-forwarded-for': '203.0.113.66' });
    expect((await login({ 'x-forwarded-for': '203.0.113.66' })).status).toBe(429);
    expect((await login({ 'x-forwarded-for': '203.0.113.67' }, 'hunter2')).status).toBe(200);
  });

  test('an anonymous call to a throttled procedure refuses loudly too; with a token it is keyed by user', async () => {
    await using running = await startTestAppServer({ settings: { defaultThrottleRate: '5/m' }, adapter: 'fetch', withoutIp: true });
    const { app, server } = await prepare(running);
    const anonymous = await server.raw('publicThrottled');
    expect(anonymous.status).toBe(500);
    expect((await body(anonymous)).error!.json.data.durinCode).toBe('CLIENT_IP_UNKNOWN');
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const { token } = await app.durin.tokens.issue(user, client);
    expect((await server.raw('throttled', { headers: { authorization: `Token ${token}` } })).status).toBe(200);
  });

  test('without the login throttle no IP is needed', async () => {
    await using running = await startTestAppServer({ settings: { loginThrottleRate: null }, adapter: 'fetch', withoutIp: true });
    const { login } = await prepare(running);
    expect((await login({}, 'hunter2')).status).toBe(200);
  });
});
