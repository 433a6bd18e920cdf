import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { foldLoginName } from '../../src/throttle/loginKey.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/**
 * every spelling the database's collation equates with a username shares that
 * username's login budget. The probe's list: zero-width characters, NUL, ß/ẞ, ø, dotless ı, and more.
 */
const SPELLINGS: Array<[string, string[]]> = [
  [
    'alice',
    [
      'ALICE',
      'Álice',
      'al\u200bice',
      'alice\u200b',
      '\u200dalice',
      'al\u2060ice',
      'al\ufeffice',
      'al\u0000ice',
      'al\u0001ice',
      'ali\u00adce',
      'ａlice',
    ],
  ],
  ['strasse', ['straße', 'STRAẞE', 'STRASSE']],
  ['soren', ['søren', 'SØREN']],
  ['ivan', ['ıvan', 'İvan']],
  ['aeon', ['æon']],
  ['oeuvre', ['œuvre']],
  ['dorde', ['đorđe']],
  ['lodz', ['łodz', 'Łódź']],
  ['hanna', ['ħanna']],
  ['fiij', ['ﬁĳ']],
  ['a b', ['a\u00a0b']],
];

describe('the login fold', () => {
  test.each(SPELLINGS)('every listed spelling of %j folds to the same key', (name, spellings) => {
    for (const spelling of spellings) expect(foldLoginName(spelling)).toBe(foldLoginName(name));
  });
});

// MySQL only: SQLite compares names byte for byte, so there is nothing to equate.
if (process.env.DURIN_TEST_DB === 'mysql')
  describe('the fold equates at least what the server collations equate', () => {
    let app: TestApp;
    let collations: string[] = [];
    beforeAll(async () => {
      app = await createTestApp();
      const [rows] = await app.db.sequelize.query("SHOW COLLATION WHERE Charset = 'utf8mb4'");
      collations = (rows as Array<{ Collation: string }>).map((row) => row.Collation).filter((name) => /_(ci|ai_ci)$/.test(name));
    });
    afterAll(() => app.close());

    test('for every utf8mb4 case-insensitive collation on this server', async () => {
      expect(collations).toContain('utf8mb4_general_ci');
      const missed: string[] = [];
      for (const collation of collations) {
        for (const [name, spellings] of SPELLINGS) {
          for (const spelling of [...spellings, `${name}x`]) {
            const [rows] = await app.db.sequelize.query(
              `SELECT CAST(? AS CHAR CHARACTER SET utf8mb4) COLLATE ${collation} = CAST(? AS CHAR CHARACTER SET utf8mb4) AS same`,
              { replacements: [name, spelling] },
            );
            const same = Number((rows as Array<{ same: number }>)[0]!.same) === 1;
            if (same && foldLoginName(spelling) !== foldLoginName(name)) missed.push(`${collation}: ${JSON.stringify(spelling)}`);
          }
        }
      }
      expect(missed).toEqual([]);
    });
  });

describe('login attempts with equated spellings share one budget', () => {
  let app: TestApp;
  let server: TestServer;
  beforeAll(async () => {
    app = await createTestApp({ settings: { loginThrottleRate: '3/m' } });
    // The private test server starts without Debian's config (latin1): production tables are utf8mb4.
    if (app.db.dialect === 'mysql')
      await app.db.sequelize.query('ALTER TABLE app_user CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci');
    server = await startTestServer(app);
  });
  afterAll(async () => {
    await server.close();
    await app.close();
  });

  test('straße, STRAẞE, stra\\u200bsse and stra\\u0000sse count against "strasse"', async () => {
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const username = `strasse${unique('x').replace(/\W/g, '')}`;
    await app.createUser({ username });
    const attempt = (spelling: string) => server.raw('auth.login', { body: { username: spelling, password: 'wrong', client } });
    const statuses: number[] = [];
    for (const spelling of [
      username.replace('ss', 'ß'),
      username.replace('strasse', 'STRAẞE'),
      username.replace('ss', 's\u200bs'),
      username.replace('ss', 's\u0000s'),
      username,
    ]) {
      statuses.push((await attempt(spelling)).status);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
  });
});
