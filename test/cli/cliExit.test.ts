import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSharedDatabase, startChildApp, type ChildApp, type SharedDatabase } from '../helpers/processes.js';
import { REDIS_URL, describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { unique } from '../helpers/time.js';

/**
 * The built CLI, spawned as cron or a deploy step runs it, with an --app module that opens its own
 * Redis client (as the README's several-processes setup does): every command ends by itself with
 * its exit code, and a revocation it makes reaches a running server (another process, its cache
 * warm) through the bus, whether the bus is the app's or one the CLI builds from REDIS_URL.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
const APP = 'test/fixtures/cli-app-redis/durin.ts';
/** Far beyond what a command takes (tsx's start included): a CLI still running then hangs. */
const HANG_LIMIT_MS = 30_000;
const PASSWORD = 'hunter2';

interface Finished {
  code: number | null;
  /** SIGKILL when it had to be killed: it did not exit by itself. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function bin(args: string[], env: Record<string, string | undefined>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), HANG_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** DATABASE_URL as the CLI reads it. */
const databaseUrl = (db: SharedDatabase) => (db.dialect === 'sqlite' ? `sqlite:${db.database}` : db.database);

describeRedis('the CLI with an --app module that opens a Redis client', () => {
  let db: SharedDatabase;
  beforeAll(async () => {
    db = await createSharedDatabase();
  });
  afterAll(() => db?.drop());

  test('migrate, create-client, delete-client and remove-expired-tokens each exit by themselves with their code', async () => {
    // The user table first, as the app's own migration makes it (SQLite's cascade needs it).
    const sequelize =
      db.dialect === 'sqlite'
        ? new Sequelize({ dialect: 'sqlite', storage: db.database, logging: false })
        : new Sequelize(db.database, { logging: false });
    sequelize.define('User', { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true } }, { tableName: 'app_user' });
    await sequelize.sync();
    await sequelize.close();
    const env = { DATABASE_URL: databaseUrl(db), DURIN_TEST_REDIS_URL: REDIS_URL, DURIN_TEST_PREFIX: testPrefix() };

    const runs: [string[], number, RegExp][] = [
      [['migrate'], 0, /Applied durin_0002_session_metadata\./],
      [['create-client', 'web'], 0, /^Client web created!\n$/],
      [['delete-client', 'web'], 0, /^Client web deleted; 0 tokens revoked\.\n$/],
      [['remove-expired-tokens'], 0, /^Removed 0 expired tokens\.\n$/],
      [['delete-client', 'web'], 1, /^$/],
    ];
    for (const [args, code, stdout] of runs) {
      const result = await bin(['--app', APP, ...args], env);
      expect({ args, signal: result.signal, code: result.code }).toEqual({ args, signal: null, code });
      expect(result.stdout).toMatch(stdout);
      expect(result.stderr).toBe(code === 0 ? '' : 'trpc-durin: no client named "web"\n');
    }
  }, 180_000);
});

describeRedis('a revocation from the CLI reaches a running server', () => {
  let db: SharedDatabase;
  let server: ChildApp;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await createSharedDatabase();
    server = await startChildApp({ dialect: db.dialect, database: db.database, redisUrl: REDIS_URL, prefix, sync: true });
    await eventually(async () => (await server.client().admin.stats.query()).busHealthy === true, 10_000, "the server's bus");
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  /** A client of its own with one user's token on it, which the server has cached (a second use costs no lookup). */
  async function cachedToken(): Promise<{ client: string; token: string }> {
    const admin = server.client().admin;
    const client = unique('c');
    const username = unique('u');
    await admin.createClient.mutate({ name: client });
    await admin.createUser.mutate({ username, password: PASSWORD });
    const { token } = await server.client().auth.login.mutate({ username, password: PASSWORD, client });
    expect((await server.get('me', token)).status).toBe(200);
    const before = (await admin.stats.query()).tokenLookups;
    expect((await server.get('me', token)).status).toBe(200);
    expect((await admin.stats.query()).tokenLookups).toBe(before);
    return { client, token };
  }

  /** The server refuses `token` within a second, its bus healthy (so from the message, not by bypassing its cache). */
  async function refusedWithinASecond(token: string) {
    await eventually(async () => (await server.get('me', token)).status === 401, 1000, 'the token refused');
    expect((await server.client().admin.stats.query()).busHealthy).toBe(true);
  }

  test("delete-client with --app publishes on the app's bus", async () => {
    const { client, token } = await cachedToken();
    const env = { DATABASE_URL: databaseUrl(db), DURIN_TEST_REDIS_URL: REDIS_URL, DURIN_TEST_PREFIX: prefix };
    const result = await bin(['--app', APP, 'delete-client', client], env);
    expect(result).toEqual({ code: 0, signal: null, stdout: `Client ${client} deleted; 1 token revoked.\n`, stderr: '' });
    await refusedWithinASecond(token);
  }, 60_000);

  test('delete-client without --app publishes on a bus it builds from REDIS_URL (and REDIS_PREFIX)', async () => {
    const { client, token } = await cachedToken();
    const result = await bin(['delete-client', client], { DATABASE_URL: databaseUrl(db), REDIS_URL, REDIS_PREFIX: prefix });
    expect(result).toEqual({ code: 0, signal: null, stdout: `Client ${client} deleted; 1 token revoked.\n`, stderr: '' });
    await refusedWithinASecond(token);
  }, 60_000);

  test("revoke-user publishes on the bus too: the user's cached token is refused", async () => {
    const { client, token } = await cachedToken();
    const username = unique('u');
    const userId = await server.client().admin.createUser.mutate({ username, password: PASSWORD });
    const { token: other } = await server.client().auth.login.mutate({ username, password: PASSWORD, client });
    expect((await server.get('me', other)).status).toBe(200);
    expect((await server.get('me', other)).status).toBe(200);
    const result = await bin(['revoke-user', String(userId)], { DATABASE_URL: databaseUrl(db), REDIS_URL, REDIS_PREFIX: prefix });
    expect(result).toEqual({ code: 0, signal: null, stdout: `User ${userId}: 1 token revoked.\n`, stderr: '' });
    await refusedWithinASecond(other);
    expect((await server.get('me', token)).status).toBe(200); // another user's token stays
  }, 60_000);

  test('without a bus it says in one line that servers may keep the tokens cached, and they do', async () => {
    const { client, token } = await cachedToken();
    const result = await bin(['delete-client', client], { DATABASE_URL: databaseUrl(db) });
    expect(result).toEqual({
      code: 0,
      signal: null,
      stdout:
        `Client ${client} deleted; 1 token revoked.\n` +
        'Note: no cache bus (neither an --app durin with a cacheBus nor REDIS_URL), so running servers may keep accepting these tokens ' +
        'from their cache for up to tokenCacheTimeout (1m).\n',
      stderr: '',
    });
    // What the note warns about: nothing told the server, whose cache still holds the token.
    expect((await server.get('me', token)).status).toBe(200);
  }, 60_000);
});
