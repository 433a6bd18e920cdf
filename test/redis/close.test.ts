import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createDurin } from '../../src/index.js';
import { redisCacheBus, redisThrottleStore, type DurinRedisThrottleStore } from '../../src/redis/index.js';
import { defineUser } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { connectRedis, describeRedis, eventually, freePort, testPrefix } from '../helpers/redis.js';

/** What keeps a process alive, by kind (TCPWRAP, Timeout...). */
const resources = () => {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
};

describeRedis('durin.close() with the Redis store and bus', () => {
  let db: TestDatabase;
  let User: ReturnType<typeof defineUser>;
  let redis: Redis;
  let dead: Redis;
  beforeAll(async () => {
    db = await createTestDatabase();
    User = defineUser(db);
    await User.sync();
    redis = connectRedis();
    await redis.ping();
    // A client whose server is gone for good: its stores degrade and start probing.
    dead = connectRedis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null });
    await eventually(() => dead.status === 'end', 5000, 'the dead client to give up');
  });
  afterAll(async () => {
    await redis.quit();
    await db.close();
  });

  it('opens and closes 50 instances and leaves no handle or timer behind', async () => {
    // The set-up's dead client must have let go of its socket before the count starts.
    await vi.waitFor(() => expect(dead.stream?.closed ?? true).toBe(true));
    const before = resources();
    const instances: Array<{ durin: { close(): Promise<void> }; cacheBus: { healthy: boolean } }> = [];
    const stores: DurinRedisThrottleStore[] = [];
    for (let i = 0; i < 50; i++) {
      const store = redisThrottleStore(i % 2 ? redis : dead, { prefix: testPrefix() });
      const cacheBus = redisCacheBus(redis, { prefix: testPrefix(), pingIntervalMs: 50 });
      stores.push(store);
      instances.push({
        durin: createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null, throttleStore: store, cacheBus }),
        cacheBus,
      });
    }
    await eventually(() => instances.every(({ cacheBus }) => cacheBus.healthy), 10_000, '50 subscriptions');
    for (const store of stores) await store.hit('k', { count: 5, seconds: 60 }, Date.now());
    expect(stores.filter((store) => !store.healthy)).toHaveLength(25); // probing a dead server
    expect((resources().TCPSocketWrap ?? 0) - (before.TCPSocketWrap ?? 0)).toBeGreaterThanOrEqual(50); // the subscribers

    await Promise.all(instances.map(({ durin }) => durin.close()));
    // Nothing more of any kind than at the start (a timer of the set-up may have ended meanwhile).
    const surplus = () => Object.entries(resources()).filter(([kind, n]) => n > (before[kind] ?? 0));
    await eventually(() => surplus().length === 0, 5000, 'the resources to return to the start').catch(() => {});
    expect(surplus()).toEqual([]);
    expect(await redis.ping()).toBe('PONG'); // the app's own client stays open
  });
});
