import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Sequelize } from 'sequelize-typescript';
import { getDurinCode } from '../../src/index.js';
import { DurinWriteTimeoutError, createWriteGuard } from '../../src/core/writeGuard.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { unique } from '../helpers/time.js';

/**
 * durin's token writes are bounded by writeTimeout and all-or-nothing. A frozen database: on
 * MariaDB another connection holds `LOCK TABLES durin_authtoken WRITE` (the writes block in the
 * server; only this test's own database is locked), on SQLite a `beforeQuery` hook holds every
 * statement of a transaction while frozen.
 */

function urlOf(app: TestApp): string {
  const config = app.db.sequelize.config;
  return `mysql://${config.username}:${config.password}@${config.host}:${config.port}/${config.database}`;
}

describe('writeTimeout', () => {
  let app: TestApp;
  let locker: Sequelize | null = null;
  let frozen = false;
  const held: Array<() => void> = [];
  beforeAll(async () => {
    app = await createTestApp({ settings: { writeTimeout: '300ms' } });
    app.db.sequelize.addHook('beforeQuery', async (options) => {
      if (frozen && (options as { transaction?: unknown }).transaction) await new Promise<void>((resolve) => held.push(resolve));
    });
  });
  afterAll(async () => {
    await locker?.close();
    await app.close();
  });

  async function freeze(): Promise<() => Promise<void>> {
    if (app.db.dialect === 'sqlite') {
      frozen = true;
      return async () => {
        frozen = false;
        for (const resume of held.splice(0)) resume();
      };
    }
    locker ??= new Sequelize(urlOf(app), { logging: false, pool: { max: 1 } });
    const transaction = await locker.transaction();
    await locker.query('LOCK TABLES durin_authtoken WRITE', { transaction });
    return async () => {
      await locker!.query('UNLOCK TABLES', { transaction });
      await transaction.commit();
    };
  }

  const expectBackendFailed = (error: unknown) => {
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(getDurinCode(error)).toBe('BACKEND_FAILED');
    expect((error as { cause?: { cause?: unknown } }).cause?.cause).toBeInstanceOf(DurinWriteTimeoutError);
  };

  test('login, refresh, logout and a revocation fail as BACKEND_FAILED while frozen, and none of them lands later', async () => {
    const user = await app.createUser({ password: 'pw' });
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const { token, auth } = await app.durin.tokens.issue(user, client);
    // Contexts made before the freeze: the token lookup is not what is tested here.
    const ctx = await app.createContext({ headers: { authorization: `Token ${token}` } });
    const anonymous = await app.createContext({ headers: {}, ip: '127.0.0.1' });
    const caller = app.router.createCaller(ctx);
    const row = async () => app.durin.models.AuthToken.findByPk(auth.id, { attributes: ['id', 'tokenHash', 'expiry'], raw: true });
    const before = await row();

    const thaw = await freeze();
    const outcomes = await Promise.allSettled([
      app.router.createCaller(anonymous).auth.login({ username: user.username, password: 'pw', client }),
      caller.auth.refresh(),
      caller.auth.logout(),
      caller.auth.sessions.revokeOthers(),
      app.durin.tokens.revokeAll(user),
    ]);
    for (const outcome of outcomes.slice(0, 4)) {
      expect(outcome.status).toBe('rejected');
      expectBackendFailed((outcome as PromiseRejectedResult).reason);
    }
    expect(outcomes[4]).toMatchObject({ status: 'rejected', reason: expect.any(DurinWriteTimeoutError) });
    const statements = app.db.statements;
    statements.length = 0;
    await thaw();

    // The held statements now run; each abandoned transaction rolls back instead of committing.
    await vi.waitFor(() => expect(statements.filter((sql) => /\bROLLBACK\b/i.test(sql)).length).toBeGreaterThanOrEqual(1), {
      timeout: 10_000,
      interval: 20,
    });
    await vi.waitFor(() => expect(statements.some((sql) => /\bCOMMIT\b/i.test(sql))).toBe(false), { timeout: 200, interval: 50 });
    expect(await row()).toEqual(before);
    expect(await app.durin.models.AuthToken.count({ where: { userId: user.id } })).toBe(1);
    const again = await app.createContext({ headers: { authorization: `Token ${token}` } });
    expect(again.user).toMatchObject({ id: user.id });
  });
});

