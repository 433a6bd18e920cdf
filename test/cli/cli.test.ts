import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DataTypes, QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { createTestDatabase, testDialect } from '../helpers/db.js';

/**
 * `trpc-durin` in-process through `runCli`, against a real database of the project's dialect: a
 * temp SQLite file, or a fresh MariaDB database. Translates durin's ClientCommandTestCase and
 * ClientTestCase; ends with one spawned run of the built bin.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface CliDatabaseUnderTest {
  readonly url: string;
  readonly sequelize: Sequelize;
}

/** An empty database the CLI reaches through DATABASE_URL; dropped when the test ends. */
async function emptyDatabase(): Promise<CliDatabaseUnderTest> {
  if (testDialect() === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'durin-cli-'));
    const storage = join(dir, 'app.db');
    const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false });
    await sequelize.authenticate(); // creates the (empty) file
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

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}

/** An app's database: a `users` table (INTEGER key) and `trpc-durin migrate` run on it. */
async function migratedDatabase() {
  const db = await emptyDatabase();
  await db.sequelize.getQueryInterface().createTable('users', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    username: { type: DataTypes.STRING(150), allowNull: false },
  });
  const env = { DATABASE_URL: db.url };
  expect(await cli(['migrate'], env)).toEqual({
    code: 0,
    stdout: 'Applied durin_0001_initial.\nApplied durin_0002_session_metadata.\nApplied durin_0003_api_keys.\n',
    stderr: '',
  });
  const select = <T extends object>(sql: string, replacements: unknown[] = []) =>
    db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  return {
    ...db,
    env,
    run: (...argv: string[]) => cli(argv, env),
    clients: () =>
      select<{ name: string; token_ttl: number | string; throttle_rate: string }>(
        'SELECT name, token_ttl, throttle_rate FROM durin_client ORDER BY name',
      ),
    async tokenCount(): Promise<number> {
      const [row] = await select<{ n: number | string }>('SELECT COUNT(*) AS n FROM durin_authtoken');
      return Number(row!.n);
    },
    /** A user with a token on `client` that expires at `expiry`. */
    async addToken(client: string, expiry: Date) {
      const username = randomBytes(4).toString('hex');
      await db.sequelize.getQueryInterface().bulkInsert('users', [{ username }]);
      const [user] = await select<{ id: number }>('SELECT id FROM users WHERE username = ?', [username]);
      const [row] = await select<{ id: number }>('SELECT id FROM durin_client WHERE name = ?', [client]);
      await db.sequelize
        .getQueryInterface()
        .bulkInsert('durin_authtoken', [
          { token_hash: randomBytes(32).toString('hex'), user_id: user!.id, client_id: row!.id, created: new Date(), expiry },
        ]);
    },
  };
}

/** The one-line error contract: exit 1, nothing on stdout, one `trpc-durin: ` line on stderr. */
function expectOneLineError(result: { code: number; stdout: string; stderr: string }, message: string | RegExp) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  const lines = result.stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^trpc-durin: /);
  if (typeof message === 'string') expect(lines[0]).toBe(message);
  else expect(lines[0]).toMatch(message);
}

const HOUR = 3_600_000;

