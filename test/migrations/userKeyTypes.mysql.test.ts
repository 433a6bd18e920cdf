import { QueryTypes } from 'sequelize';
import { describe, expect, test } from 'vitest';
import { durinTables, freshDatabase, migrator } from '../helpers/migrator.js';

/**
 * What only MySQL refuses: a foreign key to a table that does not exist yet (SQLite accepts it and
 * checks it later) and a foreign key to a column no index covers. Either way the migration leaves
 * nothing half-made.
 */

describe('a migration MySQL cannot complete leaves nothing half-made', () => {
  test('MySQL: a user table that does not exist yet is refused before any DDL', async () => {
    const db = await freshDatabase();
    await expect(migrator(db, { userTable: 'accounts' }).up()).rejects.toThrow(
      'trpc-durin: table "accounts" does not exist, and MySQL will not create durin_authtoken.user_id\'s foreign key to it',
    );
    expect(await durinTables(db)).toEqual([]);
  });

  test('MySQL: a foreign key the server refuses undoes durin_client', async () => {
    const db = await freshDatabase();
    // A column no index covers: MariaDB refuses a foreign key to it once durin_client exists.
    await db.sequelize.query('CREATE TABLE accounts (id INT PRIMARY KEY, code CHAR(8) NOT NULL)');
    await expect(migrator(db, { userTable: 'accounts', userKey: 'code' }).up()).rejects.toThrow();
    expect(await durinTables(db)).toEqual([]);
    const [meta] = await db.sequelize.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'SequelizeMeta'",
      { type: QueryTypes.SELECT },
    );
    // Nothing recorded either: a rerun after fixing the table starts from the beginning.
    if (Number(meta!.n) > 0) {
      expect(await db.sequelize.query('SELECT name FROM SequelizeMeta', { type: QueryTypes.SELECT })).toEqual([]);
    }
  });
});
