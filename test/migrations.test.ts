import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataTypes, QueryTypes, Sequelize as SequelizeLib } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createDurin } from '../src/index.js';
import { createDurinMigrations, getDurinMigration, migrations, type DurinMigrationOptions } from '../src/migrations/index.js';
import { createTestApp, defineUser, hashPassword } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

const TABLES = ['durin_client', 'durin_authtoken'] as const;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  onTestFinished(() => db.close());
  return db;
}

function migrator(db: TestDatabase, options: DurinMigrationOptions = { userTable: 'app_user' }) {
  return new Umzug({
    migrations: createDurinMigrations(options),
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db.sequelize }),
    logger: undefined,
  });
}

/** A database with the test app's user table (`app_user`, INTEGER key) and durin's migrations applied. */
async function migratedDatabase() {
  const db = await freshDatabase();
  const User = defineUser(db);
  await User.sync();
  await migrator(db).up();
  return { db, User };
}

async function foreignKeys(db: TestDatabase, table: string) {
  const rows =
    db.dialect === 'sqlite'
      ? await db.sequelize.query<Record<string, string>>(`PRAGMA foreign_key_list(\`${table}\`)`, { type: QueryTypes.SELECT })
      : await db.sequelize.query<Record<string, string>>(
          'SELECT k.COLUMN_NAME AS `from`, k.REFERENCED_TABLE_NAME AS `table`, k.REFERENCED_COLUMN_NAME AS `to`, ' +
            'r.DELETE_RULE AS on_delete, r.UPDATE_RULE AS on_update FROM information_schema.KEY_COLUMN_USAGE k ' +
            'JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
            'WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL',
          { replacements: [table], type: QueryTypes.SELECT },
        );
  return rows
    .map((row) => ({ column: row.from, references: `${row.table}.${row.to}`, onDelete: row.on_delete, onUpdate: row.on_update }))
    .sort((a, b) => a.column!.localeCompare(b.column!));
}

/** Columns (name, type, nullability, default, key), indexes (columns, uniqueness) and foreign keys of durin's tables. */
async function describeSchema(db: TestDatabase) {
  const queryInterface = db.sequelize.getQueryInterface();
  const schema: Record<string, unknown> = {};
  for (const table of TABLES) {
    const columns = Object.entries(await queryInterface.describeTable(table)).map(([name, column]) => ({
      name,
      type: column.type,
      allowNull: column.allowNull,
      defaultValue: column.defaultValue ?? null,
      primaryKey: column.primaryKey,
    }));
    const indexes = ((await queryInterface.showIndex(table)) as Array<{ fields: Array<{ attribute: string }>; unique: boolean; primary: boolean }>)
      .map((index) => ({ columns: index.fields.map((field) => field.attribute).join(','), unique: index.unique, primary: index.primary }))
      .sort((a, b) => a.columns.localeCompare(b.columns));
    schema[table] = { columns, indexes, foreignKeys: await foreignKeys(db, table) };
  }
  return schema;
}

/** The CREATE statements the database itself reports. */
async function ddl(db: TestDatabase): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows = await db.sequelize.query<{ sql: string }>(
      "SELECT sql FROM sqlite_master WHERE tbl_name LIKE 'durin\\_%' ESCAPE '\\' ORDER BY name",
      { type: QueryTypes.SELECT },
    );
    return rows.map((row) => row.sql);
  }
  const statements: string[] = [];
  for (const table of TABLES) {
    const [row] = await db.sequelize.query<Record<string, string>>(`SHOW CREATE TABLE \`${table}\``, { type: QueryTypes.SELECT });
    statements.push(row!['Create Table']!);
  }
  return statements;
}

async function tableNames(db: TestDatabase): Promise<string[]> {
  const names = (await db.sequelize.getQueryInterface().showAllTables()) as Array<string | { tableName: string }>;
  return names.map((name) => (typeof name === 'string' ? name : name.tableName)).sort();
}

