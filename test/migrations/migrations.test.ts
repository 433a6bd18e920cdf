import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataTypes, QueryTypes, Sequelize as SequelizeLib } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { describe, expect, onTestFinished, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createDurin, hashToken } from '../../src/index.js';
import { createDurinMigrations, getDurinMigration, migrations, type DurinMigrationOptions } from '../../src/migrations/index.js';
import { createTestApp, defineUser, hashPassword } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const TABLES = ['durin_client', 'durin_authtoken'] as const;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
    const indexes = (
      (await queryInterface.showIndex(table)) as Array<{ fields: Array<{ attribute: string }>; unique: boolean; primary: boolean }>
    )
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
  test('with 0002, produces the columns, indexes and foreign keys durin.sync() creates', async () => {
    const synced = await createTestApp();
    onTestFinished(() => synced.close());
    const { db } = await migratedDatabase();
    expect(await describeSchema(db)).toEqual(await describeSchema(synced.db));
    expect(await ddl(db)).toEqual(await ddl(synced.db));
  });

  test('creates the two tables durin owns', async () => {
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
        { columns: 'user_id,client_id,session_slot', unique: true, primary: false },
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
    expect(await migrator(db).executed()).toEqual([
      expect.objectContaining({ name: 'durin_0001_initial' }),
      expect.objectContaining({ name: 'durin_0002_session_metadata' }),
      expect.objectContaining({ name: 'durin_0003_api_keys' }),
    ]);
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
    expect(await foreignKeys(db, 'durin_authtoken')).toContainEqual(
      expect.objectContaining({ column: 'user_id', references: 'accounts.uuid' }),
    );
  });

  test('the default export references users.id as INTEGER', () => {
    expect(migrations.map((migration) => migration.name)).toEqual([
      'durin_0001_initial',
      'durin_0002_session_metadata',
      'durin_0003_api_keys',
    ]);
    expect(Object.isFrozen(migrations)).toBe(true);
  });

  test('bad options and unknown names fail with one sentence', () => {
    expect(() => createDurinMigrations({ userTable: '' })).toThrow(
      'trpc-durin: invalid migration option "userTable": expected a non-empty name (got )',
    );
    expect(() => getDurinMigration('0001_initial')).toThrow(
      'trpc-durin: no migration named "0001_initial" (this version has durin_0001_initial, durin_0002_session_metadata, durin_0003_api_keys)',
    );
  });
});

