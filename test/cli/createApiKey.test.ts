import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataTypes, QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { hashToken } from '../../src/index.js';
import { createTestDatabase, testDialect } from '../helpers/db.js';

/**
 * `trpc-durin --app APP create-api-key USER NAME [--abilities] [--expires-in]`, in-process: stdout
 * is the key alone (so a script can capture it), and every refusal is one line on stderr with exit 1.
 * The app fixture declares two abilities and two keys per user on its "api" client.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = 'test/fixtures/cli-app/durin.ts';

/** The fixture app's database (it reads DATABASE_URL from the environment), with its Users table, user 42 and durin's tables. */
async function appDatabase() {
  let url: string;
  let sequelize: Sequelize;
  if (testDialect() === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'durin-cli-key-'));
    const storage = join(dir, 'app.db');
    sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false });
    onTestFinished(async () => {
      await sequelize.close();
      await rm(dir, { recursive: true, force: true });
    });
    url = `sqlite:${storage}`;
  } else {
    const db = await createTestDatabase();
    onTestFinished(() => db.close());
    const target = new URL(process.env.DURIN_TEST_MYSQL_URL!);
    target.pathname = `/${db.sequelize.config.database}`;
    url = target.toString();
    sequelize = db.sequelize;
  }
  vi.stubEnv('DATABASE_URL', url);
  onTestFinished(() => {
    vi.unstubAllEnvs();
  });
  await sequelize.getQueryInterface().createTable('Users', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    username: { type: DataTypes.STRING(150), allowNull: false },
    createdAt: { type: DataTypes.DATE, allowNull: false },
    updatedAt: { type: DataTypes.DATE, allowNull: false },
  });
  await sequelize.query("INSERT INTO Users (id, username, createdAt, updatedAt) VALUES (42, 'ada', '2024-01-01', '2024-01-01')");
  expect((await cli(['--app', APP, 'migrate'])).code).toBe(0);
  expect((await cli(['--app', APP, 'create-client', 'api'])).code).toBe(0);
  return sequelize;
}

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DATABASE_URL: process.env.DATABASE_URL },
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}

describe('trpc-durin create-api-key USER NAME', () => {
  test("prints the key and nothing else; the key is the user's, named, with its abilities and lifetime", async () => {
    const sequelize = await appDatabase();
    const before = Date.now();
    const result = await cli(['--app', APP, 'create-api-key', '42', 'ci-deploy', '--abilities', 'posts:read', '--expires-in', '90d']);
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(/^\S+\n$/), stderr: '' });
    const token = result.stdout.trim();
    const [row] = await sequelize.query<{
      user_id: number | string;
      name: string;
      kind: string;
      expiry: Date | string;
      abilities: unknown;
    }>('SELECT user_id, name, kind, expiry, abilities FROM durin_authtoken WHERE token_hash = ?', {
      replacements: [hashToken(token)],
      type: QueryTypes.SELECT,
    });
    expect(row).toMatchObject({ name: 'ci-deploy', kind: 'apiKey' });
    expect(Number(row!.user_id)).toBe(42);
    const abilities = typeof row!.abilities === 'string' ? JSON.parse(row!.abilities) : row!.abilities;
    expect(abilities).toEqual(['posts:read']);
    const lifetime = new Date(row!.expiry).getTime() - before;
    expect(lifetime).toBeGreaterThan(89 * 86_400_000);
    expect(lifetime).toBeLessThan(91 * 86_400_000);
  }, 60_000);

  test('bad input is one line on stderr, nothing on stdout, exit 1', async () => {
    await appDatabase();
    const refusals: [string[], string | RegExp][] = [
      [['42'], 'trpc-durin: create-api-key needs USER and NAME, e.g. "trpc-durin create-api-key 42 ci-deploy"'],
      [['999', 'ci'], 'trpc-durin: no user with Users.id = "999"'],
      [['42', 'ci', '--abilities', 'posts:delete'], /^trpc-durin: Invalid abilities: .*posts:delete/],
      [['42', 'ci', '--expires-in', 'soon'], /^trpc-durin: invalid --expires-in "soon": expected a positive number of seconds/],
      [['42', 'ci', '--expires-in', '400d'], /^trpc-durin: Invalid expiresIn: /],
    ];
    for (const [args, message] of refusals) {
      const result = await cli(['--app', APP, 'create-api-key', ...args]);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(result.stderr.split('\n')).toHaveLength(2); // one line, then the final newline
      if (typeof message === 'string') expect(result.stderr).toBe(`${message}\n`);
      else expect(result.stderr).toMatch(message);
    }
    // Two keys per user: the third is refused.
    expect((await cli(['--app', APP, 'create-api-key', '42', 'one'])).code).toBe(0);
    expect((await cli(['--app', APP, 'create-api-key', '42', 'two'])).code).toBe(0);
    expect(await cli(['--app', APP, 'create-api-key', '42', 'three'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trpc-durin: You have too many API keys.\n',
    });
  }, 60_000);

  test('without an app, says in one line that --app is needed', async () => {
    const result = await cli(['create-api-key', '42', 'ci']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: "trpc-durin: create-api-key finds USER in your app's user model: pass --app ./path/to/durin.ts (or add a durin.config.ts)\n",
    });
  });
});
