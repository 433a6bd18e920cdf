import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisCacheBus, type RedisCacheBus } from '../../src/redis/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { connectRedis, describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Two durin instances on one database, sharing a Redis bus: narrowing a key's abilities in one
 * holds in the other's cached context within the bus's delay, not after tokenCacheTimeout.
 */
describeRedis('API keys across processes', () => {
  const redis = connectRedis();
  const prefix = testPrefix();
  let one: TestApp;
  let two: TestApp;
  let buses: RedisCacheBus[];
  let serverOne: TestServer;
  let serverTwo: TestServer;

  beforeAll(async () => {
    buses = [redisCacheBus(redis, { prefix }), redisCacheBus(redis, { prefix })];
    const settings = { apiAccessClientName: 'api', tokenCacheTimeout: '1h', lastUsedUpdateInterval: null };
    one = await createTestApp({ settings, cacheBus: buses[0]! });
    two = await createTestApp({ settings, cacheBus: buses[1]!, db: one.db });
    await one.durin.clients.create({ name: 'api' });
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

  it("a key narrowed in one process is refused on the other process's cached context", async () => {
    const user = await one.createUser({ username: 'john' });
    const { token } = await one.durin.tokens.issue(user, 'api');
    const key = await serverOne.client(token).auth.apiKeys.create.mutate({ name: 'bot', abilities: ['posts:read', 'posts:write'] });
    // Cached as able to write in process two.
    expect(await serverTwo.client(key.token).postsWrite.mutate()).toBe('written');
    one.db.statements.length = 0;
    expect(await serverTwo.client(key.token).postsWrite.mutate()).toBe('written');
    expect(one.db.statements).toEqual([]); // a cache hit

    await serverOne.client(token).auth.apiKeys.update.mutate({ id: key.id, abilities: ['posts:read'] });
    const refusedInTwo = () =>
      serverTwo
        .client(key.token)
        .postsWrite.mutate()
        .then(
          () => false,
          (error: { data?: { code?: string } }) => error.data?.code === 'FORBIDDEN',
        );
    await eventually(refusedInTwo, 2000, 'the narrowing in process two');
    expect(await serverTwo.client(key.token).postsRead.query()).toBe('posts');
  });
});
