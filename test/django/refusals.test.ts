import { randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { SequelizeStorage } from 'umzug';
import { describe, expect, test } from 'vitest';
import { durinUmzug } from '../../src/django/build.js';
import { scopedQueryInterface } from '../../src/django/scopedQueryInterface.js';
import { hashToken } from '../../src/index.js';
import { importDjangoDurin } from '../../src/migrations/index.js';
import {
  createDjangoTables,
  djangoDatetime,
  insertClient,
  insertToken,
  scratchDatabase,
  snapshot,
  tableNames,
  type ScratchDatabase,
} from './djangoDatabase.js';
import { fillDjangoDatabase } from './fixture.js';

/**
 * The Django import's refusals: what is not durin's, and rows the new schema cannot hold, stop the import
 * before anything changes; a failure midway (here a row the new foreign keys refuse, found only by
 * the copy) leaves the database exactly as it was, on SQLite (one transaction) and on MySQL (new
 * tables dropped before the RENAME TABLE swap).
 */

async function expectRefusal(db: ScratchDatabase, message: string | RegExp, options = {}) {
  const before = await snapshot(db);
  await expect(importDjangoDurin(db.sequelize, options)).rejects.toThrow(message);
  expect(await snapshot(db)).toEqual(before);
}

/** A token whose user does not exist, written with foreign key checks off (Django cascades in Python). */
async function insertOrphanToken(db: ScratchDatabase, id: number) {
  const row = {
    id,
    token: randomBytes(32).toString('hex'),
    created: djangoDatetime(Date.now()),
    expiry: djangoDatetime(Date.now() + 60_000),
    clientId: 1,
    userId: 999,
  };
  if (db.dialect === 'sqlite') {
    await db.sequelize.query('PRAGMA foreign_keys = OFF');
    await insertToken(db, row);
    await db.sequelize.query('PRAGMA foreign_keys = ON');
    return;
  }
  await db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 0', { transaction });
    await db.sequelize.query('INSERT INTO durin_authtoken (id, token, created, expiry, client_id, user_id) VALUES (?, ?, ?, ?, ?, ?)', {
      replacements: [row.id, row.token, row.created, row.expiry, row.clientId, row.userId],
      transaction,
    });
    await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 1', { transaction });
  });
}

describe('importDjangoDurin refuses, changing nothing', () => {
  test('a database without durin tables', async () => {
    const db = await scratchDatabase();
    await createDjangoTables(db, { durin: false });
    await expectRefusal(db, /^trpc-durin: not a django-rest-durin database: table durin_client does not exist; nothing was changed$/);
  });

  test("tables named durin_* that are not django-rest-durin's", async () => {
    const db = await scratchDatabase();
    await createDjangoTables(db, { durin: false });
    await db.sequelize.query('CREATE TABLE durin_client (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL)');
    await db.sequelize.query('CREATE TABLE durin_authtoken (id INTEGER PRIMARY KEY, digest VARCHAR(128) NOT NULL)');
    await expectRefusal(
      db,
      'trpc-durin: not a django-rest-durin database: durin_client has columns id, name, expected id, name, throttle_rate, token_ttl; nothing was changed',
    );
  });

  test('rows the target cannot hold, each named, also in a dry run', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    // Django's column is VARCHAR(64), which SQLite does not enforce; on MySQL, a widened column.
    if (db.dialect === 'mysql') await db.sequelize.query('ALTER TABLE durin_client MODIFY name varchar(100) NOT NULL');
    await insertClient(db, 7, 'x'.repeat(65), 1_000_000n);
    await insertClient(db, 8, 'fortnightly', 1_000_000n, '5/fortnight');
    await insertClient(db, 9, 'never', 0n);
    const problems =
      'durin_client id 7: name is 65 characters (at most 64); durin_client id 8: throttle_rate "5/fortnight" is not a rate; ' +
      'durin_client id 9: token_ttl 0 µs is not a positive duration';
    const message = `trpc-durin: cannot import, the target schema cannot hold these rows: ${problems}; nothing was changed`;
    await expectRefusal(db, message);
    await expectRefusal(db, message, { dryRun: true });
  });

  test('a failure midway leaves the database as it was', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    await insertOrphanToken(db, 7);
    await expectRefusal(
      db,
      /^trpc-durin: the import failed while building the new tables \(.*(FOREIGN KEY|foreign key).*\); nothing was changed$/,
    );
    // Nothing half-done is in the way: once the row is gone, the import goes through.
    await db.sequelize.query('DELETE FROM durin_authtoken WHERE id = 7');
    expect(await importDjangoDurin(db.sequelize)).toMatchObject({ outcome: 'imported', tokens: 5 });
  });

  test('a named user table that does not exist', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    await expectRefusal(db, 'trpc-durin: the user table accounts has no column id; nothing was changed', { userTable: 'accounts' });
    await expectRefusal(db, 'trpc-durin: invalid import option "batchSize": expected an integer from 1 to 10000 (got 0)', { batchSize: 0 });
  });
});

describe('importDjangoDurin after an import that was killed', () => {
  test('before its swap: the new tables it left are dropped and the import goes through', async () => {
    const db = await scratchDatabase();
    const tokens = await fillDjangoDatabase(db);
    // What the MySQL import has built when it is killed during the copy.
    const user = { table: 'auth_user', key: 'id', keyType: db.dialect === 'sqlite' ? 'INTEGER' : 'int(11)' };
    const context = scopedQueryInterface(db.sequelize.getQueryInterface(), {
      durin_client: 'durin_client__import',
      durin_authtoken: 'durin_authtoken__import',
    });
    await durinUmzug(
      user,
      context,
      new SequelizeStorage({ sequelize: db.sequelize, tableName: 'SequelizeMeta__import', modelName: 'Killed' }),
    ).up();
    await db.sequelize.query('INSERT INTO durin_client__import (id, name, token_ttl, throttle_rate) VALUES (1, ?, 1, ?)', {
      replacements: ['web', ''],
    });
    expect(await tableNames(db)).toContain('durin_authtoken__import');

    expect(await importDjangoDurin(db.sequelize)).toMatchObject({ outcome: 'imported', tokens: 5 });
    expect((await tableNames(db)).filter((name) => name.includes('__'))).toEqual([]);
    const [row] = await db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM durin_authtoken WHERE token_hash = ?', {
      replacements: [hashToken(tokens.bobWeb.token)],
      type: QueryTypes.SELECT,
    });
    expect(Number(row!.n)).toBe(1);
  });
});

describe('importDjangoDurin keeps', () => {
  test("the app's own SequelizeMeta rows", async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    await new SequelizeStorage({ sequelize: db.sequelize }).logMigration({ name: '20240101000000-create-things' });
    const report = await importDjangoDurin(db.sequelize);
    const rows = await db.sequelize.query<{ name: string }>('SELECT name FROM SequelizeMeta ORDER BY name', { type: QueryTypes.SELECT });
    expect(rows.map((row) => row.name)).toEqual(['20240101000000-create-things', ...report.migrations].sort());
  });

  test('nothing when SequelizeMeta already records durin migrations beside django-rest-durin tables', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    await new SequelizeStorage({ sequelize: db.sequelize }).logMigration({ name: 'durin_0001_initial' });
    await expectRefusal(
      db,
      /SequelizeMeta already records durin_0001_initial although durin's tables are django-rest-durin's; nothing was changed$/,
    );
  });
});
