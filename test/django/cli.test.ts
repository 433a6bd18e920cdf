import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { createDjangoTables, insertClient, scratchDatabase, snapshot } from './djangoDatabase.js';
import { fillDjangoDatabase } from './fixture.js';
import type * as SourceMigrations from '../../src/migrations/index.js';

/** `trpc-durin import-django` through `runCli`, on the Django fixture. */

async function cli(argv: string[], url: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DATABASE_URL: url },
  });
  return { code, stdout, stderr };
}

const ROUNDING = 'Note: client mobile had a token TTL of 90.5 s, not a whole number of seconds;';

describe('trpc-durin import-django', () => {
  test('--dry-run prints what it would change and changes nothing; then the import; then a second run', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    const before = await snapshot(db);
    const dry = await cli(['import-django', '--dry-run'], db.url);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('');
    expect(dry.stdout.split('\n')).toEqual([
      expect.stringMatching(
        /^Dry run, nothing was changed: the import would convert 3 clients and 5 tokens \(1 expired\) of users in auth_user, replacing every token with its SHA-256 digest, and apply durin_0001_initial(, \w+)*\.$/,
      ),
      `${ROUNDING} it would become 91 s (rounded up).`,
      '',
    ]);
    expect(await snapshot(db)).toEqual(before);

    const run = await cli(['import-django'], db.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      "Imported django-rest-durin's tables: 3 clients, 5 tokens (1 expired, kept and refused on use as durin refused them) of users in auth_user; every token is now stored as its SHA-256 digest.",
    );
    expect(lines[1]).toBe('Applied durin_0001_initial.');
    expect(lines.at(-1)).toBe(`${ROUNDING} it is now 91 s (rounded up).`);

    const after = await snapshot(db);
    expect(await cli(['import-django'], db.url)).toEqual({
      code: 0,
      stdout: "Nothing to import: durin's tables are trpc-durin's already (no plaintext tokens); nothing was changed.\n",
      stderr: '',
    });
    expect(await snapshot(db)).toEqual(after);

    // The old tables of an import stopped right after its swap: a later run drops them.
    await db.sequelize.query('CREATE TABLE durin_authtoken__django (id INTEGER PRIMARY KEY, token VARCHAR(64) NOT NULL)');
    expect((await cli(['import-django', '--dry-run'], db.url)).stdout).toBe(
      'Would drop durin_authtoken__django: the old tables, with plaintext tokens, of an import stopped right after its swap.\n' +
        "Nothing to import: durin's tables are trpc-durin's already (no plaintext tokens); nothing was changed.\n",
    );
    expect((await cli(['import-django'], db.url)).stdout).toBe(
      'Dropped durin_authtoken__django: the old tables, with plaintext tokens, of an import stopped right after its swap.\n' +
        "Nothing to import: durin's tables are trpc-durin's already (no plaintext tokens).\n",
    );
    expect(await snapshot(db)).toEqual(after);
  });

  test("a database that is not durin's: one line, exit 1, nothing changed", async () => {
    const db = await scratchDatabase();
    await createDjangoTables(db, { durin: false });
    const before = await snapshot(db);
    expect(await cli(['import-django', '--dry-run'], db.url)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trpc-durin: not a django-rest-durin database: table durin_client does not exist; nothing was changed\n',
    });
    expect((await cli(['import-django'], db.url)).code).toBe(1);
    expect(await snapshot(db)).toEqual(before);
  });

  test('rows the target cannot hold: one line naming them, exit 1', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    await insertClient(db, 8, 'fortnightly', 1_000_000n, '5/fortnight');
    const result = await cli(['import-django', '--user-table', 'auth_user'], db.url);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'trpc-durin: cannot import, the target schema cannot hold these rows: durin_client id 8: throttle_rate "5/fortnight" is not a rate; nothing was changed\n',
    });
  });

  test('the built bin runs it as a separate process', async () => {
    const bin = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
    if (!existsSync(bin)) throw new Error('dist/ is missing: run "npm run build" first');
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'import-django'], {
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(stdout).toMatch(/^Imported django-rest-durin's tables: 3 clients, 5 tokens/);
    const { importDjangoDurin } = (await import('../../dist/migrations/index.js')) as typeof SourceMigrations;
    expect(await importDjangoDurin(db.sequelize)).toMatchObject({ outcome: 'alreadyImported' });
  });

  test('help lists the command and its flags', async () => {
    const { stdout } = await cli(['help', 'import-django'], 'sqlite:unused.db');
    expect(stdout).toContain('trpc-durin import-django [--dry-run] [--user-table NAME] [--user-key NAME]');
  });
});
