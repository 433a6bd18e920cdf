import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import { createDurin, durinErrorFormatter, hashToken, type DurinAuthToken, type DurinContextOptions } from '../../src/index.js';
import { redisCacheBus, redisThrottleStore } from '../../src/redis/index.js';
import { defineUser, hashPassword } from './app.js';
import type { ChildAppConfig, ChildAppEvent } from './processes.js';

/**
 * One app server in its own OS process (started by `startChildApp` in processes.ts): its own
 * createDurin on the shared database and, when configured, the shared Redis; a standalone tRPC
 * server on 127.0.0.1:0. It tells the parent over IPC: `ready` with its URL, then every
 * `degraded` / `recovered` event. `admin.*` procedures let a test seed and revoke from this process.
 */

const config = JSON.parse(process.env.DURIN_CHILD_APP ?? 'null') as ChildAppConfig | null;
if (!config || !process.send) throw new Error('test/helpers/childApp.ts is started by startChildApp (fork, DURIN_CHILD_APP)');
const send = (message: ChildAppEvent) => process.send!(message);

let tokenLookups = 0;
const logging = (sql: string) => {
  if (/^Executing \(\w+\): SELECT .* FROM [`"]?durin_authtoken/.test(sql) || /^Executing .*SELECT .* FROM [`"]?durin_authtoken/.test(sql))
    tokenLookups++;
};
const sequelize =
  config.dialect === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: config.database, logging })
    : new Sequelize(config.database, { logging, pool: { max: 5 } });
if (config.dialect === 'sqlite') await sequelize.query('PRAGMA busy_timeout = 5000');

const User = defineUser({ sequelize, dialect: config.dialect, statements: [], close: () => sequelize.close() });
const redis = config.redisUrl
  ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 20, 200) })
  : null;
redis?.on('error', () => {});
const cacheBus = redis ? redisCacheBus(redis, { prefix: config.prefix, pingIntervalMs: 200 }) : undefined;
const durin = createDurin({
  sequelize,
  userModel: User,
  authenticateUser: async ({ username, password }) => {
    const user = await User.findOne({ where: { username } });
    return user && user.passwordHash === hashPassword(password) ? user : null;
  },
  settings: config.settings,
  ...(redis && config.throttleStore !== 'memory' ? { throttleStore: redisThrottleStore(redis, { prefix: config.prefix }) } : {}),
  ...(cacheBus ? { cacheBus } : {}),
});
for (const name of ['degraded', 'recovered'] as const) {
  durin.events.on(name, ({ component }) => send({ type: 'event', name, component }));
}
if (config.sync) {
  await User.sync();
  await durin.sync();
}

const createContext = (opts: DurinContextOptions) =>
  config.cached === false ? durin.createDurinContext(opts) : durin.createCachedDurinContext(opts);
const t = initTRPC
  .context<Awaited<ReturnType<typeof createContext>>>()
  .create({ transformer: superjson, errorFormatter: durinErrorFormatter });
const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
const input =
  <T>() =>
  (value: unknown) =>
    value as T;
const findUser = async (username: string) => (await User.findOne({ where: { username } }))!;
const findToken = async (token: string) =>
  (await durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(token) } })) as DurinAuthToken<InstanceType<typeof User>>;

const router = t.router({
  auth: durin.router,
  me: protectedProcedure.query(({ ctx }) => ({ username: ctx.user.username, pid: process.pid })),
  throttled: protectedProcedure.concat(durin.throttle()).query(() => 'throttled'),
  publicThrottled: t.procedure.concat(durin.throttle()).query(() => 'public throttled'),
  admin: t.router({
    createUser: t.procedure.input(input<{ username: string; password: string }>()).mutation(async ({ input }) => {
      const user = await User.create({ username: input.username, passwordHash: hashPassword(input.password) });
      return user.id;
    }),
    createClient: t.procedure.input(input<{ name: string; throttleRate?: string; tokenTtl?: string }>()).mutation(async ({ input }) => {
      await durin.clients.create(input);
    }),
    issue: t.procedure.input(input<{ username: string; client: string }>()).mutation(async ({ input }) => {
      return (await durin.tokens.issue(await findUser(input.username), input.client)).token;
    }),
    revoke: t.procedure.input(input<{ token: string }>()).mutation(async ({ input }) => durin.tokens.revoke(await findToken(input.token))),
    revokeAll: t.procedure
      .input(input<{ username: string }>())
      .mutation(async ({ input }) => durin.tokens.revokeAll(await findUser(input.username))),
    removeExpired: t.procedure.mutation(() => durin.tokens.removeExpired()),
    deleteClient: t.procedure.input(input<{ name: string }>()).mutation(({ input }) => durin.clients.delete(input.name)),
    /** Token lookups this process sent to the database so far, and whether its bus is healthy. */
    stats: t.procedure.query(() => ({ tokenLookups, busHealthy: cacheBus?.healthy ?? null })),
  }),
});
export type ChildRouter = typeof router;

const server = createHTTPServer({ router, createContext });
server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'stop') return;
  server.closeAllConnections();
  server.close(async () => {
    await durin.close();
    redis?.disconnect();
    await sequelize.close();
    process.exit(0);
  });
});
