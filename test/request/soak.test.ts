import { expect, test } from 'vitest';
import { soak } from '../../bench/soak.js';

/**
 * the soak (bench/soak.ts, 60 s on MariaDB in `npm run bench`) at CI length: a mixed load
 * of login, me, refresh, sessions.list, logout and logoutAll from 16 concurrent clients, 4 users
 * (so concurrent logins of one (user, client) are frequent), against a server in its own process,
 * ends with no 5xx.
 */
test('16 concurrent clients for 4 s: no 5xx', { timeout: 60_000 }, async () => {
  const mysqlUrl = process.env.DURIN_TEST_DB === 'mysql' ? process.env.DURIN_TEST_MYSQL_URL : undefined;
  const result = await soak({ mysqlUrl, durationSeconds: 4, users: 4 });
  expect(result.requests).toBeGreaterThan(100);
  expect(result.byStatus['200']).toBeGreaterThan(0);
  expect(result.errors5xx).toBe(0);
});