describe('create-client (durin ClientCommandTestCase)', () => {
  test("a name alone creates the client with defaultTokenTtl, not durin's zero TTL", async () => {
    const db = await migratedDatabase();
    expect(await db.run('create-client', 'web')).toEqual({ code: 0, stdout: 'Client web created!\n', stderr: '' });
    expect(await db.clients()).toEqual([{ name: 'web', token_ttl: 86_400, throttle_rate: '' }]);
  });

  test('--token-ttl and --throttle-rate are stored', async () => {
    const db = await migratedDatabase();
    expect((await db.run('create-client', 'web', '--token-ttl', '14d', '--throttle-rate', '1/s')).stdout).toBe('Client web created!\n');
    expect((await db.run('create-client', 'cli', '--token-ttl=3600')).code).toBe(0);
    expect(await db.clients()).toEqual([
      { name: 'cli', token_ttl: 3600, throttle_rate: '' },
      { name: 'web', token_ttl: 1_209_600, throttle_rate: '1/s' },
    ]);
  });

  test('--abilities stores the client default abilities; a bad one is one line', async () => {
    const db = await migratedDatabase();
    expect((await db.run('create-client', 'reader', '--abilities', 'posts:read, posts:list')).code).toBe(0);
    const [row] = await db.sequelize.query<{ abilities: unknown }>("SELECT abilities FROM durin_client WHERE name = 'reader'", {
      type: QueryTypes.SELECT,
    });
    expect(typeof row!.abilities === 'string' ? JSON.parse(row!.abilities) : row!.abilities).toEqual(['posts:read', 'posts:list']);
    expectOneLineError(
      await db.run('create-client', 'bad', '--abilities', 'a b'),
      'trpc-durin: invalid --abilities: expected abilities of 1 to 64 printable characters without spaces (got "a b")',
    );
  });

  test('a missing name fails', async () => {
    const db = await migratedDatabase();
    expectOneLineError(await db.run('create-client'), 'trpc-durin: create-client needs a client NAME, e.g. "trpc-durin create-client web"');
    expectOneLineError(await db.run('create-client', '--token-ttl', '1d'), /needs a client NAME/);
    expect(await db.clients()).toEqual([]);
  });

  test('a blank or overlong name fails', async () => {
    const db = await migratedDatabase();
    expectOneLineError(await db.run('create-client', ''), 'trpc-durin: invalid client "name": it may not be blank');
    expectOneLineError(await db.run('create-client', 'x'.repeat(65)), /^trpc-durin: invalid client "name": expected 1 to 64 characters/);
    expect(await db.clients()).toEqual([]);
  });

  test.each(['invalid', '14 00:00', '0', '-5', '2w'])('--token-ttl %j fails and names the flag', async (ttl) => {
    const db = await migratedDatabase();
    expectOneLineError(
      await db.run('create-client', 'web', `--token-ttl=${ttl}`),
      `trpc-durin: invalid --token-ttl: expected a positive number of seconds or a string such as "45s", "30m", "12h" or "14d" (got ${/^\d+$/.test(ttl) ? ttl : JSON.stringify(ttl)})`,
    );
    expect(await db.clients()).toEqual([]);
  });

  test('a duplicate name fails and keeps the first client', async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web', '--token-ttl', '1h');
    expectOneLineError(await db.run('create-client', 'web'), 'trpc-durin: a client named "web" already exists');
    expect(await db.clients()).toEqual([{ name: 'web', token_ttl: 3600, throttle_rate: '' }]);
  });
});

describe('throttle rates (durin ClientTestCase)', () => {
  test('"2/m" is valid and stored', async () => {
    const db = await migratedDatabase();
    expect((await db.run('create-client', 'web', '--throttle-rate', '2/m')).code).toBe(0);
    expect(await db.clients()).toEqual([{ name: 'web', token_ttl: 86_400, throttle_rate: '2/m' }]);
  });

  // durin's model validator also rejected "2/minute"; trpc-durin accepts minute as a period.
  test.each(['blahblah', '2/fortnight', '0/s'])('%j fails before anything is stored', async (rate) => {
    const db = await migratedDatabase();
    expectOneLineError(
      await db.run('create-client', 'web', '--throttle-rate', rate),
      new RegExp(`^trpc-durin: invalid --throttle-rate: .*\\(got "${rate}"\\)$`),
    );
    expect(await db.clients()).toEqual([]);
  });
});

describe('list-clients', () => {
  test('prints the clients by name in aligned columns', async () => {
    const db = await migratedDatabase();
    for (const argv of [['web'], ['mobile', '--token-ttl', '14d', '--throttle-rate', '100/h'], ['cli', '--token-ttl', '90']]) {
      expect((await db.run('create-client', ...argv)).code).toBe(0);
    }
    expect(await db.run('list-clients')).toEqual({
      code: 0,
      stdout: ['NAME    TOKEN TTL  THROTTLE RATE', 'cli     90s        -', 'mobile  14d        100/h', 'web     1d         -', ''].join(
        '\n',
      ),
      stderr: '',
    });
  });

  test('--json prints machine-readable rows', async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web', '--throttle-rate', '10/minute');
    const { code, stdout } = await db.run('list-clients', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([{ name: 'web', tokenTtl: 86_400, throttleRate: '10/minute' }]);
    await db.run('delete-client', 'web');
    expect(JSON.parse((await db.run('list-clients', '--json')).stdout)).toEqual([]);
  });

  test('says so when there are no clients', async () => {
    const db = await migratedDatabase();
    expect((await db.run('list-clients')).stdout).toBe('No clients. Create one with "trpc-durin create-client NAME".\n');
  });
});

