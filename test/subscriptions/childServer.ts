import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { Redis } from 'ioredis';
import { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import { WebSocketServer } from 'ws';
import { createDurin, durinErrorFormatter, type DurinContextOptions } from '../../src/index.js';
import { redisCacheBus } from '../../src/redis/index.js';
import { defineUser } from '../helpers/app.js';

/**
 * A subscription server in its own OS process (subscriptions across processes): its own createDurin
 * on the shared database with the Redis bus, HTTP and a `ws` server on one port, the cached
 * context. Started by crossProcess.test.ts with DURIN_CHILD_SERVER = { dialect, database, redisUrl, prefix }.
 */

const config = JSON.parse(process.env.DURIN_CHILD_SERVER ?? 'null') as {
  dialect: 'sqlite' | 'mysql';
  database: string;
  redisUrl: string;
  prefix: string;
} | null;
if (!config || !process.send) throw new Error('test/subscriptions/childServer.ts is started by crossProcess.test.ts');

const sequelize =
  config.dialect === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: config.database, logging: false })
    : new Sequelize(config.database, { logging: false, pool: { max: 5 } });
if (config.dialect === 'sqlite') await sequelize.query('PRAGMA busy_timeout = 5000');
const User = defineUser({ sequelize, dialect: config.dialect, statements: [], close: () => sequelize.close() });
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
redis.on('error', () => {});
const cacheBus = redisCacheBus(redis, { prefix: config.prefix, pingIntervalMs: 200 });
const durin = createDurin({ sequelize, userModel: User, authenticateUser: async () => null, cacheBus });

const createContext = (opts: DurinContextOptions | CreateWSSContextFnOptions) => durin.createCachedDurinContext(opts);
const t = initTRPC
  .context<Awaited<ReturnType<typeof createContext>>>()
  .create({ transformer: superjson, errorFormatter: durinErrorFormatter });
const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
const router = t.router({
  auth: durin.router,
  me: protectedProcedure.query(({ ctx }) => ({ username: ctx.user.username, pid: process.pid })),
  ticks: protectedProcedure.subscription(async function* ({ signal }) {
    for (let n = 0; ; n++) {
      yield n;
      await sleep(50, undefined, { signal });
    }
  }),
  stats: t.procedure.query(() => ({ busHealthy: cacheBus.healthy, open: durin.subscriptions.open })),
});
export type ChildServerRouter = typeof router;

const server = createServer(createHTTPHandler({ router, createContext }));
const wss = new WebSocketServer({ server });
applyWSSHandler({ wss, router, createContext });
server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stop') return;
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  server.closeAllConnections();
  server.close(async () => {
    await durin.close();
    await redis.quit().catch(() => redis.disconnect());
    await sequelize.close();
    process.exit(0);
  });
});
