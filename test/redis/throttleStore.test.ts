import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DurinComponent, DurinHealthReporter } from '../../src/core/bus.js';
import { redisThrottleStore } from '../../src/redis/index.js';
import { RedisTimeoutError } from '../../src/redis/options.js';
import { memoryThrottleStore, type DurinThrottleWindow } from '../../src/throttle/store.js';
import { connectRedis, describeRedis, eventually, startDedicatedRedis, testPrefix, type DedicatedRedis } from '../helpers/redis.js';

/** Records what a store reports, as durin's health reporter would receive it. */
function recordingReporter() {
  const calls: Array<{ kind: 'degraded' | 'recovered'; component: DurinComponent; error?: unknown }> = [];
  const reporter: DurinHealthReporter = {
    degraded: (component, error) => calls.push({ kind: 'degraded', component, error }),
    recovered: (component) => calls.push({ kind: 'recovered', component }),
  };
  return { calls, reporter };
}

describeRedis('redisThrottleStore on a shared redis-server', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(() => redis.quit());

  it('decides like memoryThrottleStore on a few hundred random (key, window, at) sequences', async () => {
    // A seeded generator: a failure names the sequence that produced it.
    let seed = 0x2545f491;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    // Windows of a minute or more: the keys' TTLs run on Redis's clock, which must not overtake the
    // sequence's own `at` (a slow, shared machine takes real seconds over a sequence).
    const windows: DurinThrottleWindow[] = [
      { count: 1, seconds: 60 },
      { count: 2, seconds: 60 },
      { count: 3, seconds: 120 },
      { count: 5, seconds: 180 },
      { count: 2, seconds: 3600 },
    ];
    const decisions = { allowed: 0, refused: 0 };
    for (let sequence = 0; sequence < 300; sequence++) {
      const prefix = testPrefix();
      const shared = redisThrottleStore(redis, { prefix, commandTimeoutMs: 5000 });
      const memory = memoryThrottleStore();
      // Some keys keep one window, one key changes its window now and then (two throttles on one scope).
      const keys = ['a', 'b', 'c'].slice(0, 1 + Math.floor(random() * 3));
      const fixed = new Map(keys.map((key) => [key, pick(windows)]));
      let at = 1_764_000_000_000 + Math.floor(random() * 1000);
      const steps = 10 + Math.floor(random() * 30);
      for (let step = 0; step < steps; step++) {
        at += pick([0, 1, 999, 30_000, 59_999, 60_000, 60_001, 90_000, 119_999, 150_000, 400_000]);
        const key = pick(keys);
        const window = key === 'c' && random() < 0.3 ? pick(windows) : fixed.get(key)!;
        const expected = memory.hit(key, window, at);
        const actual = await shared.hit(key, window, at);
        expect(actual, `sequence ${sequence}, step ${step}: ${key} ${window.count}/${window.seconds}s at ${at}`).toEqual(expected);
        decisions[expected.allowed ? 'allowed' : 'refused']++;
      }
      expect(shared.healthy).toBe(true);
      shared.close();
    }
    // Both outcomes, many times each: the comparison is not vacuous.
    expect(decisions.allowed).toBeGreaterThan(1000);
    expect(decisions.refused).toBeGreaterThan(1000);
  });

  it('counts one key across two stores (two processes) and keeps it only as long as its window', async () => {
    const prefix = testPrefix();
    const a = redisThrottleStore(redis, { prefix });
    const b = redisThrottleStore(connectRedis(), { prefix });
    const window = { count: 3, seconds: 60 };
    const at = Date.now();
    expect(await a.hit('k', window, at)).toEqual({ allowed: true });
    expect(await b.hit('k', window, at + 1)).toEqual({ allowed: true });
    expect(await a.hit('k', window, at + 2)).toEqual({ allowed: true });
    expect(await b.hit('k', window, at + 3)).toEqual({ allowed: false, waitSeconds: 60 });
    const ttl = await redis.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // A short window: the key goes with it.
    await a.hit('short', { count: 5, seconds: 1 }, at);
    const short = await redis.pttl(`${prefix}short`);
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(1000);
    a.close();
    b.close();
  });

  it('costs one round trip per hit: EVALSHA, once the script is loaded', async () => {
    const prefix = testPrefix();
    const client = connectRedis();
    const store = redisThrottleStore(client, { prefix });
    await store.hit('warm', { count: 100, seconds: 60 }, Date.now());
    const addr = String(await client.client('INFO')).match(/addr=(\S+)/)![1]!;
    const monitor = await client.monitor(); // a connection of its own
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source.endsWith(addr)) seen.push(args[0]!.toLowerCase());
    });
    for (let i = 0; i < 20; i++) await store.hit(`k${i % 3}`, { count: 5, seconds: 60 }, Date.now());
    await client.ping(); // the marker: everything before it has been seen by MONITOR
    await eventually(() => seen.includes('ping'), 2000, 'the ping in MONITOR');
    expect(seen).toEqual([...Array(20).fill('evalsha'), 'ping']);
    monitor.disconnect();
    store.close();
    await client.quit();
  });

  it('loads the script itself on a server that has flushed it (NOSCRIPT, then EVAL)', async () => {
    const dedicated = await startDedicatedRedis();
    const client = connectRedis(dedicated.url);
    try {
      await client.script('FLUSH');
      const store = redisThrottleStore(client, { prefix: testPrefix() });
      expect(await store.hit('k', { count: 1, seconds: 60 }, Date.now())).toEqual({ allowed: true });
      expect(await client.script('EXISTS', (await import('../../src/redis/slidingLogScript.js')).SLIDING_LOG_SHA)).toEqual([1]);
      expect(store.healthy).toBe(true);
      store.close();
    } finally {
      client.disconnect();
      await dedicated.stop();
    }
  });

  it('rejects bad options, naming them', () => {
    expect(() => redisThrottleStore(redis, { prefix: 'has space' })).toThrow(/redisThrottleStore option "prefix"/);
    expect(() => redisThrottleStore(redis, { commandTimeoutMs: 0 })).toThrow(/"commandTimeoutMs"/);
  });
});

