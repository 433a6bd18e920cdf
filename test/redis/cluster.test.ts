import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { DurinCacheBusLink } from '../../src/core/bus.js';
import { createDurin } from '../../src/index.js';
import type { DurinLivenessMessage } from '../../src/core/liveness.js';
import { redisCacheBus, redisThrottleStore } from '../../src/redis/index.js';
import { encodeEnvelope } from '../../src/redis/busMessage.js';
import { memoryThrottleStore, type DurinThrottleWindow } from '../../src/throttle/store.js';
import { defineUser } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { startRedisCluster, type LocalRedisCluster } from '../helpers/redisCluster.js';

/**
 * Redis Cluster: the store and the bus on an ioredis `Cluster` (a local 3-node
 * cluster, no replicas). Keys spread over the three masters; pub/sub is broadcast by the cluster.
 */

const MESSAGES: DurinLivenessMessage[] = [
  { type: 'revoked', tokenHashes: ['a'.repeat(64), 'b'.repeat(64)] },
  { type: 'renewed', tokenHash: 'c'.repeat(64), expiry: 1_764_000_000_123 },
  { type: 'userChanged', userId: '42' },
];

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

/** The master that owns `key`'s slot (each of the three owns a third; the others answer MOVED). */
async function ownerOf(cluster: Cluster, key: string): Promise<string> {
  for (const node of cluster.nodes('master')) {
    const owns = await node.exists(key).then(
      () => true,
      (error: Error) => (error.message.startsWith('MOVED') ? false : Promise.reject(error)),
    );
    if (owns) return `${node.options.host}:${node.options.port}`;
  }
  throw new Error(`no master owns ${key}`);
}

