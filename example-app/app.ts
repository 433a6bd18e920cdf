import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import { createDurin, durinErrorFormatter, type DurinCreateClientInput, type DurinOptions } from 'trpc-durin';
import { ABILITIES, type Ability } from './abilities.js';
import { migrate } from './migrations.js';
import { defineUserModel, hashPassword, passwordAuthenticator, type User } from './users.js';

/**
 * The example app's tRPC server, wired the way the README tells users to: the app's own User
 * model, durin's context spread into the app's, `protectedProcedure` concat-ed onto the app's
 * procedures and durin's router mounted at `auth`.
 */

export const DEMO_USER = { username: 'demo', password: 'demo-password' } as const;

/** The API clients the app knows. `cli` has a small rate, so the walkthrough gets throttled. */
export const DEMO_CLIENTS: readonly DurinCreateClientInput<Ability>[] = [
  { name: 'web', tokenTtl: '1d' },
  { name: 'mobile', tokenTtl: '30d' },
  { name: 'cli', tokenTtl: '12h', throttleRate: '5/m' },
  { name: 'api', tokenTtl: '90d' },
];

export interface ExampleAppOptions {
  /** Use createCachedDurinContext (CachedTokenAuthentication) instead of createDurinContext. */
  cache?: boolean;
  /** Several processes (REDIS_URL, see server.ts): the shared throttle store and revocation bus. */
  shared?: Pick<DurinOptions<User>, 'throttleStore' | 'cacheBus'>;
  /** Metrics and spans (METRICS_PORT, see server.ts): `durinTelemetry()` from `trpc-durin/otel`. */
  telemetry?: DurinOptions<User>['telemetry'];
  /** Cookie sessions for the page (server.ts passes the origin it serves). @default none: header tokens only */
  cookie?: { secure: boolean; trustedOrigins: string[] };
  /** Logins a minute per IP. @default durin's "10/m" */
  loginThrottleRate?: string;
}

export function createExampleApp(sequelize: Sequelize, options: ExampleAppOptions = {}) {
  const User = defineUserModel(sequelize);

  const durin = createDurin({
    sequelize,
    userModel: User,
    authenticateUser: passwordAuthenticator(User),
    serializeUser: (user: User) => ({ id: user.id, username: user.username }),
    // The demo account is the administrator: the admin procedures answer it and no one else.
    isAdmin: (user: User) => user.username === DEMO_USER.username,
    abilities: ABILITIES,
    settings: {
      // `auth.apiAccess.*` issues the user's API key as a token of this client.
      apiAccessClientName: 'api',
      // The API key has its own panel; keep it out of the session list.
      apiAccessExcludeFromSessions: true,
      // Past 30 unknown tokens a minute from one IP, the next one is answered 429 before any SQL.
      invalidTokenThrottleRate: '30/m',
      ...(options.loginThrottleRate ? { loginThrottleRate: options.loginThrottleRate } : {}),
      // The page logs in with `transport: 'cookie'`: the token stays in an HttpOnly cookie.
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    ...options.shared,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });

  // DURIN_CACHE=1: verified tokens are memoized for `tokenCacheTimeout` seconds; logout and
  // revocations in this process evict at once.
  const durinContext = options.cache ? durin.createCachedDurinContext : durin.createDurinContext;
  // One createContext for HTTP and the page's WebSocket (auth.sessions.watch; the token in connectionParams).
  const createContext = async (opts: CreateHTTPContextOptions | CreateWSSContextFnOptions) => ({
    ...(await durinContext(opts)),
    db: sequelize,
  });
  type Context = Awaited<ReturnType<typeof createContext>>;

  const t = initTRPC.context<Context>().create({
    transformer: superjson,
    // Adds `data.durinCode` (TOKEN_EXPIRED, TOKEN_INVALID, THROTTLED...) to every error.
    errorFormatter: durinErrorFormatter,
    // Keep stack traces out of responses; the server logs internal errors itself (server.ts).
    isDev: false,
  });
  const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
  // The posts behind `posts.*`: in memory, as they only show abilities at work.
  const posts: { id: number; title: string; author: string; created: Date }[] = [];

  const router = t.router({
    auth: durin.router,
    admin: durin.adminRouterFor(t),

    /** Who the token belongs to, and which client it was issued to. */
    me: protectedProcedure.query(({ ctx }) => ({
      id: ctx.user.id,
      username: ctx.user.username,
      client: ctx.auth.client.name,
      expiry: ctx.auth.expiry,
    })),

    /** durin's AllowSpecificClients: only `web` tokens pass. */
    onlyWeb: t.procedure.concat(durin.allowClients('web')).query(({ ctx }) => `Hello ${ctx.user.username}: only the web client sees this.`),

    /** durin's DisallowSpecificClients: every client but `web`. */
    noWeb: t.procedure
      .concat(durin.disallowClients('web'))
      .query(({ ctx }) => `Hello ${ctx.user.username}: every client but web sees this (you are on ${ctx.auth.client.name}).`),

    /** durin's UserClientRateThrottle: the client's rate (cli: 5/m), else 10/m for this procedure. */
    throttled: protectedProcedure.concat(durin.throttle({ defaultRate: '10/m' })).query(({ ctx }) => ({
      client: ctx.auth.client.name,
      at: new Date(),
    })),

    /** Abilities: a key limited to `posts:read` lists posts and is refused `create`. */
    posts: t.router({
      list: t.procedure.concat(durin.requireAbilities('posts:read')).query(() => posts),
      create: t.procedure
        .concat(durin.requireAbilities('posts:write'))
        .input(z.object({ title: z.string().trim().min(1).max(200) }))
        .mutation(({ ctx, input }) => {
          const post = { id: posts.length + 1, title: input.title, author: ctx.user.username, created: new Date() };
          posts.push(post);
          return post;
        }),
    }),
  });

  /** Applies the pending migrations (migrations.ts) and seeds the demo clients and user once. */
  async function setUpDatabase(): Promise<string[]> {
    const applied = await migrate(sequelize);
    for (const client of DEMO_CLIENTS) {
      if (!(await durin.clients.get(client.name))) await durin.clients.create(client);
    }
    if (!(await User.findOne({ where: { username: DEMO_USER.username } }))) {
      await User.create({ username: DEMO_USER.username, passwordHash: await hashPassword(DEMO_USER.password) });
    }
    return applied;
  }

  return { User, durin, router, createContext, setUpDatabase };
}

export type ExampleApp = ReturnType<typeof createExampleApp>;
/** The router's type, for `createTRPCClient<AppRouter>` in the web page and the walkthrough. */
export type AppRouter = ExampleApp['router'];