if (process.env.DURIN_TEST_DB === 'mysql')
  describe('deadlocks', () => {
    let app: TestApp;
    let other: Sequelize;
    beforeAll(async () => {
      app = await createTestApp();
      other = new Sequelize(urlOf(app), { logging: false, pool: { max: 1 } });
    });
    afterAll(async () => {
      await other.close();
      await app.close();
    });

    test('a transaction MariaDB picks as a deadlock victim is retried, not failed', async () => {
      await app.db.sequelize.query('CREATE TABLE deadlock_probe (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB');
      await app.db.sequelize.query(`INSERT INTO deadlock_probe VALUES ${Array.from({ length: 50 }, (_, i) => `(${i + 1}, 0)`).join(',')}`);
      const guard = createWriteGuard(app.db.sequelize, 10_000);
      // The other transaction changes many rows, so InnoDB rolls back the guard's (the lighter one).
      const heavy = await other.transaction();
      await other.query('UPDATE deadlock_probe SET n = n + 1 WHERE id >= 2', { transaction: heavy });
      let attempts = 0;
      const guarded = guard.transaction(async (transaction) => {
        attempts += 1;
        await app.db.sequelize.query('UPDATE deadlock_probe SET n = n + 10 WHERE id = 1', { transaction });
        await app.db.sequelize.query('UPDATE deadlock_probe SET n = n + 10 WHERE id = 2', { transaction });
        return attempts;
      });
      // Once the guard's transaction holds row 1 and asks for row 2, close the cycle: whichever
      // statement arrives last, InnoDB rolls back the lighter transaction, the guard's.
      await vi.waitFor(() => expect(app.db.statements.some((sql) => sql.includes('WHERE id = 2'))).toBe(true), {
        timeout: 5000,
        interval: 5,
      });
      const closing = other.query('UPDATE deadlock_probe SET n = n + 1 WHERE id = 1', { transaction: heavy });
      await closing;
      await heavy.commit();
      expect(await guarded).toBe(2);
      const [rows] = await app.db.sequelize.query('SELECT id, n FROM deadlock_probe WHERE id <= 2 ORDER BY id');
      expect(rows).toEqual([
        { id: 1, n: 11 },
        { id: 2, n: 11 },
      ]);
    });

    test('hundreds of logouts racing a login of the same (user, client): no 500', async () => {
      const user = await app.createUser({ password: 'pw' });
      const client = unique('web');
      await app.durin.clients.create({ name: client });
      const anonymous = app.router.createCaller(await app.createContext({ headers: {}, ip: '127.0.0.1' }));
      const failures: string[] = [];
      let { token } = await app.durin.tokens.issue(user, client);
      for (let i = 0; i < 300; i++) {
        const caller = app.router.createCaller(await app.createContext({ headers: { authorization: `Token ${token}` } }));
        const [logout, login] = await Promise.allSettled([
          caller.auth.logout(),
          // Not throttled: the login throttle is per IP and name, so each round uses a fresh IP.
          app.router
            .createCaller(await app.createContext({ headers: {}, ip: `10.0.${i >> 8}.${i & 255}` }))
            .auth.login({ username: user.username, password: 'pw', client }),
        ]);
        for (const outcome of [logout, login]) if (outcome.status === 'rejected') failures.push(String(outcome.reason));
        token = login.status === 'fulfilled' ? login.value.token : (await app.durin.tokens.issue(user, client)).token;
      }
      void anonymous;
      expect(failures).toEqual([]);
    }, 120_000);
  });