describe('delete-client', () => {
  test('deletes the client and its tokens, and only those', async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web');
    await db.run('create-client', 'mobile');
    await db.addToken('web', new Date(Date.now() + HOUR));
    await db.addToken('web', new Date(Date.now() + HOUR));
    await db.addToken('mobile', new Date(Date.now() + HOUR));
    expect(await db.run('delete-client', 'web')).toEqual({
      code: 0,
      // No --app and no REDIS_URL: nothing tells running servers, so the CLI says what that means.
      stdout:
        'Client web deleted; 2 tokens revoked.\nNote: no cache bus (neither an --app durin with a cacheBus nor REDIS_URL), ' +
        'so running servers may keep accepting these tokens from their cache for up to tokenCacheTimeout (1m).\n',
      stderr: '',
    });
    expect((await db.clients()).map((c) => c.name)).toEqual(['mobile']);
    expect(await db.tokenCount()).toBe(1);
  });

  test('an unknown client fails', async () => {
    const db = await migratedDatabase();
    expectOneLineError(await db.run('delete-client', 'nope'), 'trpc-durin: no client named "nope"');
    expectOneLineError(await db.run('delete-client'), /delete-client needs a client NAME/);
  });
});

describe('remove-expired-tokens', () => {
  test('removes the expired tokens only and prints how many', async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web');
    await db.addToken('web', new Date(Date.now() - HOUR));
    await db.addToken('web', new Date(Date.now() - 1000));
    await db.addToken('web', new Date(Date.now() + HOUR));
    expect(await db.run('remove-expired-tokens')).toEqual({ code: 0, stdout: 'Removed 2 expired tokens.\n', stderr: '' });
    expect(await db.tokenCount()).toBe(1);
    expect((await db.run('remove-expired-tokens')).stdout).toBe('Removed 0 expired tokens.\n');
  });
});

describe('list-tokens', () => {
  test('prints one line per token by id, filtered by --user and --client, never a digest', async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web');
    await db.run('create-client', 'cli');
    expect(await db.run('list-tokens')).toEqual({ code: 0, stdout: 'No tokens.\n', stderr: '' });
    await db.addToken('web', new Date(Date.now() + HOUR));
    await db.addToken('cli', new Date(Date.now() - HOUR));
    await db.addToken('web', new Date(Date.now() + HOUR));
    const rows = await db.sequelize.query<{ id: number; user_id: number; token_hash: string }>(
      'SELECT id, user_id, token_hash FROM durin_authtoken ORDER BY id',
      { type: QueryTypes.SELECT },
    );
    const all = await db.run('list-tokens');
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split('  ').slice(0, 5))).toEqual([
      [`#${rows[0]!.id}`, `user=${rows[0]!.user_id}`, 'client=web', 'session', 'live'],
      [`#${rows[1]!.id}`, `user=${rows[1]!.user_id}`, 'client=cli', 'session', 'expired'],
      [`#${rows[2]!.id}`, `user=${rows[2]!.user_id}`, 'client=web', 'session', 'live'],
    ]);
    for (const row of rows) expect(all.stdout).not.toContain(row.token_hash);
    expect(
      (await db.run('list-tokens', '--client', 'web')).stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split('  ')[0]),
    ).toEqual([`#${rows[0]!.id}`, `#${rows[2]!.id}`]);
    expect((await db.run('list-tokens', '--user', String(rows[1]!.user_id))).stdout.split('  ')[0]).toBe(`#${rows[1]!.id}`);
    expectOneLineError(await db.run('list-tokens', '--client', 'mobile'), 'trpc-durin: no client named "mobile"');
    expectOneLineError(
      await db.run('list-tokens', '--user', ''),
      'trpc-durin: invalid user ID "": expected 1 to 255 characters without spaces',
    );
  });
});

describe('revoke-user', () => {
  test("revokes every token of one user and prints how many; other users' tokens stay", async () => {
    const db = await migratedDatabase();
    await db.run('create-client', 'web');
    await db.addToken('web', new Date(Date.now() + HOUR));
    await db.addToken('web', new Date(Date.now() + HOUR));
    const [first] = await db.sequelize.query<{ user_id: number }>('SELECT user_id FROM durin_authtoken ORDER BY id LIMIT 1', {
      type: QueryTypes.SELECT,
    });
    const id = String(first!.user_id);
    expect(await db.run('revoke-user', id)).toEqual({
      code: 0,
      stdout:
        `User ${id}: 1 token revoked.\n` +
        'Note: no cache bus (neither an --app durin with a cacheBus nor REDIS_URL), so running servers may keep accepting these tokens from their cache for up to tokenCacheTimeout (1m).\n',
      stderr: '',
    });
    expect(await db.tokenCount()).toBe(1);
    expect(await db.run('revoke-user', id)).toEqual({ code: 0, stdout: `User ${id}: 0 tokens revoked.\n`, stderr: '' });
    expectOneLineError(await db.run('revoke-user'), 'trpc-durin: revoke-user needs a user ID, e.g. "trpc-durin revoke-user 42"');
    expectOneLineError(
      await db.run('revoke-user', 'a b'),
      'trpc-durin: invalid user ID "a b": expected 1 to 255 characters without spaces',
    );
  });
});

