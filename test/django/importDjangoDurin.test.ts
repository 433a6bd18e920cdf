import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { QueryTypes } from 'sequelize';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { hashToken } from '../../src/index.js';
import { importDjangoDurin } from '../../src/migrations/index.js';
import { startTestServer, waitError } from '../helpers/server.js';
import {
  createDjangoTables,
  djangoDatetime,
  insertToken,
  scratchDatabase,
  snapshot,
  tableNames,
  type ScratchDatabase,
} from './djangoDatabase.js';
import { djangoApp, fillDjangoDatabase } from './fixture.js';
import { describeDurinSchema } from './schema.js';

/**
 * The Django import end to end, on tables built exactly as django-rest-durin 1.1.0 and Django create them:
 * after the import every live token works through a real tRPC server, the expired one is refused as
 * durin refused it, and no plaintext token is left anywhere in the database.
 */

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

/** Every value of every row of every table, as one string. */
async function everything(db: ScratchDatabase): Promise<string> {
  const parts: string[] = [];
  for (const table of await tableNames(db)) {
    parts.push(JSON.stringify(await db.sequelize.query(`SELECT * FROM \`${table}\``, { type: QueryTypes.SELECT })));
  }
  return parts.join('\n');
}

describe('importDjangoDurin', () => {
  test('every live token authenticates afterwards, the expired one is refused, no plaintext is left', async () => {
    const db = await scratchDatabase();
    const tokens = await fillDjangoDatabase(db);
    const plaintexts = Object.values(tokens).map((t) => t.token);
    expect(await everything(db)).toContain(tokens.aliceWeb.token); // the check below can see a token

    const report = await importDjangoDurin(db.sequelize);
    expect(report).toMatchObject({ outcome: 'imported', clients: 3, tokens: 5, expiredTokens: 1, userTable: 'auth_user' });
    expect(report.roundedTtls).toEqual([{ client: 'mobile', microseconds: '90500000', seconds: 91 }]);
    expect(report.migrations[0]).toBe('durin_0001_initial');

    const contents = await everything(db);
    for (const plaintext of plaintexts) {
      expect(contents).not.toContain(plaintext);
      expect(contents).toContain(hashToken(plaintext));
    }
    if (db.file) {
      // Not in the file's free pages either (secure_delete).
      const bytes = await readFile(db.file);
      for (const plaintext of plaintexts) expect(bytes.includes(plaintext)).toBe(false);
    }

    const { durin, app } = djangoApp(db);
    // Ids, users, clients, created and expiry (to the millisecond) are kept; the expired row too.
    for (const kept of Object.values(tokens)) {
      const row = await durin.models.AuthToken.findByPk(kept.id);
      expect(row).not.toBeNull();
      expect([row!.created.getTime(), row!.expiry.getTime()]).toEqual([kept.created, kept.expiry]);
    }
    const server = await startTestServer(app);
    onTestFinished(() => server.close());
    for (const live of [tokens.aliceWeb, tokens.aliceApi, tokens.bobWeb]) {
      expect(await server.client(live.token).me.query()).toMatchObject({ username: live.user, client: live.client, tokenId: live.id });
    }
    expect((await waitError(server.client(tokens.bobExpired.token).me.query())).message).toBe('The given token has expired.');
    expect((await waitError(server.client(tokens.carolWeb.token).me.query())).message).toBe('User inactive or deleted.');
    // The cached context reads the same rows.
    const cached = await startTestServer(app, { cached: true });
    onTestFinished(() => cached.close());
    expect(await cached.client(tokens.bobWeb.token).me.query()).toMatchObject({ username: 'bob' });

    // The API-key client keeps its key: apiAccess sees the imported token, with Django's dates.
    const apiKey = (await server.client(tokens.aliceWeb.token).auth.apiAccess.get.query()) as unknown as {
      client: string;
      created: Date;
      expiry: Date;
    };
    expect(apiKey).toMatchObject({ client: 'api', created: new Date(tokens.aliceApi.created), expiry: new Date(tokens.aliceApi.expiry) });

    const clients = (await durin.clients.list()).map((c) => ({
      id: Number(c.id),
      name: c.name,
      tokenTtl: Number(c.tokenTtl),
      throttleRate: c.throttleRate,
    }));
    expect(clients).toEqual([
      { id: 4, name: 'api', tokenTtl: 365 * 86_400, throttleRate: '' },
      { id: 2, name: 'mobile', tokenTtl: 91, throttleRate: '100/h' },
      { id: 1, name: 'web', tokenTtl: 86_400, throttleRate: '' },
    ]);

    // A Django password logs in through the README's authenticateUser, and the new token works.
    const login = (await server.client().auth.login.mutate({ username: 'alice', password: 'alice-password', client: 'mobile' })) as {
      token: string;
    };
    expect(await server.client(login.token).me.query()).toMatchObject({ username: 'alice', client: 'mobile' });
    expect((await waitError(server.client().auth.login.mutate({ username: 'alice', password: 'wrong', client: 'mobile' }))).message).toBe(
      'Unable to log in with provided credentials.',
    );
    expect((await waitError(server.client().auth.login.mutate({ username: 'nobody', password: 'x', client: 'mobile' }))).message).toBe(
      'Unable to log in with provided credentials.',
    );
    // New rows get ids after the imported ones.
    expect(Number((await durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(login.token) } }))!.id)).toBeGreaterThan(6);
  });

  test('the result is what "trpc-durin migrate" makes, and migrate afterwards has nothing to do', async () => {
    const imported = await scratchDatabase();
    await fillDjangoDatabase(imported);
    await importDjangoDurin(imported.sequelize);

    const migrated = await scratchDatabase();
    await createDjangoTables(migrated, { durin: false });
    expect(await cli(['migrate', '--user-table', 'auth_user'], migrated.url)).toMatchObject({ code: 0, stderr: '' });

    expect(await describeDurinSchema(imported)).toEqual(await describeDurinSchema(migrated));
    expect(await cli(['migrate', '--user-table', 'auth_user'], imported.url)).toEqual({
      code: 0,
      stdout: "No migrations to apply: durin's tables are up to date.\n",
      stderr: '',
    });
    // Django's own tables are left alone.
    expect(await tableNames(imported)).toEqual(
      ['SequelizeMeta', 'auth_user', 'django_migrations', 'durin_authtoken', 'durin_client'].sort(),
    );
  });

  test('a second run changes nothing and says so', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    const first = await importDjangoDurin(db.sequelize);
    const before = await snapshot(db);
    expect(await importDjangoDurin(db.sequelize)).toMatchObject({ outcome: 'alreadyImported', pendingMigrations: [] });
    expect(await importDjangoDurin(db.sequelize, { dryRun: true })).toMatchObject({ outcome: 'alreadyImported' });
    expect(await snapshot(db)).toEqual(before);
    expect(first.outcome).toBe('imported');
  });

  test('a dry run reports what it would do and changes nothing', async () => {
    const db = await scratchDatabase();
    await fillDjangoDatabase(db);
    const before = await snapshot(db);
    const report = await importDjangoDurin(db.sequelize, { dryRun: true });
    expect(report).toMatchObject({ outcome: 'dryRun', clients: 3, tokens: 5, expiredTokens: 1 });
    expect(report.migrations).toContain('durin_0001_initial');
    expect(await snapshot(db)).toEqual(before);
  });

  test('batches: a table larger than one batch is copied whole, in id order', async () => {
    const db = await scratchDatabase();
    const tokens = Object.values(await fillDjangoDatabase(db)).map((t) => t.token);
    // Ids whose text sorts differently from their numbers ("10" < "9").
    for (const [id, userId, clientId] of [
      [9, 3, 2],
      [10, 3, 4],
      [100, 1, 2],
    ] as const) {
      const token = randomBytes(32).toString('hex');
      await insertToken(db, {
        id,
        token,
        created: djangoDatetime(Date.now()),
        expiry: djangoDatetime(Date.now() + 60_000),
        clientId,
        userId,
      });
      tokens.push(token);
    }
    const report = await importDjangoDurin(db.sequelize, { batchSize: 2 });
    expect(report.tokens).toBe(8);
    const hashes = await db.sequelize.query<{ token_hash: string }>('SELECT token_hash FROM durin_authtoken ORDER BY id', {
      type: QueryTypes.SELECT,
    });
    expect(hashes.map((row) => row.token_hash)).toEqual(tokens.map(hashToken));
  });
});
