import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { DurinCacheBusLink } from '../../src/core/bus.js';
import type { DurinLivenessMessage } from '../../src/core/liveness.js';
import { redisCacheBus, type DurinRedisCacheBus } from '../../src/redis/index.js';
import { connectRedis, describeRedis, eventually, startDedicatedRedis, testPrefix, type DedicatedRedis } from '../helpers/redis.js';

/** What durin hands a bus, recording every call. */
function recordingLink() {
  const delivered: DurinLivenessMessage[] = [];
  const log: string[] = [];
  const link: DurinCacheBusLink = {
    deliver: (message) => delivered.push(message),
    healthChanged: (healthy) => log.push(healthy ? 'healthy' : 'unhealthy'),
    degraded: (component) => log.push(`degraded:${component}`),
    recovered: (component) => log.push(`recovered:${component}`),
  };
  return { delivered, log, link };
}

const MESSAGES: DurinLivenessMessage[] = [
  { type: 'revoked', tokenHashes: ['a'.repeat(64), 'b'.repeat(64)] },
  { type: 'renewed', tokenHash: 'c'.repeat(64), expiry: 1_764_000_000_123 },
  { type: 'userChanged', userId: '42' },
];

describeRedis('redisCacheBus on a shared redis-server', () => {
  let redis: Redis;
  const buses: DurinRedisCacheBus[] = [];
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await redis.quit();
  });
  const open = (prefix: string, client: Redis = redis) => {
    const bus = redisCacheBus(client, { prefix });
    buses.push(bus);
    const recorder = recordingLink();
    bus.connect(recorder.link);
    return { bus, ...recorder };
  };

  it('is unhealthy until its subscription is confirmed, then healthy', async () => {
    const bus = redisCacheBus(redis, { prefix: testPrefix() });
    buses.push(bus);
    expect(bus.healthy).toBe(false);
    const { link, log } = recordingLink();
    bus.connect(link);
    expect(bus.healthy).toBe(false);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    expect(log).toEqual(['healthy']); // nothing was lost: no recovered
    expect(() => bus.connect(link)).toThrow(/connected once/);
  });

  it('carries every message type to the other processes, never back to its own', async () => {
    const prefix = testPrefix();
    const a = open(prefix);
    const b = open(prefix, connectRedis());
    const other = open(testPrefix());
    await eventually(() => a.bus.healthy && b.bus.healthy && other.bus.healthy, 5000, 'three subscriptions');
    for (const message of MESSAGES) a.bus.publish(message);
    await eventually(() => b.delivered.length === MESSAGES.length, 2000, 'the messages on B');
    expect(b.delivered).toEqual(MESSAGES);
    await redis.publish(a.bus.channel, 'not json'); // and a marker: A has read everything before it
    await redis.publish(a.bus.channel, JSON.stringify({ from: 'x', message: { type: 'revoked', tokenHashes: [1] } }));
    b.bus.publish(MESSAGES[2]!);
    await eventually(() => a.delivered.length === 1, 2000, "B's message on A");
    expect(a.delivered).toEqual([MESSAGES[2]]); // its own three never came back; the garbage was dropped
    expect(other.delivered).toEqual([]); // another prefix, another app
  });

  it('never throws from publish, even on a closed client', async () => {
    const client = connectRedis();
    const { bus } = open(testPrefix(), client);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    await client.quit();
    expect(() => bus.publish(MESSAGES[0]!)).not.toThrow();
    await eventually(() => !bus.healthy, 2000, 'the failed publish to make the bus unhealthy');
  });

  it('rejects bad options, naming them', () => {
    expect(() => redisCacheBus(redis, { prefix: 'a b' })).toThrow(/redisCacheBus option "prefix"/);
    expect(() => redisCacheBus(redis, { pingIntervalMs: 1 })).toThrow(/"pingIntervalMs"/);
  });
});

