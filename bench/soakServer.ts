import { initTRPC } from '@trpc/server';
import { createHTTPServer, type CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { AddressInfo } from 'node:net';
import { createDurin, durinErrorFormatter } from '../src/index.js';
import { defineUser, sha256, type BenchUser } from './app.js';
import { openSoakDatabase } from './soak.js';

/**
 * The soak's server (bench/soak.ts forks it): the app as the README wires it, on the database
 * named in SOAK_DATABASE (a MySQL URL or `sqlite:<file>`), with login (sha256 passwords: the soak measures durin, not a
 * password hash), the cached context, `me` and durin's router. IPC: `ready` with the port, then
 * `memory` → the RSS and heap in use (bytes), `gc` → the same after a forced full GC (the server
 * runs with --expose-gc), `exit`.
 */

process.setSourceMapsEnabled(false);
const url = process.env.SOAK_DATABASE;
if (!url || !process.send) throw new Error('bench/soakServer.ts is started by bench/soak.ts (fork, SOAK_DATABASE)');

const sequelize = openSoakDatabase(url, 10);
const User = defineUser(sequelize);
const durin = createDurin({
  sequelize,
  userModel: User,
  authenticateUser: async ({ username, password }) => {
    const user = await User.findOne({ where: { username } });
    return user && user.passwordHash === sha256(password) ? user : null;
  },
  // Every virtual client has its own forwarded address, as behind one appending proxy.
  settings: { trustProxy: 1, loginThrottleRate: '600/m' },
});

const createContext = async (opts: CreateHTTPContextOptions) => ({ ...(await durin.createCachedDurinContext(opts)), db: sequelize });
const t = initTRPC.context<typeof createContext>().create({ errorFormatter: durinErrorFormatter });
const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
const router = t.router({
  auth: durin.router,
  me: protectedProcedure.query(({ ctx }) => ({ id: (ctx.user as BenchUser).id, client: ctx.auth.client.name })),
});
const server = createHTTPServer({ router, createContext, maxBodySize: 64 * 1024, allowBatching: false });
server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'memory' || message.type === 'gc') {
    if (message.type === 'gc') (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send!({ type: message.type, rss, heapUsed });
  }
  if (message.type === 'exit') {
    server.close();
    void durin
      .close()
      .then(() => sequelize.close())
      .then(() => process.exit(0));
  }
});
