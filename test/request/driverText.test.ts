import { describe, expect, test } from 'vitest';
import { initTRPC, type TRPCError } from '@trpc/server';
import { BaseError } from 'sequelize';
import { DURIN_ERRORS } from '../../src/errors.js';
import { startTestAppServer, type TestAppServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** durin's own 500s carry durin's message, never the driver's. */

type ErrorBody = { error: { json: { message: string; data: { durinCode?: string; code: string } } } };

const start = () => startTestAppServer({ settings: { loginThrottleRate: null }, cached: true });

async function broken({ app, server }: TestAppServer) {
  const user = await app.createUser();
  const client = unique('web');
  await app.durin.clients.create({ name: client });
  const { token } = await app.durin.tokens.issue(user, client);
  // Warm the cache, so that the protected procedure's verification still passes.
  expect((await server.raw('me', { headers: { authorization: `Token ${token}` } })).status).toBe(200);
  const qi = app.db.sequelize.getQueryInterface();
  await qi.renameTable('durin_authtoken', 'durin_authtoken_gone');
  return { app, server, user, client, token };
}

describe('a database failure inside durin procedures', () => {
  test("login answers BACKEND_FAILED with durin's text", async () => {
    await using running = await start();
    const { server, user, client } = await broken(running);
    const response = await server.raw('auth.login', { body: { username: user.username, password: 'hunter2', client } });
    expect(response.status).toBe(500);
    const { message, data } = ((await response.json()) as ErrorBody).error.json;
    expect(message).toBe(DURIN_ERRORS.BACKEND_FAILED.message);
    expect(data.durinCode).toBe('BACKEND_FAILED');
  });

  test("logout and sessions.list answer BACKEND_FAILED with durin's text, the driver error kept as cause", async () => {
    await using running = await start();
    const { server, token } = await broken(running);
    for (const [path, body] of [
      ['auth.logout', {}],
      ['auth.sessions.list', undefined],
    ] as const) {
      const response = await server.raw(path, {
        headers: { authorization: `Token ${token}` },
        ...(body ? { body, method: 'POST' as const } : {}),
      });
      expect(response.status).toBe(500);
      const { message } = ((await response.json()) as ErrorBody).error.json;
      expect(message).toBe(DURIN_ERRORS.BACKEND_FAILED.message);
    }
  });

  test("the driver error is the cause; the app's own procedures keep their errors", async () => {
    await using running = await start();
    const { app, token } = await broken(running);
    type Ctx = Awaited<ReturnType<typeof app.durin.createCachedDurinContext>>;
    const t = initTRPC.context<Ctx>().create();
    const router = t.router({
      auth: app.durin.router,
      mine: t.procedure.concat(app.durin.protectedProcedure).query(() => {
        throw new Error('app text');
      }),
    });
    const ctx = await app.durin.createCachedDurinContext({ headers: { authorization: `Token ${token}` } });
    const caller = t.createCallerFactory(router)(ctx);
    const error = (await caller.auth.logout().catch((e: unknown) => e)) as TRPCError;
    expect(error.message).toBe(DURIN_ERRORS.BACKEND_FAILED.message);
    expect((error.cause as Error).cause).toBeInstanceOf(BaseError);
    await expect(caller.mine()).rejects.toThrow('app text');
  });
});
