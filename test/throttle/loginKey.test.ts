import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { keyFromWeight, readColumnCollation, weightSql } from '../../src/throttle/loginKey.js';
import { createTestApp, hashPassword, type TestApp } from '../helpers/app.js';
import { useTestServer, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/**
 * The login throttle counts a name as the username column compares it, so a spelling the column
 * equates with a throttled name is throttled too, and nothing else is merged. The classes checked
 * here come from the server itself (GROUP BY under each collation), never from a list of spellings.
 */

// Every BMP code point but NUL (refused by login's input) and the surrogates (not characters).
const CODE_POINTS = Array.from({ length: 0xffff }, (_, i) => i + 1).filter((cp) => cp < 0xd800 || cp > 0xdfff);
// Names of more than one character: expansions (ß = ss), trailing spaces and space-like characters, ignorables.
const NAMES = [
  'jose',
  'jo\u00dfe',
  'josse',
  'jose ',
  'jose\u3000',
  'jose\u00a0',
  'jo\u200bse',
  'jose\u200b',
  'Jos\u00e9',
  'user\u0661',
  'user1',
];

if (process.env.DURIN_TEST_DB === 'mysql')
  describe('the key equates exactly what each case-insensitive utf8mb4 collation equates', () => {
    let app: TestApp;
    let collations: string[] = [];
    beforeAll(async () => {
      app = await createTestApp();
      const db = app.db.sequelize;
      const [rows] = await db.query("SHOW COLLATION WHERE Charset = 'utf8mb4'");
      collations = (rows as Array<{ Collation: string }>).map((row) => row.Collation).filter((name) => /_ci$/.test(name));
      await db.query('CREATE TABLE code_point (id INT PRIMARY KEY, c VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL)');
      const all = [...CODE_POINTS.map((cp) => String.fromCharCode(cp)), ...NAMES];
      for (let i = 0; i < all.length; i += 8000) {
        const batch = all.slice(i, i + 8000);
        await db.query(`INSERT INTO code_point VALUES ${batch.map((_, j) => `(${i + j}, ?)`).join(',')}`, { replacements: batch });
      }
    }, 60_000);
    afterAll(() => app.close());

    test('every code point, and names of several characters', async () => {
      expect(collations).toContain('utf8mb4_general_ci');
      const db = app.db.sequelize;
      const problems: string[] = [];
      for (const [index, collation] of collations.entries()) {
        // A username column in this collation: the product reads it as it reads the user table's.
        const table = `name_${index}`;
        await db.query(`CREATE TABLE ${table} (name VARCHAR(150) CHARACTER SET utf8mb4 COLLATE ${collation})`);
        const column = (await readColumnCollation(db, { schema: null, table, column: 'name' }))!;
        expect(column.collation).toBe(collation);
        const [groups] = await db.query(`SELECT GROUP_CONCAT(id) AS ids FROM code_point GROUP BY c COLLATE ${collation}`);
        const [weights] = await db.query(`SELECT id, ${weightSql(column, 'c')} AS weight FROM code_point`);
        const keyOf = new Map(
          (weights as Array<{ id: number; weight: string }>).map((row) => [row.id, keyFromWeight(row.weight, column.padWeight)]),
        );
        const seen = new Map<string, string>();
        for (const { ids } of groups as Array<{ ids: string }>) {
          const members = ids.split(',').map(Number);
          const keys = new Set(members.map((id) => keyOf.get(id)!));
          // One server class, one key...
          if (keys.size !== 1) problems.push(`${collation}: ids ${ids} are equal but get ${keys.size} keys`);
          // ...and no key shared by two classes.
          for (const key of keys) {
            if (seen.has(key)) problems.push(`${collation}: ids ${ids} and ${seen.get(key)} are different but share a key`);
            seen.set(key, ids);
          }
        }
      }
      expect(problems.slice(0, 20)).toEqual([]);
    }, 60_000);
  });

describe('login attempts through a spelling the username column equates share one budget', () => {
  let app: TestApp;
  let server: TestServer;
  const env = useTestServer();
  beforeAll(async () => {
    ({ app, server } = env);
    const db = app.db.sequelize;
    if (app.db.dialect === 'mysql') {
      // MariaDB's default utf8mb4 collation, which equates ß with s.
      await db.query('ALTER TABLE app_user CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci');
    } else {
      // SQLite equates names only through the column's collation: NOCASE equates ASCII case.
      await db.query('DROP TABLE app_user');
      await db.query(
        'CREATE TABLE app_user (id INTEGER PRIMARY KEY AUTOINCREMENT, username VARCHAR(150) NOT NULL UNIQUE COLLATE NOCASE, ' +
          'passwordHash VARCHAR(64) NOT NULL, isActive TINYINT(1) NOT NULL DEFAULT 1, joinedAt DATETIME)',
      );
    }
  });

  test('ten wrong passwords for jose, then the right one through another spelling: still 429', async () => {
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const name = `jose${unique('x').replace(/\W/g, '')}`;
    await app.User.create({ username: name, passwordHash: hashPassword('right') });
    const other = app.db.dialect === 'mysql' ? name.replace('s', '\u00df') : name.toUpperCase();
    // The database does log in the other spelling: it is the same account.
    expect((await app.User.findOne({ where: { username: other } }))?.get('username')).toBe(name);
    const attempt = (username: string, password: string) => server.raw('auth.login', { body: { username, password, client } });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt(name, 'wrong')).status);
    expect(statuses).toEqual(Array(10).fill(400));
    expect((await attempt(name, 'right')).status).toBe(429);
    expect((await attempt(other, 'right')).status).toBe(429);
  });

  test('a name the column does not equate keeps its own budget', async () => {
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const name = `ann${unique('x').replace(/\W/g, '')}`;
    await app.User.create({ username: name, passwordHash: hashPassword('right') });
    for (let i = 0; i < 10; i++) await server.raw('auth.login', { body: { username: `${name}z`, password: 'wrong', client } });
    expect((await server.raw('auth.login', { body: { username: name, password: 'right', client } })).status).toBe(200);
  });
});
