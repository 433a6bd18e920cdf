import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DataTypes, QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { createDurin } from '../../src/index.js';
import { createTestDatabase, testDialect } from '../helpers/db.js';

/**
 * The CLI knows the app: `--app` (or a durin.config.* in the working directory) loads
 * the app's durin object, so `migrate` points user_id at the app's user model and `create-client`
 * uses the app's defaultTokenTtl; tables made by sync() are reported, with `migrate --fake`.
 * The app fixture is TypeScript, loaded by tsx in a spawned run of the built bin, as a user runs it.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
const APP = 'test/fixtures/cli-app/durin.ts';

async function emptyDatabase(): Promise<{ url: string; sequelize: Sequelize }> {
  if (testDialect() === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'durin-cli-app-'));
    const storage = join(dir, 'app.db');
    const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false });
    await sequelize.authenticate();
    onTestFinished(async () => {
      await sequelize.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { url: `sqlite:${storage}`, sequelize };
  }
  const db = await createTestDatabase();
  onTestFinished(() => db.close());
  const url = new URL(process.env.DURIN_TEST_MYSQL_URL!);
  url.pathname = `/${db.sequelize.config.database}`;
  return { url: url.toString(), sequelize: db.sequelize };
}

/** The table and column durin_authtoken.user_id references, read from the database. */
async function userIdReference(sequelize: Sequelize): Promise<string | null> {
  if (testDialect() === 'sqlite') {
    const [row] = await sequelize.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'durin_authtoken'", {
      type: QueryTypes.SELECT,
    });
    const match = /`user_id` [^,]*REFERENCES `([^`]+)` \(`([^`]+)`\)/.exec(row?.sql ?? '');
    return match ? `${match[1]}.${match[2]}` : null;
  }
  const [row] = await sequelize.query<{ t: string; c: string }>(
    'SELECT REFERENCED_TABLE_NAME AS t, REFERENCED_COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE ' +
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'durin_authtoken' AND COLUMN_NAME = 'user_id' AND REFERENCED_TABLE_NAME IS NOT NULL",
    { type: QueryTypes.SELECT },
  );
  return row ? `${row.t}.${row.c}` : null;
}

const run = promisify(execFile);
function bin(args: string[], env: Record<string, string>, cwd = ROOT) {
  return run(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}

describe('trpc-durin --app', () => {
  test("migrate points user_id at the app's model (table Users, BIGINT key), and create-client takes its defaultTokenTtl", async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    const migrated = await bin(['--app', APP, 'migrate'], env);
    expect(migrated).toEqual({
      code: 0,
      stdout:
        'Note: table "Users" does not exist yet; durin_authtoken.user_id references Users.id as BIGINT, so give Users.id that type ' +
        '(or rerun with --user-table, --user-key, --user-key-type).\nApplied durin_0001_initial.\nApplied durin_0002_session_metadata.\nApplied durin_0003_api_keys.\n',
      stderr: '',
    });
    const queryInterface = db.sequelize.getQueryInterface();
    expect(await userIdReference(db.sequelize)).toBe('Users.id');
    expect((await queryInterface.describeTable('durin_authtoken')).user_id!.type).toMatch(/^BIGINT/);

    // The flag stays for scripts; `=` works too, after the command as well.
    expect(await bin(['create-client', 'web', `--app=${APP}`], env)).toEqual({ code: 0, stdout: 'Client web created!\n', stderr: '' });
    const [web] = await db.sequelize.query<{ token_ttl: number | string }>("SELECT token_ttl FROM durin_client WHERE name = 'web'", {
      type: QueryTypes.SELECT,
    });
    expect(Number(web!.token_ttl)).toBe(7 * 86_400);
  }, 60_000);

  test('a durin.config.ts in the working directory is loaded without --app', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    const cwd = join(ROOT, 'test/fixtures/cli-app-config');
    // One spawned run (tsx is slow to start): the app's model, not the "users" default, decides user_id.
    expect(await bin(['migrate'], env, cwd)).toMatchObject({ code: 0, stdout: expect.stringContaining('references Users.id as BIGINT') });
    expect(await userIdReference(db.sequelize)).toBe('Users.id');
  }, 60_000);

  test.each([
    [['--app'], 'trpc-durin: option "--app" needs a path, e.g. --app ./src/durin.ts'],
    [['--app', 'nowhere/durin.ts', 'list-clients'], 'trpc-durin: the app module nowhere/durin.ts does not exist'],
    [
      ['--app', 'test/fixtures/cli-app/not-durin.mjs', 'list-clients'],
      /^trpc-durin: \S+not-durin\.mjs exports no durin object: export it as "durin"/,
    ],
  ])('%j is one line and exit 1', async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    if (typeof message === 'string') expect(result.stderr).toBe(`${message}\n`);
    else expect(result.stderr).toMatch(message);
  });
});

describe('migrate after sync()', () => {
  test('says the tables exist and how to record them; --fake records them; then nothing is pending', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    const User = db.sequelize.define(
      'User',
      { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, username: { type: DataTypes.STRING } },
      { tableName: 'users', timestamps: false },
    );
    const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null });
    await db.sequelize.sync(); // the app's sync() makes durin's tables too

    expect(await cli(['migrate'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "trpc-durin: durin's tables already exist (durin_client, durin_authtoken, made by durin.sync() or sequelize.sync()) but SequelizeMeta " +
        'does not record their migration; if they are the current schema, record them as migrated without running anything: "trpc-durin migrate --fake"\n',
    });
    expect(await cli(['migrate', '--fake'], env)).toEqual({
      code: 0,
      stdout:
        'Recorded durin_0001_initial as applied (its tables already exist; nothing was run).\n' +
        'Recorded durin_0002_session_metadata as applied (its tables already exist; nothing was run).\n' +
        'Recorded durin_0003_api_keys as applied (its tables already exist; nothing was run).\n',
      stderr: '',
    });
    expect((await cli(['migrate'], env)).stdout).toBe("No migrations to apply: durin's tables are up to date.\n");
    expect((await cli(['create-client', 'web'], env)).code).toBe(0);
    expect((await durin.clients.list()).map((client) => client.name)).toEqual(['web']);
  });

  test('--fake on a database without the tables refuses and records nothing', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    expect(await cli(['migrate', '--fake'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'trpc-durin: --fake records migrations as applied only when their tables exist, and "durin_client" does not; run "trpc-durin migrate" without --fake\n',
    });
    expect((await cli(['migrate'], env)).stdout).toContain('Applied durin_0001_initial.');
  });
});

describe('checks before a command, by asking the database', () => {
  test('delete-client before the user table exists: SQLite asks for it (its cascade needs it), MySQL deletes', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    expect((await cli(['migrate', '--user-table', 'members'], env)).code).toBe(0);
    expect((await cli(['create-client', 'web'], env)).code).toBe(0);
    const result = await cli(['delete-client', 'web'], env);
    if (testDialect() === 'sqlite') {
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'trpc-durin: table "members" does not exist: durin_authtoken references it, so create your app\'s user table first\n',
      });
    } else {
      expect(result).toEqual({ code: 0, stdout: 'Client web deleted; 0 tokens revoked.\n', stderr: '' });
    }
  });

  test("a command on a database with only one of durin's tables names the missing one", async () => {
    const db = await emptyDatabase();
    await db.sequelize.getQueryInterface().createTable('durin_client', { id: { type: DataTypes.INTEGER, primaryKey: true } });
    expect(await cli(['remove-expired-tokens'], { DATABASE_URL: db.url })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trpc-durin: table "durin_authtoken" does not exist: run "trpc-durin migrate" first\n',
    });
  });
});
