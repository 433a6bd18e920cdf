import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, startChildApp, type ChildApp, type SharedDatabase } from '../helpers/processes.js';
import { describeRedis, eventually, startDedicatedRedis, testPrefix, type DedicatedRedis } from '../helpers/redis.js';
import { unique } from '../helpers/time.js';

/**
 * "clears the cache on reconnect". A revocation can be lost for good: A revokes while
 * Redis is down (its publish fails and waits in A's queue) and A exits before Redis is back, so
 * the message is never sent. B cached the token before the outage; when B's bus is healthy again,
 * only the cleared cache makes B refuse it (no message ever evicts it).
 */

const PASSWORD = 'hunter2';

describeRedis('a revocation whose message is lost while Redis is down', () => {
  let db: SharedDatabase;
  let redis: DedicatedRedis;
  let a: ChildApp;
  let b: ChildApp;

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    db = await createSharedDatabase();
    const config = { dialect: db.dialect, database: db.database, redisUrl: redis.url, prefix: testPrefix() };
    a = await startChildApp({ ...config, sync: true });
    b = await startChildApp(config);
    await a.client().admin.createClient.mutate({ name: 'web' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await redis?.stop();
  });

  const busHealthy = async (app: ChildApp) => (await app.client().admin.stats.query()).busHealthy === true;

  it('is refused on B once its bus is healthy again, though no process ever published it', async () => {
    await eventually(async () => (await busHealthy(a)) && (await busHealthy(b)), 10_000, 'both buses');
    const username = unique('lost');
    await a.client().admin.createUser.mutate({ username, password: PASSWORD });
    const { token } = await a.client().auth.login.mutate({ username, password: PASSWORD, client: 'web' });
    // Cached on B: the second call costs no token lookup.
    expect((await b.get('me', token)).status).toBe(200);
    const lookups = (await b.client().admin.stats.query()).tokenLookups;
    expect((await b.get('me', token)).status).toBe(200);
    expect((await b.client().admin.stats.query()).tokenLookups).toBe(lookups);

    await redis.kill();
    await eventually(() => a.events.includes('degraded:cacheBus') && b.events.includes('degraded:cacheBus'), 10_000, 'both buses down');
    await a.client().admin.revoke.mutate({ token }); // the database write is done; the publish fails
    await a.stop(); // and A is gone before it could re-send it

    await redis.start();
    await eventually(() => b.events.includes('recovered:cacheBus'), 10_000, "B's bus to recover");
    expect(await busHealthy(b)).toBe(true); // so B does not bypass its cache: it was cleared
    expect((await b.get('me', token)).status).toBe(401);
  }, 60_000);
});