describe('migrate', () => {
  test('an empty database gets the tables, and a second run applies nothing', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    const first = await cli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'Note: table "users" does not exist yet; durin_authtoken.user_id references users.id as INTEGER, so give users.id that type ' +
        '(or rerun with --user-table, --user-key, --user-key-type).\nApplied durin_0001_initial.\nApplied durin_0002_session_metadata.\nApplied durin_0003_api_keys.\n',
    );
    expect(await cli(['migrate'], env)).toEqual({
      code: 0,
      stdout: "No migrations to apply: durin's tables are up to date.\n",
      stderr: '',
    });
    expect((await cli(['create-client', 'web'], env)).code).toBe(0);
  });

  test('the reference to a user table created later is enforced and cascades', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    expect((await cli(['migrate', '--user-table', 'accounts', '--user-key-type', 'bigint'], env)).code).toBe(0);
    const queryInterface = db.sequelize.getQueryInterface();
    await queryInterface.createTable('accounts', { id: { type: DataTypes.BIGINT, primaryKey: true } });
    await cli(['create-client', 'web'], env);
    const [client] = await db.sequelize.query<{ id: number }>('SELECT id FROM durin_client', { type: QueryTypes.SELECT });
    const token = (userId: number) => ({
      token_hash: randomBytes(32).toString('hex'),
      user_id: userId,
      client_id: client!.id,
      created: new Date(),
      expiry: new Date(),
    });
    await expect(queryInterface.bulkInsert('durin_authtoken', [token(7)])).rejects.toThrow(/foreign key|FOREIGN KEY/i);
    await queryInterface.bulkInsert('accounts', [{ id: 7 }]);
    await queryInterface.bulkInsert('durin_authtoken', [token(7)]);
    await queryInterface.bulkDelete('accounts', {});
    expect(await db.sequelize.query('SELECT id FROM durin_authtoken', { type: QueryTypes.SELECT })).toEqual([]);
  });

  test("an existing user table's key type wins over --user-key-type", async () => {
    const db = await emptyDatabase();
    const queryInterface = db.sequelize.getQueryInterface();
    await queryInterface.createTable('people', { pk: { type: DataTypes.BIGINT, primaryKey: true } });
    const result = await cli(['migrate', '--user-table', 'people', '--user-key', 'pk', '--user-key-type', 'uuid'], {
      DATABASE_URL: db.url,
    });
    expect(result).toEqual({
      code: 0,
      stdout: 'Applied durin_0001_initial.\nApplied durin_0002_session_metadata.\nApplied durin_0003_api_keys.\n',
      stderr: '',
    });
    const userId = (await queryInterface.describeTable('durin_authtoken')).user_id!;
    expect(userId.type).toBe((await queryInterface.describeTable('people')).pk!.type);
  });

  test('bad user table options fail before anything is created', async () => {
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    expectOneLineError(
      await cli(['migrate', '--user-key-type', 'int'], env),
      'trpc-durin: invalid --user-key-type "int": expected one of integer, bigint, uuid, string',
    );
    await db.sequelize.getQueryInterface().createTable('users', { id: { type: DataTypes.INTEGER, primaryKey: true } });
    expectOneLineError(
      await cli(['migrate', '--user-key', 'uid'], env),
      'trpc-durin: table "users" has no column "uid"; pass --user-key NAME',
    );
    expect(await db.sequelize.getQueryInterface().tableExists('durin_client')).toBe(false);
  });
});

