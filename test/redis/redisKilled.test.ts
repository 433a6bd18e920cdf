import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, startChildApp, type ChildApp, type SharedDatabase } from '../helpers/processes.js';
import { describeRedis, eventually, startDedicatedRedis, testPrefix, type DedicatedRedis } from '../helpers/redis.js';
import { unique } from '../helpers/time.js';

/**
 * Redis faults never fail a request: two child apps under load when their
 * redis-server is SIGKILLed, then restarted. No 5xx at any time; throttles fall back to each
 * process's memory; revocations are refused at once (the caches are bypassed); after the restart
 * both report `recovered`, share again, and no entry cached before the outage comes back.
 */

const PASSWORD = 'hunter2';
const COMPONENTS = ['degraded:cacheBus', 'degraded:throttleStore'];

describeRedis('two processes when redis-server is killed and restarted', () => {
  let db: SharedDatabase;
  let redis: DedicatedRedis;
  let a: ChildApp;
  let b: ChildApp;

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    db = await createSharedDatabase();
    const settings = { defaultThrottleRate: '100000/m' };
    const config = { dialect: db.dialect, database: db.database, redisUrl: redis.url, prefix: testPrefix(), settings };
    a = await startChildApp({ ...config, sync: true });
    b = await startChildApp(config);
    await a.client().admin.createClient.mutate({ name: 'web' });
    await a.client().admin.createClient.mutate({ name: 'cli', throttleRate: '3/m' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await redis?.stop();
  });

  const login = async (username: string, client = 'web') => {
    await a.client().admin.createUser.mutate({ username, password: PASSWORD });
    return (await a.client().auth.login.mutate({ username, password: PASSWORD, client })).token;
  };
  const healthy = async (app: ChildApp) => (await app.client().admin.stats.query()).busHealthy === true;
  const statusesOf = async (apps: ChildApp[], path: string, token: string) => {
    const statuses = [];
    for (const app of apps) statuses.push((await app.get(path, token)).status);
    return statuses;
  };

  it('answers every request, falls back, refuses revoked tokens, and shares again after the restart', async () => {
    await eventually(async () => (await healthy(a)) && (await healthy(b)), 10_000, 'both buses');
    const load = await login(unique('load'));
    const staleOnB = await login(unique('stale'));
    const revokedInOutage = await login(unique('outage'));
    for (const token of [load, staleOnB, revokedInOutage]) expect((await b.get('me', token)).status).toBe(200); // cached on B

    // Load on both processes for the whole test: authenticated and throttled queries.
    const seen: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const responses = [a.get('me', load), b.get('me', load), a.get('throttled', load), b.get('throttled', load)];
        // A request that fails outright counts as a 5xx (-1): the server must answer every one.
        seen.push(
          ...(await Promise.all(
            responses.map((response) =>
              response.then(
                (r) => r.status,
                () => -1,
              ),
            ),
          )),
        );
      }
    })();

    await redis.kill();
    await eventually(
      () => COMPONENTS.every((event) => a.events.includes(event) && b.events.includes(event)),
      10_000,
      () => `degraded on both (A: ${a.events}, B: ${b.events})`,
    );

    // Revocations are still refused at once on the other process: its cache is bypassed.
    await a.client(revokedInOutage).auth.logout.mutate();
    expect((await b.get('me', revokedInOutage)).status).toBe(401);
    // Each process counts in its own memory meanwhile: 3/m per process, no error.
    const cli = await login(unique('cli'), 'cli');
    expect(await statusesOf([a, a, a, a, b], 'throttled', cli)).toEqual([200, 200, 200, 429, 200]);

    await redis.start();
    const recovered = ['recovered:cacheBus', 'recovered:throttleStore'];
    await eventually(() => recovered.every((event) => a.events.includes(event) && b.events.includes(event)), 10_000, 'recovered on both');
    await eventually(async () => (await healthy(a)) && (await healthy(b)), 5000, 'both buses healthy');
    running = false;
    await loop;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((status) => status >= 500 || status < 0)).toEqual([]);
    expect(new Set(seen)).toEqual(new Set([200]));
    // Each event once per outage, on each process.
    for (const app of [a, b]) expect([...app.events].sort()).toEqual([...COMPONENTS, ...recovered].sort());

    // No entry cached before the outage survives it: revoked on A with no bus, refused on B now.
    await a.client().admin.revoke.mutate({ token: staleOnB });
    expect((await b.get('me', staleOnB)).status).toBe(401);
    expect((await b.get('me', revokedInOutage)).status).toBe(401);

    // Sharing resumed: counted across both again, and a revocation on A reaches B's cache.
    const shared = await login(unique('shared'), 'cli');
    expect(await statusesOf([a, b, a, b], 'throttled', shared)).toEqual([200, 200, 200, 429]);
    const again = await login(unique('again'));
    expect((await b.get('me', again)).status).toBe(200);
    expect((await b.get('me', again)).status).toBe(200);
    await a.client(again).auth.logout.mutate();
    await eventually(async () => (await b.get('me', again)).status === 401, 100, 'the revocation on B');
  }, 60_000);
});
