import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, startChildApp, type ChildApp, type SharedDatabase } from '../helpers/processes.js';
import { REDIS_URL, describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { unique } from '../helpers/time.js';

/**
 * Several processes, as two real OS processes (child apps, each its own server and createDurin) on one
 * database and one Redis: throttles count across both, and a revocation on A is refused by B's
 * cached context at once.
 */

const SETTINGS = { defaultThrottleRate: '3/m', loginThrottleRate: '3/m', apiAccessClientName: 'api' };
const PASSWORD = 'hunter2';

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { code?: string } | undefined)?.code ?? 'ERROR';
    throw error;
  }
};

describeRedis('two processes on one database and one Redis', () => {
  let db: SharedDatabase;
  let a: ChildApp;
  let b: ChildApp;

  beforeAll(async () => {
    db = await createSharedDatabase();
    const config = { dialect: db.dialect, database: db.database, redisUrl: REDIS_URL, prefix: testPrefix(), settings: SETTINGS };
    a = await startChildApp({ ...config, sync: true });
    b = await startChildApp(config);
    const admin = a.client().admin;
    for (const client of [{ name: 'web' }, { name: 'cli', throttleRate: '3/m' }, { name: 'api' }, { name: 'short', tokenTtl: '1s' }]) {
      await admin.createClient.mutate(client);
    }
    await eventually(
      async () => (await a.client().admin.stats.query()).busHealthy === true && (await b.client().admin.stats.query()).busHealthy === true,
      10_000,
      'both buses',
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const newUser = async () => {
    const username = unique('u');
    await a.client().admin.createUser.mutate({ username, password: PASSWORD });
    return username;
  };
  const login = async (app: ChildApp, username: string, client = 'web') =>
    (await app.client().auth.login.mutate({ username, password: PASSWORD, client })).token;

  /** B answers for `token` from its cache: the second call costs no token lookup. */
  const cachedOnB = async (token: string) => {
    expect(await codeOf(b.client(token).me.query())).toBe('OK');
    const before = (await b.client().admin.stats.query()).tokenLookups;
    expect(await codeOf(b.client(token).me.query())).toBe('OK');
    expect((await b.client().admin.stats.query()).tokenLookups).toBe(before);
  };
  /** B refuses `token` within 100 ms of A's answer, with its bus healthy (so not by bypassing its cache). */
  const refusedOnB = async (token: string) => {
    const start = performance.now();
    let status = 0;
    while (performance.now() - start <= 100 && (status = (await b.get('me', token)).status) === 200);
    expect(status).toBe(401);
    expect((await b.client().admin.stats.query()).busHealthy).toBe(true);
  };

  it('counts a client rate across both processes', async () => {
    const token = await login(a, await newUser(), 'cli');
    const statuses = [];
    for (const app of [a, b, a, b, a]) statuses.push((await app.get('throttled', token)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('counts anonymous callers (by IP) across both processes', async () => {
    const statuses = [];
    for (const app of [b, a, b, a]) statuses.push((await app.get('publicThrottled')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('counts login attempts per IP and username across both processes', async () => {
    const username = await newUser();
    const attempt = (app: ChildApp) => codeOf(app.client().auth.login.mutate({ username, password: 'wrong', client: 'web' }));
    const codes = [];
    for (const app of [a, b, a, b]) codes.push(await attempt(app));
    expect(codes).toEqual(['BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'TOO_MANY_REQUESTS']);
  });

  it('logout on A: refused on B', async () => {
    const token = await login(a, await newUser());
    await cachedOnB(token);
    await a.client(token).auth.logout.mutate();
    await refusedOnB(token);
  });

  it('logoutAll on A: every token of the user refused on B', async () => {
    const username = await newUser();
    const web = await login(a, username, 'web');
    const cli = await login(b, username, 'cli');
    await cachedOnB(web);
    await cachedOnB(cli);
    await a.client(web).auth.logoutAll.mutate();
    await refusedOnB(web);
    await refusedOnB(cli);
  });

  it('sessions.revoke on A (sessionRevoked): refused on B', async () => {
    const username = await newUser();
    const web = await login(a, username, 'web');
    const cli = await login(a, username, 'cli');
    await cachedOnB(cli);
    const sessions = await a.client(web).auth.sessions.list.query();
    await a.client(web).auth.sessions.revoke.mutate({ id: sessions.find((s) => !s.isCurrent)!.id });
    await refusedOnB(cli);
  });

  it('apiAccess.revoke on A (apiAccessRevoked): refused on B', async () => {
    const web = await login(a, await newUser());
    const { token } = await a.client(web).auth.apiAccess.create.mutate();
    await cachedOnB(token);
    await a.client(web).auth.apiAccess.revoke.mutate();
    await refusedOnB(token);
  });

  it('a new login on A (rotated): the old token refused on B', async () => {
    const username = await newUser();
    const old = await login(a, username);
    await cachedOnB(old);
    const fresh = await login(a, username);
    await refusedOnB(old);
    expect((await b.get('me', fresh)).status).toBe(200);
  });

  it('clients.delete on A (clientDeleted): refused on B', async () => {
    const name = unique('doomed');
    await a.client().admin.createClient.mutate({ name });
    const token = await login(a, await newUser(), name);
    await cachedOnB(token);
    await a.client().admin.deleteClient.mutate({ name });
    await refusedOnB(token);
  });

  it('tokens.revoke on A (revoked): refused on B', async () => {
    const token = await login(a, await newUser());
    await cachedOnB(token);
    await a.client().admin.revoke.mutate({ token });
    await refusedOnB(token);
  });

  it('removeExpired on A: refused on B', async () => {
    const token = await login(a, await newUser(), 'short');
    await cachedOnB(token);
    // The client's TTL is 1 s: A removes nothing until the token has expired, then at least it.
    await expect.poll(() => a.client().admin.removeExpired.mutate(), { timeout: 5000, interval: 100 }).toBeGreaterThanOrEqual(1);
    await refusedOnB(token);
  });
});
