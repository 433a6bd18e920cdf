import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisCacheBus, type RedisCacheBus } from '../../src/redis/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { connectRedis, describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/**
 * Two durin instances on one database, sharing a Redis bus: what an administrator changes in one
 * holds in the other's cached context within the bus's delay, not after tokenCacheTimeout.
 */
describeRedis('administration across processes', () => {
  const redis = connectRedis();
  const prefix = testPrefix();
  let one: TestApp;
  let two: TestApp;
  let buses: RedisCacheBus[];
  let serverOne: TestServer;
  let serverTwo: TestServer;

  beforeAll(async () => {
    buses = [redisCacheBus(redis, { prefix }), redisCacheBus(redis, { prefix })];
    const settings = { tokenCacheTimeout: '1h', lastUsedUpdateInterval: null };
    const isAdmin = (user: { username: string }) => user.username.startsWith('admin');
    one = await createTestApp({ settings, cacheBus: buses[0]!, isAdmin });
    two = await createTestApp({ settings, cacheBus: buses[1]!, isAdmin, db: one.db });
    serverOne = await startTestServer(one, { cached: true });
    serverTwo = await startTestServer(two, { cached: true });
    await eventually(() => buses.every((bus) => bus.healthy), 5000, 'both subscriptions');
  });
  afterAll(async () => {
    await serverOne.close();
    await serverTwo.close();
    await one.durin.close();
    await two.durin.close();
    await one.close();
    await redis.quit();
  });

  async function login(prefix: string, client: string) {
    const user = await one.createUser({ username: unique(prefix) });
    return { user, ...(await one.durin.tokens.issue(user, client)) };
  }

  it("a client's new rate holds in the other process's cached context", async () => {
    const client = unique('web');
    await one.durin.clients.create({ name: client, throttleRate: '10000/h' });
    const admin = serverOne.client((await login('admin', client)).token).admin;
    const { token } = await login('john', client);
    expect(await serverTwo.client(token).throttled.query()).toBe('throttled');
    one.db.statements.length = 0;
    expect(await serverTwo.client(token).throttled.query()).toBe('throttled');
    expect(one.db.statements).toEqual([]); // a cache hit, holding the client row of 10000/h

    await admin.clients.update.mutate({ name: client, throttleRate: '2/h' });
    const throttledInTwo = () =>
      serverTwo
        .client(token)
        .throttled.query()
        .then(
          () => false,
          (error: { data?: { durinCode?: string } }) => error.data?.durinCode === 'THROTTLED',
        );
    await eventually(throttledInTwo, 2000, 'the new rate in process two');
  });

  it("users.revokeAll in one process refuses the user's tokens in the other's cache", async () => {
    const client = unique('web');
    await one.durin.clients.create({ name: client });
    const admin = serverOne.client((await login('admin', client)).token).admin;
    const { user, token } = await login('john', client);
    expect((await serverTwo.client(token).me.query()).username).toBe(user.username);
    expect(await admin.users.revokeAll.mutate({ userId: user.id })).toEqual({ revoked: 1 });
    const refusedInTwo = () =>
      serverTwo
        .client(token)
        .me.query()
        .then(
          () => false,
          (error: { message?: string }) => error.message === 'Invalid token.',
        );
    await eventually(refusedInTwo, 2000, 'the revocation in process two');
  });
});
