import { beforeAll, describe, expect, test } from 'vitest';
import { Sequelize } from 'sequelize-typescript';
import { hashToken } from '../../src/core/crypto.js';
import { createDurin } from '../../src/index.js';
import { createTestApp, defineUser, type TestApp } from '../helpers/app.js';
import { useTestServer, type TestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** Concurrency: concurrent logins rotate one row; same-millisecond refreshes stay valid. */
describe('concurrent logins of one (user, client)', () => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer({ settings: { loginThrottleRate: null } });
  beforeAll(() => {
    ({ app, server } = env);
  });

  test('50 at once all succeed, leave one row, and exactly one returned token works', async () => {
    const user = await app.createUser();
    const client = unique('mobile');
    await app.durin.clients.create({ name: client });
    const anonymous = server.client();
    const answers = await Promise.allSettled(
      Array.from({ length: 50 }, () => anonymous.auth.login.mutate({ username: user.username, password: 'hunter2', client })),
    );
    const failures = answers.filter((a) => a.status === 'rejected');
    expect(failures).toEqual([]);
    const tokens = answers.map((a) => (a as PromiseFulfilledResult<{ token: string }>).value.token);
    expect(new Set(tokens).size).toBe(50);
    const rows = await app.durin.models.AuthToken.count({ where: { userId: user.id } });
    expect(rows).toBe(1);
    const working = await Promise.all(
      tokens.map((token) =>
        server
          .client(token)
          .me.query()
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    expect(working.filter(Boolean)).toHaveLength(1);
  });

  test('tokens.issue converges for 50 concurrent calls', async () => {
    const user = await app.createUser();
    const client = unique('cli');
    await app.durin.clients.create({ name: client });
    const issued = await Promise.all(Array.from({ length: 50 }, () => app.durin.tokens.issue(user, client)));
    expect(issued).toHaveLength(50);
    expect(await app.durin.models.AuthToken.count({ where: { userId: user.id } })).toBe(1);
  });
});

describe('refresh in the same millisecond', () => {
  const clock = useClock();
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer();
  beforeAll(() => {
    ({ app, server } = env);
  });

  test('20 concurrent refreshes of one valid token all answer its new expiry', async () => {
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const { token } = await app.durin.tokens.issue(user, client);
    clock.freeze();
    const caller = server.client(token);
    const answers = await Promise.allSettled(Array.from({ length: 20 }, () => caller.auth.refresh.mutate()));
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    await expect(caller.me.query()).resolves.toMatchObject({ id: user.id });
  });

  test('a refresh of a revoked token still fails', async () => {
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const { auth } = await app.durin.tokens.issue(user, client);
    await app.durin.tokens.revoke(auth);
    await expect(app.durin.tokens.renew(auth)).resolves.toBeNull();
  });
});

// Two durin instances on one MariaDB database (two Sequelize pools, two per-process queues): the
// compare-and-swap rounds that settle rotations between processes, without the in-process queue.
if (process.env.DURIN_TEST_DB === 'mysql') {
  describe('concurrent rotations from two instances', () => {
    test('25 + 25 concurrent tokens.issue: all succeed, one row, the last written token works', async () => {
      const first = await createTestApp();
      const url = new URL(process.env.DURIN_TEST_MYSQL_URL!);
      url.pathname = `/${first.db.sequelize.config.database}`;
      const sequelize = new Sequelize(url.toString(), { logging: false, pool: { max: 5 } });
      const db = { sequelize, dialect: 'mysql' as const, statements: [], close: () => sequelize.close() };
      const User = defineUser(db);
      const second = createDurin({ sequelize, userModel: User, authenticateUser: async () => null });
      try {
        const user = await first.createUser();
        const client = unique('shared');
        await first.durin.clients.create({ name: client });
        const other = (await User.findByPk(user.id))!;
        const issued = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? second.tokens.issue(other, client) : first.durin.tokens.issue(user, client))),
        );
        expect(issued).toHaveLength(50);
        const rows = await first.durin.models.AuthToken.findAll({ where: { userId: user.id } });
        expect(rows).toHaveLength(1);
        const working = issued.filter(({ token }) => hashToken(token) === rows[0]!.tokenHash);
        expect(working).toHaveLength(1);
      } finally {
        await second.close();
        await sequelize.close();
        await first.close();
      }
    });
  });
}
