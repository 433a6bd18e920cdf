import { initTRPC } from '@trpc/server';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { createDurin, type Durin, type DurinAuthToken, type DurinContext, type DurinTokens } from '../src/index.js';

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