describe('bad input is one line on stderr and exit code 1', () => {
  const noDb = 'mysql://durin:secret@127.0.0.1:1/durin';
  test.each([
    [[], { DATABASE_URL: 'sqlite:/tmp/x.db' }, 'trpc-durin: no command given; run "trpc-durin --help"'],
    [['frobnicate'], {}, 'trpc-durin: unknown command "frobnicate"; run "trpc-durin --help" for the list'],
    [['--verbose', 'list-clients'], {}, 'trpc-durin: unknown option "--verbose"; run "trpc-durin --help"'],
    [['list-clients', '--all'], {}, 'trpc-durin: unknown option "--all" for list-clients; run "trpc-durin help list-clients"'],
    [['create-client', 'web', '--token-ttl'], {}, 'trpc-durin: option "--token-ttl" needs a value, e.g. --token-ttl=VALUE'],
    [['list-clients', '--json=yes'], {}, 'trpc-durin: option "--json" takes no value'],
    [['delete-client', 'web', 'mobile'], {}, 'trpc-durin: unexpected argument "mobile" for delete-client'],
    [['help', 'frobnicate'], {}, 'trpc-durin: unknown command "frobnicate"; run "trpc-durin --help" for the list'],
    [['list-clients'], {}, 'trpc-durin: DATABASE_URL is not set; set it to sqlite:<path> or mysql://user:pass@host:port/db'],
    [
      ['list-clients'],
      { DATABASE_URL: 'postgres://u:p@h/db' },
      'trpc-durin: DATABASE_URL must be sqlite:<path> or mysql://user:pass@host:port/db (got a "postgres" URL)',
    ],
    [['migrate'], { DATABASE_URL: 'sqlite::memory:' }, /^trpc-durin: DATABASE_URL points to an in-memory SQLite database/],
    [
      ['list-clients'],
      { DATABASE_URL: 'mysql://u:p@127.0.0.1:3306' },
      'trpc-durin: DATABASE_URL names no database: use mysql://user:pass@host:port/db',
    ],
    [
      ['list-clients'],
      { DATABASE_URL: noDb },
      /^trpc-durin: cannot connect to the database at mysql:\/\/durin@127\.0\.0\.1:1\/durin: .*ECONNREFUSED/,
    ],
    [
      ['list-clients'],
      { DATABASE_URL: 'sqlite:/nonexistent/durin.db' },
      'trpc-durin: the SQLite database /nonexistent/durin.db does not exist; run "trpc-durin migrate" to create it',
    ],
  ])('%j', async (argv, env, message) => {
    const result = await cli(argv, env);
    expectOneLineError(result, message);
    expect(result.stderr).not.toContain('secret');
  });

  test("a database without durin's tables asks for migrate", async () => {
    const db = await emptyDatabase();
    expectOneLineError(
      await cli(['list-clients'], { DATABASE_URL: db.url }),
      'trpc-durin: table "durin_client" does not exist: run "trpc-durin migrate" first',
    );
  });
});

describe('help', () => {
  test('--help documents every command, flag and DATABASE_URL', async () => {
    const { code, stdout, stderr } = await cli(['--help']);
    expect([code, stderr]).toEqual([0, '']);
    for (const word of ['migrate', 'create-client NAME', 'list-clients', 'delete-client NAME', 'remove-expired-tokens', 'DATABASE_URL']) {
      expect(stdout).toContain(word);
    }
    for (const flag of [
      '--user-table NAME',
      '--user-key NAME',
      '--user-key-type TYPE',
      '--token-ttl DURATION',
      '--throttle-rate RATE',
      '--json',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect((await cli(['help'])).stdout).toBe(stdout);
  });

  test("a command's --help and help COMMAND show that command only", async () => {
    const own = await cli(['create-client', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('trpc-durin create-client NAME [--token-ttl DURATION] [--throttle-rate RATE]');
    expect(own.stdout).not.toContain('remove-expired-tokens');
    expect((await cli(['help', 'create-client'])).stdout).toBe(own.stdout);
  });

  test('--version prints the package version', async () => {
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });
});

describe('the built bin', () => {
  const run = promisify(execFile);
  const bin = join(ROOT, 'dist/cli/bin.js');
  const node = (args: string[], env: Record<string, string>) =>
    run(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  test('migrates, creates and lists clients as a separate process, and exits 1 with one line on bad input', async () => {
    if (!existsSync(bin)) throw new Error('dist/cli/bin.js is missing: run "npm run build" first (npm test does)');
    const db = await emptyDatabase();
    const env = { DATABASE_URL: db.url };
    expect((await node(['migrate'], env)).stdout).toContain('Applied durin_0001_initial.');
    expect(await node(['create-client', 'web', '--token-ttl', '1d'], env)).toEqual({
      code: 0,
      stdout: 'Client web created!\n',
      stderr: '',
    });
    expect((await node(['list-clients'], env)).stdout).toBe('NAME  TOKEN TTL  THROTTLE RATE\nweb   1d         -\n');
    expectOneLineError(await node(['create-client', 'web'], env), 'trpc-durin: a client named "web" already exists');
  }, 60_000); // four Node start-ups, on a busy CI machine
});