describe('durin_0001_initial', () => {
  test('produces the columns, indexes and foreign keys durin.sync() creates', async () => {
    const synced = await createTestApp();
    onTestFinished(() => synced.close());
    const { db } = await migratedDatabase();
    expect(await describeSchema(db)).toEqual(await describeSchema(synced.db));
    expect(await ddl(db)).toEqual(await ddl(synced.db));
  });

  test('creates the tables of DESIGN §2', async () => {
    const { db } = await migratedDatabase();
    const schema = (await describeSchema(db)) as Record<string, { indexes: unknown[]; foreignKeys: unknown[] }>;
    const cascade = { onDelete: 'CASCADE', onUpdate: 'CASCADE' };
    expect(schema.durin_authtoken!.foreignKeys).toEqual([
      { column: 'client_id', references: 'durin_client.id', ...cascade },
      { column: 'user_id', references: 'app_user.id', ...cascade },
    ]);
    expect(schema.durin_authtoken!.indexes).toEqual(
      expect.arrayContaining([
        { columns: 'token_hash', unique: true, primary: false },
        { columns: 'user_id,client_id', unique: true, primary: false },
      ]),
    );
    expect(schema.durin_client!.indexes).toEqual(expect.arrayContaining([{ columns: 'name', unique: true, primary: false }]));
    const client = await db.sequelize.getQueryInterface().describeTable('durin_client');
    expect(client.throttle_rate).toMatchObject({ type: 'VARCHAR(64)', allowNull: false, defaultValue: '' });
    const token = await db.sequelize.getQueryInterface().describeTable('durin_authtoken');
    expect(token.token_hash).toMatchObject({ type: 'CHAR(64)', allowNull: false });
  });

  test('down removes both tables and keeps the user table', async () => {
    const { db } = await migratedDatabase();
    await migrator(db).down({ to: 0 });
    const tables = await tableNames(db);
    expect(tables).toContain('app_user');
    expect(tables.filter((name) => name.startsWith('durin_'))).toEqual([]);
  });

  test('up twice through umzug applies the migration once', async () => {
    const { db } = await migratedDatabase();
    const before = await describeSchema(db);
    expect(await migrator(db).up()).toEqual([]);
    expect(await migrator(db).executed()).toEqual([expect.objectContaining({ name: 'durin_0001_initial' })]);
    expect(await describeSchema(db)).toEqual(before);
  });

  test('deleting a user or a client deletes their tokens on the migrated schema', async () => {
    const { db, User } = await migratedDatabase();
    const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null });
    await durin.clients.create({ name: 'web' });
    await durin.clients.create({ name: 'mobile' });
    const user = await User.create({ username: 'john', passwordHash: hashPassword('pw') });
    await durin.tokens.issue(user, 'web');
    await durin.tokens.issue(user, 'mobile');
    await durin.models.Client.destroy({ where: { name: 'mobile' } });
    expect(await durin.models.AuthToken.count()).toBe(1);
    await user.destroy();
    expect(await durin.models.AuthToken.count()).toBe(0);
  });

  test('user_id takes the type of the user key it is given', async () => {
    const db = await freshDatabase();
    const queryInterface = db.sequelize.getQueryInterface();
    await queryInterface.createTable('accounts', { uuid: { type: DataTypes.UUID, primaryKey: true } });
    await migrator(db, { userTable: 'accounts', userKey: 'uuid', userKeyType: DataTypes.UUID }).up();
    const userId = (await queryInterface.describeTable('durin_authtoken')).user_id!;
    expect(userId.type).toBe((await queryInterface.describeTable('accounts')).uuid!.type);
    expect(await foreignKeys(db, 'durin_authtoken')).toContainEqual(expect.objectContaining({ column: 'user_id', references: 'accounts.uuid' }));
  });

  test('the default export references users.id as INTEGER', () => {
    expect(migrations.map((migration) => migration.name)).toEqual(['durin_0001_initial']);
    expect(Object.isFrozen(migrations)).toBe(true);
  });

  test('bad options and unknown names fail with one sentence', () => {
    expect(() => createDurinMigrations({ userTable: '' })).toThrow('trpc-durin: invalid migration option "userTable": expected a non-empty name (got )');
    expect(() => getDurinMigration('0001_initial')).toThrow('trpc-durin: no migration named "0001_initial" (this version has durin_0001_initial)');
  });
});

/** The README's sequelize-cli wrapper, verbatim. */
const SEQUELIZE_CLI_WRAPPER = `'use strict';
const durin = (Sequelize) =>
  import('trpc-durin/migrations').then(({ getDurinMigration }) =>
    getDurinMigration('durin_0001_initial', { userTable: 'app_user', userKeyType: Sequelize.INTEGER }));

module.exports = {
  up: async (queryInterface, Sequelize) => (await durin(Sequelize)).up({ context: queryInterface }),
  down: async (queryInterface, Sequelize) => (await durin(Sequelize)).down({ context: queryInterface }),
};
`;

describe('sequelize-cli', () => {
  test('the wrapper file runs the built migration up and down as sequelize-cli calls it', async () => {
    if (!existsSync(join(ROOT, 'dist/migrations/index.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    // An app folder with trpc-durin "installed", as sequelize-cli would see it.
    const app = await mkdtemp(join(tmpdir(), 'durin-sequelize-cli-'));
    onTestFinished(() => rm(app, { recursive: true, force: true }));
    await mkdir(join(app, 'node_modules'));
    await mkdir(join(app, 'migrations'));
    await symlink(ROOT, join(app, 'node_modules', 'trpc-durin'), 'dir');
    const file = join(app, 'migrations', '20250101000000-durin_0001_initial.cjs');
    await writeFile(file, SEQUELIZE_CLI_WRAPPER);
    const wrapper = createRequire(import.meta.url)(file) as Record<'up' | 'down', (qi: unknown, lib: unknown) => Promise<void>>;

    const synced = await createTestApp();
    onTestFinished(() => synced.close());
    const db = await freshDatabase();
    await defineUser(db).sync();
    // sequelize-cli's migrator passes (queryInterface, Sequelize).
    await wrapper.up(db.sequelize.getQueryInterface(), SequelizeLib);
    expect(await describeSchema(db)).toEqual(await describeSchema(synced.db));
    await wrapper.down(db.sequelize.getQueryInterface(), SequelizeLib);
    expect((await tableNames(db)).filter((name) => name.startsWith('durin_'))).toEqual([]);
  });
});
