import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Sequelize } from 'sequelize-typescript';
import { DurinLookupTimeoutError } from '../../src/request/lookupTimeout.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { unique } from '../helpers/time.js';

/**
 * a frozen database does not hang the lookup. On MariaDB another connection
 * holds `LOCK TABLES ... WRITE` (the lookup blocks in the server); on SQLite a `beforeQuery` hook
 * holds the lookup's statement (SQLite answers a lock with SQLITE_BUSY rather than blocking).
 */
describe('lookupTimeout', () => {
  let app: TestApp;
  let locker: Sequelize | null = null;
  let frozen = false;
  const held: Array<() => void> = [];
  beforeAll(async () => {
    app = await createTestApp({ settings: { lookupTimeout: '300ms' } });
    app.db.sequelize.addHook('beforeQuery', async (options) => {
      // The token lookup: a raw SELECT bound to one digest.
      const { bind, raw } = options as { bind?: unknown; raw?: boolean };
      if (frozen && raw && Array.isArray(bind) && bind.length === 1) await new Promise<void>((resolve) => held.push(resolve));
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

  test('a frozen lookup fails as AUTH_BACKEND_FAILED within the timeout, is not cached, and recovers', async () => {
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const { token } = await app.durin.tokens.issue(user, client);
    const headers = { authorization: `Token ${token}` };

    const thaw = await freeze();
    const [plain, cachedA, cachedB] = await Promise.all([
      app.durin.createDurinContext({ headers }),
      app.durin.createCachedDurinContext({ headers }),
      app.durin.createCachedDurinContext({ headers }),
    ]);
    for (const context of [plain, cachedA, cachedB]) {
      expect(context.user).toBeNull();
      expect(context.durin.failure?.error).toBe('AUTH_BACKEND_FAILED');
      expect(context.durin.failure?.cause).toBeInstanceOf(DurinLookupTimeoutError);
    }
    await thaw();

    const again = await app.durin.createCachedDurinContext({ headers });
    expect(again.durin.failure).toBeNull();
    expect(again.user).toMatchObject({ id: user.id });
  });
});

function urlOf(app: TestApp): string {
  const config = app.db.sequelize.config;
  return `mysql://${config.username}:${config.password}@${config.host}:${config.port}/${config.database}`;
}
