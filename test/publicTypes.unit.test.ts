import { initTRPC } from '@trpc/server';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import { describe, expect, expectTypeOf, test } from 'vitest';
import type * as Django from '../src/django/index.js';
import { createDurin, type Durin, type DurinAuthToken, type DurinContext, type DurinTokens } from '../src/index.js';
import type * as Api from '../src/index.js';
import type * as Redis from '../src/redis/index.js';

/**
 * Types are tested next to behaviour (checked by `tsc` in `npm test`): protectedProcedure narrows
 * ctx.user and ctx.auth to non-null, and an app context that lacks durin's cannot concat it.
 */
@Table({ tableName: 'typed_user', timestamps: false })
class AppUser extends Model {
  @Column({ type: DataType.STRING, allowNull: false })
  username!: string;
}
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false, models: [AppUser] });
const durin = createDurin({ sequelize, userModel: AppUser, authenticateUser: () => null });

describe('types', () => {
  test('protectedProcedure narrows ctx.user and ctx.auth', () => {
    type AppContext = DurinContext<AppUser> & { db: string };
    const t = initTRPC.context<AppContext>().create();
    const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
    const me = protectedProcedure.query(({ ctx }) => {
      expectTypeOf(ctx.user).toEqualTypeOf<AppUser>();
      expectTypeOf(ctx.auth).toEqualTypeOf<DurinAuthToken<AppUser>>();
      expectTypeOf(ctx.db).toEqualTypeOf<string>();
      return ctx.user.username;
    });
    const hello = t.procedure.query(({ ctx }) => {
      expectTypeOf(ctx.user).toEqualTypeOf<AppUser | null>();
      return null;
    });
    expect(me._def.type).toBe('query');
    expect(hello._def.type).toBe('query');
  });

  test("an app context without durin's cannot concat it", () => {
    const t = initTRPC.context<{ db: string }>().create();
    // @ts-expect-error: the context lacks user, auth and durin
    const builder = t.procedure.concat(durin.protectedProcedure);
    expect(builder).toBeDefined();
  });
});

describe('declared public types', () => {
  test('createDurin returns the declared Durin, and durin.tokens is the public DurinTokens', () => {
    expectTypeOf(durin).toEqualTypeOf<Durin<AppUser>>();
    expectTypeOf(durin.tokens).toEqualTypeOf<DurinTokens<AppUser>>();
    expectTypeOf<keyof DurinTokens<AppUser>>().toEqualTypeOf<'issue' | 'renew' | 'revoke' | 'revokeAll' | 'removeExpired'>();
    expect(Object.keys(durin.tokens).sort()).toEqual(['issue', 'removeExpired', 'renew', 'revoke', 'revokeAll']);
  });
});

describe('public names', () => {
  test('every old name is the same type as its Durin-prefixed one', () => {
    type User = AppUser;
    expectTypeOf<Api.AuthenticatedContext<User>>().toEqualTypeOf<Api.DurinAuthenticatedContext<User>>();
    expectTypeOf<Api.IssuedToken<User>>().toEqualTypeOf<Api.DurinIssuedToken<User>>();
    expectTypeOf<Api.IssueOptions>().toEqualTypeOf<Api.DurinIssueOptions>();
    expectTypeOf<Api.LoginOutput<string>>().toEqualTypeOf<Api.DurinLoginOutput<string>>();
    expectTypeOf<Api.ThrottleRate>().toEqualTypeOf<Api.DurinThrottleRate>();
    expectTypeOf<Api.ThrottleStore>().toEqualTypeOf<Api.DurinThrottleStore>();
    expectTypeOf<Api.ThrottleWindow>().toEqualTypeOf<Api.DurinThrottleWindow>();
    expectTypeOf<Api.ThrottleDecision>().toEqualTypeOf<Api.DurinThrottleDecision>();
    expectTypeOf<Api.ThrottleOptions>().toEqualTypeOf<Api.DurinThrottleOptions>();
    expectTypeOf<Api.MemoryThrottleStore>().toEqualTypeOf<Api.DurinMemoryThrottleStore>();
    expectTypeOf<Api.MemoryThrottleStoreOptions>().toEqualTypeOf<Api.DurinMemoryThrottleStoreOptions>();
    expectTypeOf<Api.LivenessMessage>().toEqualTypeOf<Api.DurinLivenessMessage>();
    expectTypeOf<Api.CacheBusLink>().toEqualTypeOf<Api.DurinCacheBusLink>();
    expectTypeOf<Api.CreateClientInput>().toEqualTypeOf<Api.DurinCreateClientInput>();
    expectTypeOf<Redis.RedisThrottleStore>().toEqualTypeOf<Redis.DurinRedisThrottleStore>();
    expectTypeOf<Redis.RedisCacheBus>().toEqualTypeOf<Redis.DurinRedisCacheBus>();
    expectTypeOf<Redis.RedisCacheBusOptions>().toEqualTypeOf<Redis.DurinRedisCacheBusOptions>();
    expectTypeOf<Django.DjangoImportReport>().toEqualTypeOf<Django.DurinDjangoImportReport>();
    expectTypeOf<Django.ImportDjangoDurinOptions>().toEqualTypeOf<Django.DurinDjangoImportOptions>();
    expectTypeOf<Django.RoundedTtl>().toEqualTypeOf<Django.DurinRoundedTtl>();
  });
});