describe('durin_0002_session_metadata', () => {
  /** A database with the user table and durin_0001_initial only, as an app that installed an earlier version has it. */
  async function databaseAt0001() {
    const db = await freshDatabase();
    const User = defineUser(db);
    await User.sync();
    await migrator(db).up({ to: 'durin_0001_initial' });
    return { db, User };
  }

  test('adds the four nullable session-metadata columns', async () => {
    const { db } = await migratedDatabase();
    const token = await db.sequelize.getQueryInterface().describeTable('durin_authtoken');
    expect(token.name).toMatchObject({ type: 'VARCHAR(64)', allowNull: true });
    expect(token.last_ip).toMatchObject({ type: 'VARCHAR(45)', allowNull: true });
    expect(token.user_agent).toMatchObject({ type: 'VARCHAR(255)', allowNull: true });
    expect(token.last_used_at).toMatchObject({ type: db.dialect === 'sqlite' ? 'DATETIME' : 'DATETIME(3)', allowNull: true });
  });

  test('forward on a database made by 0001: its live tokens keep working and start getting metadata', async () => {
    const { db, User } = await databaseAt0001();
    const queryInterface = db.sequelize.getQueryInterface();
    const user = await User.create({ username: 'john', passwordHash: hashPassword('pw') });
    await queryInterface.bulkInsert('durin_client', [{ id: 7, name: 'web', token_ttl: 86_400, throttle_rate: '' }]);
    const token = randomBytes(32).toString('hex');
    // Whole seconds: bulkInsert formats dates without their milliseconds on MySQL.
    const created = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const expiry = new Date(created.getTime() + 86_400_000);
    // Rows as durin_0001_initial's schema holds them: no metadata columns yet.
    await queryInterface.bulkInsert('durin_authtoken', [{ token_hash: hashToken(token), user_id: user.id, client_id: 7, created, expiry }]);

    expect(await migrator(db).up()).toEqual([
      expect.objectContaining({ name: 'durin_0002_session_metadata' }),
      expect.objectContaining({ name: 'durin_0003_api_keys' }),
    ]);
    const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null });
    const ctx = await durin.createDurinContext({
      headers: { authorization: `Token ${token}`, 'user-agent': 'Migrated/1.0' },
      ip: '203.0.113.7',
    });
    expect(ctx.durin.failure).toBeNull();
    expect(ctx.user?.get('id')).toBe(user.id);
    expect(ctx.auth).toMatchObject({ clientId: 7, created, expiry, name: null, lastUsedAt: null, kind: 'session', abilities: null });
    await durin.close(); // waits for the off-path usage write

    const row = await durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(token) } });
    expect(row).toMatchObject({ created, expiry, name: null, lastIp: '203.0.113.7', userAgent: 'Migrated/1.0' });
    expect(row!.lastUsedAt!.getTime()).toBeGreaterThan(created.getTime());
  });

  test('down returns to the schema 0001 made, keeping the tokens', async () => {
    const reference = await databaseAt0001();
    const { db, User } = await migratedDatabase();
    const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null });
    await durin.clients.create({ name: 'web' });
    const user = await User.create({ username: 'john', passwordHash: hashPassword('pw') });
    await durin.tokens.issue(user, 'web', { name: 'Firefox on Linux' });
    await migrator(db).down({ to: 'durin_0002_session_metadata' });
    expect(await describeSchema(db)).toEqual(await describeSchema(reference.db));
    // The one difference: MySQL reports the table's next AUTO_INCREMENT value once rows were inserted.
    const withoutCounter = (statements: Array<string | null>) => statements.map((sql) => sql?.replace(/ AUTO_INCREMENT=\d+/, '') ?? sql);
    expect(withoutCounter(await ddl(db))).toEqual(await ddl(reference.db));
    const [{ count }] = (await db.sequelize.query('SELECT COUNT(*) AS count FROM durin_authtoken', { type: QueryTypes.SELECT })) as [
      { count: number },
    ];
    expect(Number(count)).toBe(1);
  });
});