describeRedis('redisThrottleStore and redisCacheBus on a Redis Cluster', () => {
  let local: LocalRedisCluster;
  let cluster: Cluster;
  beforeAll(async () => {
    local = await startRedisCluster();
    cluster = local.connect();
    await cluster.ping();
  }, 30_000);
  afterAll(async () => {
    cluster?.disconnect();
    await local?.stop();
  });

  it('decides like memoryThrottleStore, on keys spread over the three masters', async () => {
    let seed = 0x1f2e3d4c;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const windows: DurinThrottleWindow[] = [
      { count: 1, seconds: 60 },
      { count: 2, seconds: 60 },
      { count: 3, seconds: 120 },
    ];
    const keys = ['alpha', 'bravo', 'charlie'];
    const decisions = { allowed: 0, refused: 0 };
    const owners = new Set<string>();
    for (let sequence = 0; sequence < 30; sequence++) {
      const prefix = testPrefix();
      const shared = redisThrottleStore(cluster, { prefix, commandTimeoutMs: 5000 });
      const memory = memoryThrottleStore();
      const fixed = new Map(keys.map((key) => [key, pick(windows)]));
      let at = 1_764_000_000_000;
      for (let step = 0; step < 30; step++) {
        at += pick([0, 1, 999, 30_000, 60_000, 60_001, 119_999, 400_000]);
        const key = pick(keys);
        const window = fixed.get(key)!;
        const expected = memory.hit(key, window, at);
        expect(await shared.hit(key, window, at), `sequence ${sequence}, step ${step}: ${key} at ${at}`).toEqual(expected);
        decisions[expected.allowed ? 'allowed' : 'refused']++;
      }
      expect(shared.healthy).toBe(true);
      for (const key of keys) owners.add(await ownerOf(cluster, prefix + key));
      shared.close();
    }
    expect(owners.size).toBe(3);
    expect(decisions.allowed).toBeGreaterThan(50);
    expect(decisions.refused).toBeGreaterThan(50);
  });

  it('counts across two stores (two Cluster clients), on keys in different slots, loading the script on every master', async () => {
    await Promise.all(cluster.nodes('master').map((node) => node.script('FLUSH')));
    const other = local.connect();
    const prefix = testPrefix();
    const a = redisThrottleStore(cluster, { prefix });
    const b = redisThrottleStore(other, { prefix });
    const window = { count: 3, seconds: 60 };
    const at = Date.now();
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    for (const key of keys) {
      expect(await a.hit(key, window, at)).toEqual({ allowed: true });
      expect(await b.hit(key, window, at + 1)).toEqual({ allowed: true });
      expect(await a.hit(key, window, at + 2)).toEqual({ allowed: true });
      expect(await b.hit(key, window, at + 3)).toEqual({ allowed: false, waitSeconds: 60 });
      const ttl = await cluster.pttl(prefix + key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    expect(new Set(await Promise.all(keys.map((key) => ownerOf(cluster, prefix + key)))).size).toBe(3);
    expect(a.healthy && b.healthy).toBe(true);
    a.close();
    b.close();
    other.disconnect();
  });

  it('carries every message type between two buses, and hears a publish made on any master', async () => {
    const prefix = testPrefix();
    const other = local.connect();
    const a = redisCacheBus(cluster, { prefix });
    const b = redisCacheBus(other, { prefix });
    const la = recordingLink();
    const lb = recordingLink();
    a.connect(la.link);
    b.connect(lb.link);
    await eventually(() => a.healthy && b.healthy, 5000, 'both subscriptions');
    for (const message of MESSAGES) a.publish(message);
    await eventually(() => lb.delivered.length === MESSAGES.length, 2000, 'the messages on B');
    // Each publish goes to some master: two of them may overtake each other (harmless).
    expect(new Set(lb.delivered)).toEqual(new Set(MESSAGES));
    // Whichever node a bus listens on, a message published on any other node reaches it.
    for (const node of cluster.nodes('master')) await node.publish(b.channel, encodeEnvelope('elsewhere', MESSAGES[2]!));
    await eventually(() => la.delivered.length === 3 && lb.delivered.length === 6, 2000, 'the three publishes on both');
    expect(la.log).toEqual(['healthy']);
    expect(lb.log).toEqual(['healthy']);
    expect(a.healthy && b.healthy).toBe(true);
    await a.close();
    await b.close();
    other.disconnect();
  });

  it('durin.close() leaves no handle behind', async () => {
    const db = await createTestDatabase();
    const User = defineUser(db);
    const client = local.connect();
    await client.ping();
    // Its connection to each master is opened on first use: open all three before counting.
    await Promise.all(client.nodes('master').map((node) => node.ping()));
    const count = () => process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length;
    // Handles of work just finished (sockets still closing) may still be counted: start once the count holds still.
    let last = -1;
    await vi.waitFor(() => {
      const now = count();
      const settled = now === last;
      last = now;
      expect(settled).toBe(true);
    });
    const before = last;
    const instances = Array.from({ length: 5 }, () => {
      const throttleStore = redisThrottleStore(client, { prefix: testPrefix() });
      const cacheBus = redisCacheBus(client, { prefix: testPrefix(), pingIntervalMs: 50 });
      const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null, throttleStore, cacheBus });
      return { durin, throttleStore, cacheBus };
    });
    await eventually(() => instances.every(({ cacheBus }) => cacheBus.healthy), 5000, 'five subscriptions');
    for (const { throttleStore } of instances) await throttleStore.hit('k', { count: 5, seconds: 60 }, Date.now());
    await Promise.all(instances.map(({ durin }) => durin.close()));
    await eventually(
      () => count() <= before,
      5000,
      () => `the resources to return to the start (${process.getActiveResourcesInfo()})`,
    );
    expect(await client.ping()).toBe('PONG'); // the app's own client stays open
    client.disconnect();
    await db.close();
  });

  it('subscribes on a lazy Cluster (lazyConnect) too', async () => {
    const lazy = local.connect({ lazyConnect: true });
    const bus = redisCacheBus(lazy, { prefix: testPrefix() });
    bus.connect(recordingLink().link);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    await bus.close();
    lazy.disconnect();
  });

  // Last: it leaves one master down.
  it("when the master the bus listens on dies: the bus notices at once and moves (cache cleared), the store falls back for that master's keys", async () => {
    const bus = redisCacheBus(cluster, { prefix: testPrefix(), pingIntervalMs: 60_000 }); // no ping: the connection itself tells
    const { delivered, log, link } = recordingLink();
    bus.connect(link);
    await eventually(() => bus.healthy, 5000, 'the subscription');
    const listeningOn = async () => {
      const ports: number[] = [];
      for (const node of cluster.nodes('master')) {
        const clients = String(await node.client('LIST'));
        if (clients.split('\n').some((line) => / sub=1 /.test(line))) ports.push(node.options.port!);
      }
      return ports;
    };
    const [port, ...more] = await listeningOn();
    expect(more).toEqual([]);
    await local.kill(port!);
    await eventually(() => !bus.healthy, 2000, 'the bus to notice');
    await eventually(() => bus.healthy, 5000, 'the bus on another master');
    expect(log).toEqual(['healthy', 'unhealthy', 'degraded:cacheBus', 'healthy', 'recovered:cacheBus']); // healthy: the cache clears
    const alive = cluster.nodes('master').filter((node) => node.options.port !== port);
    for (const node of alive) await node.publish(bus.channel, encodeEnvelope('elsewhere', MESSAGES[0]!));
    await eventually(() => delivered.length === alive.length, 2000, 'the publishes on the live masters');
    await bus.close();

    // The store: a key of the dead master falls back to memory, and the store asks that master (not
    // any node) whether it is back, so it neither recovers nor flaps while the master stays down.
    const prefix = testPrefix();
    let key = '';
    for (let i = 0; !key; i++) {
      const slot = Number(await alive[0]!.cluster('KEYSLOT', `${prefix}k${i}`));
      if (cluster.slots[slot]?.[0] === `127.0.0.1:${port}`) key = `k${i}`;
    }
    const store = redisThrottleStore(cluster, { prefix, commandTimeoutMs: 100 });
    const reports: string[] = [];
    store.connect({
      degraded: (component) => reports.push(`degraded:${component}`),
      recovered: (component) => reports.push(`recovered:${component}`),
    });
    const window = { count: 1, seconds: 60 };
    expect(await store.hit(key, window, Date.now())).toEqual({ allowed: true });
    expect(store.healthy).toBe(false);
    // A real wait: the point is that four failing probes (one every 250 ms) report nothing more, which no poll can show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(reports).toEqual(['degraded:throttleStore']);
    expect(await store.hit(key, window, Date.now())).toMatchObject({ allowed: false }); // counted in memory
    store.close();
  });
});
