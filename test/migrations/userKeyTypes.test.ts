import { DataTypes, type DataType } from 'sequelize';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createDurin } from '../../src/index.js';
import { durinTables, freshDatabase, migrator } from '../helpers/migrator.js';

/**
 * The programmatic migrations with the user keys apps really have: a UUID made by Sequelize, a
 * CHAR(36) an existing schema made in the table's own collation (where Sequelize's UUID, a
 * CHAR(36) BINARY, cannot reference it on MariaDB), BIGINT and STRING. user_id takes the key
 * column's exact type, the foreign key works (a token row, and a cascade on the user's delete),
 * and a migration that fails leaves neither of durin's tables behind. What only MySQL refuses is
 * in userKeyTypes.mysql.test.ts.
 */

interface KeyCase {
  /** How the app's table was made: a Sequelize type, or the SQL of an existing schema's column. */
  column: DataType | string;
  /** What the app passes to createDurinMigrations. */
  userKeyType: DataType;
  value: string;
}

const CASES: Record<string, KeyCase> = {
  UUID: { column: DataTypes.UUID, userKeyType: DataTypes.UUID, value: '6f1c2a52-8f7e-4f55-b3f7-1d6c0b1c9e01' },
  'CHAR(36) in the table collation': {
    column: 'CHAR(36) NOT NULL',
    userKeyType: DataTypes.UUID,
    value: '0d4e9b8e-2c1a-4c7e-9d55-7a3b2f1e6c02',
  },
  BIGINT: { column: DataTypes.BIGINT, userKeyType: DataTypes.BIGINT, value: '4294967296001' },
  STRING: { column: DataTypes.STRING, userKeyType: DataTypes.STRING, value: 'ada@example.com' },
};

describe("durin's migrations take the user key's exact type", () => {
  test.each(Object.entries(CASES))('%s', async (_, { column, userKeyType, value }) => {
    const db = await freshDatabase();
    const { sequelize } = db;
    if (typeof column === 'string') {
      // An existing schema's table, as a DBA wrote it (MariaDB: utf8mb4 in the server's default collation).
      const charset = db.dialect === 'mysql' ? ' DEFAULT CHARSET=utf8mb4' : '';
      await sequelize.query(`CREATE TABLE accounts (account_id ${column} PRIMARY KEY, email VARCHAR(100))${charset}`);
    } else {
      await sequelize.getQueryInterface().createTable('accounts', { account_id: { type: column, primaryKey: true } });
    }
    await migrator(db, { userTable: 'accounts', userKey: 'account_id', userKeyType }).up();
    expect(await durinTables(db)).toEqual(['durin_client', 'durin_authtoken']);

    // The foreign key holds: a token of the user, removed with the user.
    const Account = sequelize.define(
      'Account',
      { account_id: { type: userKeyType, primaryKey: true } },
      { tableName: 'accounts', timestamps: false },
    );
    const durin = createDurin({ sequelize, userModel: Account, authenticateUser: () => null, settings: { loginThrottleRate: null } });
    onTestFinished(() => durin.close());
    await sequelize.query('INSERT INTO accounts (account_id) VALUES (?)', { replacements: [value] });
    await durin.clients.create({ name: 'web' });
    const account = (await Account.findByPk(value))!;
    await durin.tokens.issue(account, 'web');
    expect(await durin.models.AuthToken.count({ where: { userId: value } })).toBe(1);
    if (db.dialect === 'sqlite') await sequelize.query('PRAGMA foreign_keys = ON');
    await account.destroy();
    expect(await durin.models.AuthToken.count()).toBe(0);
  });
});

describe('a migration that cannot complete leaves nothing half-made', () => {
  test('a user table without the key column is refused before any DDL', async () => {
    const db = await freshDatabase();
    await db.sequelize.getQueryInterface().createTable('accounts', { id: { type: DataTypes.INTEGER, primaryKey: true } });
    await expect(migrator(db, { userTable: 'accounts', userKey: 'account_id' }).up()).rejects.toThrow(
      'trpc-durin: table "accounts" has no column "account_id", which durin_authtoken.user_id must reference: ' +
        'set the migration option userKey to its primary key',
    );
    expect(await durinTables(db)).toEqual([]);
  });
});

describe("a user model whose key does not fit durin_authtoken.user_id's type", () => {
  test('a UUID-keyed model on tables migrated for an INTEGER key: the first token write names the fix, not the driver', async () => {
    const db = await freshDatabase();
    const { sequelize } = db;
    await sequelize.getQueryInterface().createTable('users', { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true } });
    await migrator(db, {}).up();
    const User = sequelize.define('User', { id: { type: DataTypes.UUID, primaryKey: true } }, { tableName: 'users', timestamps: false });
    const settings = { loginThrottleRate: null, apiAccessClientName: 'api' };
    const durin = createDurin({ sequelize, userModel: User, authenticateUser: () => null, settings });
    onTestFinished(() => durin.close());
    await durin.clients.create({ name: 'web' });
    const user = User.build({ id: '6f1c2a52-8f7e-4f55-b3f7-1d6c0b1c9e01' });
    const column = db.dialect === 'mysql' ? 'int(11)' : 'INTEGER';
    const message =
      `trpc-durin: invalid option "userModel": its primary key "id" is UUID, but durin_authtoken.user_id is ${column}, ` +
      "so no token of its users can be stored; rerun durin's migrations on a fresh durin_authtoken with userKeyType matching " +
      '"id" (and userKey naming its column), or "trpc-durin --app ... migrate", which reads both from this model';
    await expect(durin.tokens.issue(user, 'web')).rejects.toThrow(message);
    // Every writer of a new row checks: an API key too, and again after a refusal.
    await durin.clients.create({ name: 'api' });
    await expect(durin.apiKeys.create(user, { name: 'ci' })).rejects.toThrow(message);
    expect(await durin.models.AuthToken.count()).toBe(0);
  });
});