describeRedis('redisThrottleStore when Redis fails', () => {
  let dedicated: DedicatedRedis;
  beforeAll(async () => {
    dedicated = await startDedicatedRedis();
  });
  afterAll(() => dedicated.stop());

  it('falls back to memory when Redis is killed, reports degraded once, and recovered when it is back', async () => {
    const client = connectRedis(dedicated.url, { retryStrategy: () => 20 });
    const prefix = testPrefix();
    const store = redisThrottleStore(client, { prefix });
    const { calls, reporter } = recordingReporter();
    store.connect(reporter);
    const window = { count: 2, seconds: 60 };
    const at = Date.now();
    expect(await store.hit('shared', window, at)).toEqual({ allowed: true });

    await dedicated.kill();
    // Counted in this process's memory meanwhile: two allowed, the third refused.
    expect(await store.hit('k', window, at + 1)).toEqual({ allowed: true });
    expect(await store.hit('k', window, at + 2)).toEqual({ allowed: true });
    expect(await store.hit('k', window, at + 3)).toEqual({ allowed: false, waitSeconds: 60 });
    expect(store.healthy).toBe(false);
    expect(calls.map((c) => `${c.kind}:${c.component}`)).toEqual(['degraded:throttleStore']);

    await dedicated.start();
    await eventually(() => store.healthy, 5000, 'the store to recover');
    expect(calls.map((c) => `${c.kind}:${c.component}`)).toEqual(['degraded:throttleStore', 'recovered:throttleStore']);
    // Counting in Redis again (the restarted server is empty).
    expect(await store.hit('again', window, Date.now())).toEqual({ allowed: true });
    expect(await client.llen(`${prefix}again`)).toBe(1);
    store.close();
    client.disconnect();
  });

  it('falls back when a command does not answer within commandTimeoutMs (CLIENT PAUSE)', async () => {
    const client = connectRedis(dedicated.url);
    const admin = connectRedis(dedicated.url);
    const store = redisThrottleStore(client, { prefix: testPrefix(), commandTimeoutMs: 100 });
    const { calls, reporter } = recordingReporter();
    store.connect(reporter);
    const window = { count: 1, seconds: 60 };
    await store.hit('warm', window, Date.now());
    await admin.client('PAUSE', 1500, 'ALL');
    expect(await store.hit('k', window, Date.now())).toEqual({ allowed: true });
    expect(await store.hit('k', window, Date.now())).toMatchObject({ allowed: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.error).toBeInstanceOf(RedisTimeoutError);
    await eventually(() => store.healthy, 5000, 'the store to recover after the pause');
    expect(calls.map((c) => c.kind)).toEqual(['degraded', 'recovered']);
    store.close();
    client.disconnect();
    admin.disconnect();
  });
});