describeRedis('redisCacheBus when Redis fails', () => {
  let dedicated: DedicatedRedis;
  beforeAll(async () => {
    dedicated = await startDedicatedRedis();
  });
  afterAll(() => dedicated.stop());

  it('goes unhealthy when redis-server is killed, and healthy again (cache cleared) once it is back', async () => {
    const prefix = testPrefix();
    const publisher = connectRedis(dedicated.url, { retryStrategy: () => 20 });
    const a = redisCacheBus(publisher, { prefix });
    const b = redisCacheBus(connectRedis(dedicated.url, { retryStrategy: () => 20 }), { prefix });
    const la = recordingLink();
    const lb = recordingLink();
    a.connect(la.link);
    b.connect(lb.link);
    await eventually(() => a.healthy && b.healthy, 5000, 'both subscriptions');
    await dedicated.kill();
    await eventually(() => !a.healthy && !b.healthy, 2000, 'both buses to notice');
    expect(lb.log).toEqual(['healthy', 'unhealthy', 'degraded:cacheBus']);
    await dedicated.start();
    await eventually(() => a.healthy && b.healthy, 5000, 'both buses to recover');
    expect(lb.log).toEqual(['healthy', 'unhealthy', 'degraded:cacheBus', 'healthy', 'recovered:cacheBus']);
    // Sharing resumed.
    a.publish(MESSAGES[0]!);
    await eventually(() => lb.delivered.length === 1, 2000, 'a message after the restart');
    await a.close();
    await b.close();
    publisher.disconnect();
  });

  it('closes while Redis is down, leaving no reconnect behind', async () => {
    // Named, so that its connections (the bus's duplicate inherits the name) stand out from the other tests'.
    const name = `closed-bus-${process.pid}`;
    const client = connectRedis(dedicated.url, { retryStrategy: () => 20, connectionName: name });
    // The bus subscribes on its own duplicate of the app's client: keep hold of it to watch it.
    const duplicate = vi.spyOn(client, 'duplicate');
    const bus = redisCacheBus(client, { prefix: testPrefix() });
    bus.connect(recordingLink().link);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    const subscriber = duplicate.mock.results[0]!.value as Redis;
    await dedicated.kill();
    await eventually(() => subscriber.status === 'reconnecting', 2000, 'the subscriber to be between two reconnects');
    await bus.close();
    client.disconnect();
    let reconnects = 0;
    subscriber.on('reconnecting', () => reconnects++);
    await dedicated.start();
    // The restarted server sees no connection of that name: a reconnect left behind would come back
    // within its 20 ms retry, so the probe looks for one over ten such periods.
    const probe = connectRedis(dedicated.url);
    try {
      for (let look = 0; look < 10; look++) {
        const clients = String(await probe.client('LIST')).split('\n');
        expect(clients.filter((line) => line.includes(` name=${name} `))).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      probe.disconnect();
    }
    expect(reconnects).toBe(0);
  });

  it('subscribes on a lazy client (lazyConnect) too', async () => {
    const client = connectRedis(dedicated.url, { lazyConnect: true });
    const bus = redisCacheBus(client, { prefix: testPrefix() });
    bus.connect(recordingLink().link);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    await bus.close();
    client.disconnect();
  });

  it('goes unhealthy when a ping is not answered within commandTimeoutMs (CLIENT PAUSE)', async () => {
    const client = connectRedis(dedicated.url);
    const admin = connectRedis(dedicated.url);
    const bus = redisCacheBus(client, { prefix: testPrefix(), commandTimeoutMs: 50, pingIntervalMs: 20 });
    const { link, log } = recordingLink();
    bus.connect(link);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    await admin.client('PAUSE', 600, 'ALL');
    await eventually(() => !bus.healthy, 2000, 'a missed ping');
    await eventually(() => bus.healthy, 5000, 'the pings to be answered again');
    expect(log).toEqual(['healthy', 'unhealthy', 'degraded:cacheBus', 'healthy', 'recovered:cacheBus']);
    await bus.close();
    client.disconnect();
    admin.disconnect();
  });
});
