import { initTRPC } from '@trpc/server';
import { createHTTPServer, type CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import type { DurinCacheBus } from '../src/core/bus.js';
import { createDurin, durinErrorFormatter } from '../src/index.js';
import { redisCacheBus, redisThrottleStore } from '../src/redis/index.js';
import { CLIENT_NAME, defineUser, type BenchUser } from './app.js';

/**
 * One server of the Redis benchmark (bench/redis.ts forks it): the cached context and a throttled
 * `me`, with the throttle counters in memory or in Redis, and the Redis bus. Over IPC: `ready` with
 * the port; `rotate` issues user1 a new token (revoking the previous one: a `rotated` revocation)
 * and answers with it; `times` answers with when this process published and delivered each
 * revocation (ms since the epoch, high resolution: one machine, one clock); `exit`.
 */

export interface RedisServerConfig {
  dialect: 'sqlite' | 'mysql';
  database: string;
  redisUrl: string;
  prefix: string;
  store: 'memory' | 'redis';
}

process.setSourceMapsEnabled(false);
const config = JSON.parse(process.env.BENCH_REDIS_SERVER ?? 'null') as RedisServerConfig | null;
if (!config || !process.send) throw new Error('bench/redisServer.ts is started by bench/redis.ts');

const sequelize =
  config.dialect === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: config.database, logging: false, pool: { max: 5 } })
    : new Sequelize(config.database, { logging: false, pool: { max: 5 } });
const User = defineUser(sequelize);
const redis = new Redis(config.redisUrl);
const clock = () => performance.timeOrigin + performance.now();
const published: number[] = [];
const delivered: number[] = [];
// The bus as durin sees it, with a clock on both ends of each revocation.
const inner = redisCacheBus(redis, { prefix: config.prefix });
const cacheBus: DurinCacheBus = {
  connect: (link) =>
    inner.connect({
      ...link,
      deliver(message) {
        link.deliver(message);
        if (message.type === 'revoked') delivered.push(clock());
      },
    }),
  publish(message) {
    if (message.type === 'revoked') published.push(clock());
    inner.publish(message);
  },
  get healthy() {
    return inner.healthy;
  },
  close: () => inner.close(),
};
const durin = createDurin({
  sequelize,
  userModel: User,
  authenticateUser: async () => null,
  cacheBus,
  ...(config.store === 'redis' ? { throttleStore: redisThrottleStore(redis, { prefix: config.prefix }) } : {}),
});

const createContext = async (opts: CreateHTTPContextOptions) => durin.createCachedDurinContext(opts);
const t = initTRPC.context<typeof createContext>().create({ transformer: superjson, errorFormatter: durinErrorFormatter });
// A rate no run reaches: every request is counted, none refused.
const throttled = t.procedure.concat(durin.protectedProcedure).concat(durin.throttle({ defaultRate: '1000000/m' }));
const router = t.router({
  me: throttled.query(({ ctx }) => ({
    id: (ctx.user as BenchUser).id,
    username: (ctx.user as BenchUser).username,
    client: ctx.auth.client.name,
  })),
});
const server = createHTTPServer({ router, createContext });

process.on('message', async (message: { id: number; cmd: string }) => {
  let result: unknown = null;
  if (message.cmd === 'rotate') {
    const user = (await User.findOne({ where: { username: 'user1' } }))!;
    result = (await durin.tokens.issue(user, CLIENT_NAME)).token;
  } else if (message.cmd === 'times') {
    result = { published, delivered, healthy: inner.healthy };
  } else if (message.cmd === 'exit') {
    server.close();
    await durin.close();
    redis.disconnect();
    await sequelize.close();
    process.send!({ id: message.id, result });
    process.exit(0);
  }
  process.send!({ id: message.id, result });
});

server.listen(0, '127.0.0.1', () => process.send!({ ready: true, port: (server.address() as AddressInfo).port }));
