import { initTRPC, TRPCError } from '@trpc/server';
import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import { describe, expect, test } from 'vitest';
import { createDurin, getDurinCode } from '../../src/index.js';

/**
 * durin.router mounted in an app whose context lacks durin's: tRPC does not type-check
 * a nested router's context, so every durin procedure fails with one clear server error naming
 * the fix, before it reads the request or the database, instead of a TypeError inside login.
 */
@Table({ tableName: 'context_user', timestamps: false })
class ContextUser extends Model {
  @Column({ type: DataType.STRING, allowNull: false })
  username!: string;
}
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false, models: [ContextUser] });
const durin = createDurin({ sequelize, userModel: ContextUser, authenticateUser: () => null });

const t = initTRPC.context<{ db: string }>().create();
const appRouter = t.router({ auth: durin.router });
const caller = t.createCallerFactory(appRouter)({ db: 'app' });

describe("durin's router without durin's context", () => {
  test.each([
    ['auth.login', () => caller.auth.login({ username: 'ann', password: 'pw', client: 'web' })],
    ['auth.logout', () => caller.auth.logout()],
    ['auth.sessions.list', () => caller.auth.sessions.list()],
  ])('%s fails with CONTEXT_MISSING, naming createDurinContext', async (_, call) => {
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('INTERNAL_SERVER_ERROR');
    expect(getDurinCode(error)).toBe('CONTEXT_MISSING');
    expect((error as TRPCError).message).toBe(
      "This app's context lacks durin's (ctx.durin): spread `...(await durin.createDurinContext(opts))` into the createContext of the server that mounts durin.router.",
    );
  });
});

describe('durin.routerFor(t)', () => {
  test("is durin.router itself, for a t whose context has durin's (the check is the compiler's: test/types)", async () => {
    const durinT = initTRPC.context<Awaited<ReturnType<typeof durin.createDurinContext>>>().create();
    const router = durinT.router({ auth: durin.routerFor(durinT) });
    expect(durin.routerFor(durinT)).toBe(durin.router);
    const context = await durin.createDurinContext({ headers: {}, ip: '127.0.0.1' });
    const error = await durinT
      .createCallerFactory(router)(context)
      .auth.logout()
      .catch((e: unknown) => e);
    expect(getDurinCode(error)).toBe('NOT_AUTHENTICATED');
  });
});
