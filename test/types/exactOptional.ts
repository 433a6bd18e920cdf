import { initTRPC } from '@trpc/server';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import type { FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import type { CreateFastifyContextOptions } from '@trpc/server/adapters/fastify';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import {
  createDurin,
  type Durin,
  type DurinContextOptions,
  type DurinSettings,
  type DurinTokens,
  type DurinIssueOptions,
  type DurinMemoryThrottleStoreOptions,
} from '../../src/index.js';
import type { DurinMigrationOptions } from '../../src/migrations/index.js';
import type { DurinRedisOptions, DurinRedisCacheBusOptions } from '../../src/redis/index.js';

/**
 * Compiled, never run (test/types/tsconfig.json: exactOptionalPropertyTypes): every adapter's
 * context options go to createDurinContext as they are, optional values may be passed as
 * `undefined`, and the declared public types match what createDurin returns.
 */
@Table({ tableName: 'typed_user', timestamps: false })
class AppUser extends Model {
  @Column({ type: DataType.STRING, allowNull: false })
  username!: string;
}
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false, models: [AppUser] });
declare const maybeSettings: DurinSettings | undefined;
const durin: Durin<AppUser> = createDurin({
  sequelize,
  userModel: AppUser,
  authenticateUser: () => null,
  settings: maybeSettings,
  serializeUser: undefined,
  isAdmin: undefined,
});
export const tokens: DurinTokens<AppUser> = durin.tokens;

export const contexts = {
  standalone: (opts: CreateHTTPContextOptions) => durin.createDurinContext(opts),
  express: (opts: CreateExpressContextOptions) => durin.createDurinContext(opts),
  fastify: (opts: CreateFastifyContextOptions) => durin.createDurinContext(opts),
  fetch: (opts: FetchCreateContextFnOptions) => durin.createDurinContext(opts),
  fetchWithIp: (opts: FetchCreateContextFnOptions) =>
    durin.createDurinContext({ ...opts, ip: opts.req.headers.get('x-real-ip') ?? undefined }),
  ws: (opts: CreateWSSContextFnOptions) => durin.createDurinContext(opts),
  headers: (headers: Headers, ip: string | undefined) => durin.createDurinContext({ headers, ip }),
} satisfies Record<string, (opts: never, ...rest: never[]) => Promise<unknown>>;

export const options: DurinContextOptions = { headers: { authorization: undefined }, ip: undefined, resHeaders: undefined };

const t = initTRPC.context<Awaited<ReturnType<typeof contexts.express>>>().create();
export const router = t.router({
  auth: durin.router,
  throttled: t.procedure
    .concat(durin.protectedProcedure)
    .concat(durin.throttle({ scope: undefined, defaultRate: undefined }))
    .query(({ ctx }) => ctx.user.username),
});
export const created = durin.clients.create({ name: 'web', tokenTtl: undefined, throttleRate: undefined });

// Every setting and option bag takes `undefined` for "the default": an app passes its environment
// as it is (`process.env.X` is `string | undefined`). `Required<...>` makes this list every field,
// so a field added later without `| undefined` fails here.
type AllUndefined<T> = { [K in keyof Required<T>]: undefined };
const noSettings: AllUndefined<DurinSettings> = {
  defaultTokenTtl: undefined,
  tokenCharacterLength: undefined,
  tokenPrefix: undefined,
  authHeaderPrefix: undefined,
  tokenCacheTimeout: undefined,
  tokenCacheMax: undefined,
  apiAccessClientName: undefined,
  apiAccessExcludeFromSessions: undefined,
  defaultThrottleRate: undefined,
  loginThrottleRate: undefined,
  trustProxy: undefined,
  lookupTimeout: undefined,
  writeTimeout: undefined,
  usernameField: undefined,
  lastUsedUpdateInterval: undefined,
  renewOnUse: undefined,
  renewOnUseInterval: undefined,
  maxTokenLifetime: undefined,
  cookie: undefined,
  tokenChecksum: undefined,
  acceptLegacyTokens: undefined,
  invalidTokenThrottleRate: undefined,
  apiKeysPerUser: undefined,
  apiKeyMaxLifetime: undefined,
  closeRefusedWebSockets: undefined,
};
export const settingsFromEnv: DurinSettings[] = [
  noSettings,
  { tokenPrefix: process.env.DURIN_TOKEN_PREFIX, defaultTokenTtl: process.env.DURIN_TOKEN_TTL, lookupTimeout: process.env.DURIN_LOOKUP },
];
const noRedisOptions: AllUndefined<DurinRedisCacheBusOptions> = {
  prefix: undefined,
  commandTimeoutMs: undefined,
  pingIntervalMs: undefined,
};
export const redisOptions: [DurinRedisOptions, DurinRedisCacheBusOptions] = [{ prefix: process.env.REDIS_PREFIX }, noRedisOptions];
const noMigrationOptions: AllUndefined<DurinMigrationOptions> = { userTable: undefined, userKey: undefined, userKeyType: undefined };
export const migrationOptions: DurinMigrationOptions[] = [noMigrationOptions, { userTable: process.env.USER_TABLE }];
const noIssueOptions: Omit<AllUndefined<DurinIssueOptions>, 'usedFrom'> = { ttl: undefined, name: undefined };
export const issueOptions: DurinIssueOptions = noIssueOptions;
const noStoreOptions: AllUndefined<DurinMemoryThrottleStoreOptions> = { maxKeys: undefined };
export const storeOptions: DurinMemoryThrottleStoreOptions = noStoreOptions;

// routerFor(t) checks the app's context at compile time; durin.router alone cannot be checked.
export const checkedRouter = t.router({ auth: durin.routerFor(t) });
const noDurinT = initTRPC.context<{ db: string }>().create();
// @ts-expect-error -- this app's context lacks durin's: mounting durin's views must not compile
export const uncheckedRouter = noDurinT.router({ auth: durin.routerFor(noDurinT) });

// adminRouterFor(t) is checked the same way.
export const checkedAdminRouter = t.router({ admin: durin.adminRouterFor(t) });
// @ts-expect-error -- this app's context lacks durin's: mounting the admin views must not compile
export const uncheckedAdminRouter = noDurinT.router({ admin: durin.adminRouterFor(noDurinT) });