describe('durin_0003_api_keys', () => {
  async function databaseAt0002() {
    const db = await freshDatabase();
    const User = defineUser(db);
    await User.sync();
    await migrator(db).up({ to: 'durin_0002_session_metadata' });
    return { db, User };
  }

  test('forward on a database made by 0002: live tokens keep working as sessions, and keys can be many', async () => {
    const { db, User } = await databaseAt0002();
    const queryInterface = db.sequelize.getQueryInterface();
    const user = await User.create({ username: 'john', passwordHash: hashPassword('pw') });
    await queryInterface.bulkInsert('durin_client', [{ id: 7, name: 'api', token_ttl: 86_400, throttle_rate: '' }]);
    const token = randomBytes(32).toString('hex');
    const created = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const expiry = new Date(created.getTime() + 86_400_000);
    // A row as durin_0002_session_metadata's schema holds it: no abilities, kind or slot yet.
    await queryInterface.bulkInsert('durin_authtoken', [
      { token_hash: hashToken(token), user_id: user.id, client_id: 7, created, expiry, name: 'Old laptop' },
    ]);

    expect(await migrator(db).up()).toEqual([expect.objectContaining({ name: 'durin_0003_api_keys' })]);
    const durin = createDurin({
      sequelize: db.sequelize,
      userModel: User,
      authenticateUser: () => null,
      settings: { apiAccessClientName: 'api' },
    });
    const ctx = await durin.createDurinContext({ headers: { authorization: `Token ${token}` }, ip: '203.0.113.7' });
    expect(ctx.durin.failure).toBeNull();
    expect(ctx.auth).toMatchObject({
      clientId: 7,
      created,
      expiry,
      name: 'Old laptop',
      kind: 'session',
      sessionSlot: true,
      abilities: null,
      start: null,
    });
    expect(ctx.auth!.client.abilities).toBeNull();

    // Two named keys beside the session on one client: the unique index now allows it.
    await durin.apiKeys.create(user, { name: 'ci' });
    await durin.apiKeys.create(user, { name: 'backup', abilities: ['posts:read'] });
    // A login still rotates the one session, never a key.
    const { auth } = await durin.tokens.issue(user, 'api');
    expect(Number(auth.id)).toBe(Number(ctx.auth!.id));
    expect(await durin.models.AuthToken.count({ where: { kind: 'apiKey' } })).toBe(2);
    expect(await durin.models.AuthToken.count({ where: { kind: 'session' } })).toBe(1);
    await durin.close();
  });

  test('down returns to the schema 0002 made: sessions stay, keys go', async () => {
    const reference = await databaseAt0002();
    const { db, User } = await migratedDatabase();
    const durin = createDurin({
      sequelize: db.sequelize,
      userModel: User,
      authenticateUser: () => null,
      settings: { apiAccessClientName: 'api' },
    });
    await durin.clients.create({ name: 'api', abilities: ['posts:read'] });
    const user = await User.create({ username: 'john', passwordHash: hashPassword('pw') });
    await durin.tokens.issue(user, 'api', { name: 'Firefox on Linux' });
    await durin.apiKeys.create(user, { name: 'ci' });
    await durin.close();
    await migrator(db).down({ to: 'durin_0003_api_keys' });
    expect(await describeSchema(db)).toEqual(await describeSchema(reference.db));
    const withoutCounter = (statements: Array<string | null>) => statements.map((sql) => sql?.replace(/ AUTO_INCREMENT=\d+/, '') ?? sql);
    expect(withoutCounter(await ddl(db))).toEqual(await ddl(reference.db));
    const rows = await db.sequelize.query<{ name: string }>('SELECT name FROM durin_authtoken', { type: QueryTypes.SELECT });
    expect(rows).toEqual([{ name: 'Firefox on Linux' }]);
  });
});

/** The README's sequelize-cli wrapper, verbatim but for the migration's name (one file per migration). */
const sequelizeCliWrapper = (name: string) => `'use strict';
const durin = (Sequelize) =>
  import('trpc-durin/migrations').then(({ getDurinMigration }) =>
    getDurinMigration('${name}', { userTable: 'app_user', userKeyType: Sequelize.INTEGER }));

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
    const wrappers = [];
    for (const [i, migration] of migrations.entries()) {
      const file = join(app, 'migrations', `2025010100000${i}-${migration.name}.cjs`);
      await writeFile(file, sequelizeCliWrapper(migration.name));
      wrappers.push(createRequire(import.meta.url)(file) as Record<'up' | 'down', (qi: unknown, lib: unknown) => Promise<void>>);
    }

    const synced = await createTestApp();
    onTestFinished(() => synced.close());
    const db = await freshDatabase();
    await defineUser(db).sync();
    // sequelize-cli's migrator passes (queryInterface, Sequelize), in file order up and reversed down.
    for (const wrapper of wrappers) await wrapper.up(db.sequelize.getQueryInterface(), SequelizeLib);
    expect(await describeSchema(db)).toEqual(await describeSchema(synced.db));
    for (const wrapper of wrappers.reverse()) await wrapper.down(db.sequelize.getQueryInterface(), SequelizeLib);
    expect((await tableNames(db)).filter((name) => name.startsWith('durin_'))).toEqual([]);
  });
});
