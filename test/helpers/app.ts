import { createHash } from 'node:crypto';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { Column, DataType, Model, Table } from 'sequelize-typescript';
import { createDurin, durinErrorFormatter, type DurinSettings, type DurinContextOptions } from '../../src/index.js';
import type { DurinThrottleStore } from '../../src/throttle/store.js';
import type { DurinCacheBus, DurinTelemetry } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/**
 * A small app wired the way the README tells users to: the app's own User model, durin's context
 * spread into the app's, `protectedProcedure` concat-ed, durin's router mounted at `auth`.
 */

// Intentionally fast for tests (better-auth does the same); the example app uses scrypt.
export const hashPassword = (password: string) => createHash('sha256').update(password).digest('hex');

export function defineUser(db: TestDatabase) {
  @Table({ tableName: 'app_user', timestamps: false })
  class User extends Model {
    @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
    override id!: number;

    @Column({ type: DataType.STRING(150), allowNull: false, unique: true })
    username!: string;

    @Column({ type: DataType.STRING(64), allowNull: false })
    passwordHash!: string;

    @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
    isActive!: boolean;

    @Column({ type: DataType.DATE(3), allowNull: true })
    joinedAt!: Date | null;

    // A virtual attribute has no column: the token lookup must not select it.
    @Column({
      type: DataType.VIRTUAL,
      get(this: Model) {
        return `@${this.getDataValue('username')}`;
      },
    })
    handle!: string;
  }
  db.sequelize.addModels([User]);
  return User;
}

export interface TestAppOptions {
  settings?: DurinSettings;
  transformer?: 'superjson' | 'none';
  serializeUser?: boolean;
  /** An existing database (to build two apps on one), else a fresh one. */
  db?: TestDatabase;
  /** durin's throttle store, else its default. */
  throttleStore?: DurinThrottleStore;
  /** durin's telemetry, else none. */
  telemetry?: DurinTelemetry;
  /** The app's declared abilities (it must include posts:read and posts:write, which the router requires). */
  abilities?: readonly string[];
  /** durin's cross-process bus, else none. */
  cacheBus?: DurinCacheBus;
  /** Who may use the admin router (mounted at `admin`), else no one: administration is not configured. */
  isAdmin?: (user: { username: string }) => boolean | Promise<boolean>;
}

export async function createTestApp(options: TestAppOptions = {}) {
  const db = options.db ?? (await createTestDatabase());
  const User = defineUser(db);
  const durin = createDurin({
    sequelize: db.sequelize,
    userModel: User,
    authenticateUser: async ({ username, password }) => {
      const user = await User.findOne({ where: { username } });
      return user && user.passwordHash === hashPassword(password) ? user : null;
    },
    ...(options.serializeUser ? { serializeUser: (user: InstanceType<typeof User>) => ({ username: user.username }) } : {}),
    settings: options.settings,
    ...(options.throttleStore ? { throttleStore: options.throttleStore } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.abilities ? { abilities: options.abilities } : {}),
    ...(options.cacheBus ? { cacheBus: options.cacheBus } : {}),
    ...(options.isAdmin ? { isAdmin: options.isAdmin } : {}),
  });
  await User.sync();
  await durin.sync();

  // The README's sample: the app spreads durin's context into its own.
  const createContext = async (opts: DurinContextOptions) => ({ ...(await durin.createDurinContext(opts)), db: db.sequelize });
  const createCachedContext = async (opts: DurinContextOptions) => ({ ...(await durin.createCachedDurinContext(opts)), db: db.sequelize });
  type Context = Awaited<ReturnType<typeof createContext>>;

  const t = initTRPC.context<Context>().create({
    ...(options.transformer === 'none' ? {} : { transformer: superjson }),
    errorFormatter: durinErrorFormatter,
  });
  const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
  const router = t.router({
    auth: durin.router,
    admin: durin.adminRouterFor(t),
    hello: t.procedure.query(({ ctx }) => ({ user: ctx.user ? (ctx.user as InstanceType<typeof User>).username : null })),
    me: protectedProcedure.query(({ ctx }) => ({
      id: ctx.user.id,
      username: ctx.user.username,
      client: ctx.auth.client.name,
      tokenId: Number(ctx.auth.id),
      isActive: ctx.user.isActive,
      joinedAt: ctx.user.joinedAt,
      handle: ctx.user.handle,
    })),
    onlyWeb: t.procedure.concat(durin.allowClients('web')).query(() => 'only web'),
    noWeb: t.procedure.concat(durin.disallowClients('web')).query(() => 'no web'),
    throttled: protectedProcedure.concat(durin.throttle()).query(() => 'throttled'),
    publicThrottled: t.procedure.concat(durin.throttle()).query(() => 'public throttled'),
    postsRead: t.procedure.concat(durin.requireAbilities('posts:read')).query(() => 'posts'),
    postsWrite: t.procedure.concat(durin.requireAbilities('posts:write')).mutation(() => 'written'),
  });

  let userCount = 0;
  return {
    db,
    durin,
    User,
    router,
    createContext,
    createCachedContext,
    transformer: options.transformer === 'none' ? undefined : superjson,
    async createUser(fields: { username?: string; password?: string; isActive?: boolean; joinedAt?: Date } = {}) {
      userCount += 1;
      return User.create({
        username: fields.username ?? `user${userCount}`,
        passwordHash: hashPassword(fields.password ?? 'hunter2'),
        isActive: fields.isActive ?? true,
        joinedAt: fields.joinedAt ?? null,
      });
    },
    async close() {
      await db.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
export type TestRouter = TestApp['router'];
