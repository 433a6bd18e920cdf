import { expect, test } from 'vitest';
import { soak } from '../../bench/soak.js';

/**
 * the soak (bench/soak.ts, 60 s on MariaDB in `npm run bench`) at CI length: a mixed load
 * of login, me, refresh, sessions.list, logout and logoutAll from 16 concurrent clients, 4 users
 * (so concurrent logins of one (user, client) are frequent), against a server in its own process,
 * ends with no 5xx, and reports the live heap after a forced GC before the load and after each phase.
 */
test('16 concurrent clients for 2 × 2 s: no 5xx, and the heap read after a forced GC at each end', { timeout: 60_000 }, async () => {
  const mysqlUrl = process.env.DURIN_TEST_DB === 'mysql' ? process.env.DURIN_TEST_MYSQL_URL : undefined;
  const result = await soak({ mysqlUrl, durationSeconds: 2, users: 4 });
  expect(result.requests).toBeGreaterThan(100);
  expect(result.byStatus['200']).toBeGreaterThan(0);
  expect(result.errors5xx).toBe(0);
  expect(result.points.map((point) => point.at)).toEqual(['start', 'after 2 s', 'after 4 s']);
  expect(result.heapAfterGcMb).toEqual([result.points[1]!.heapAfterGcMb, result.points[2]!.heapAfterGcMb]);
  expect(result.heapAfterGcMb[0]).toBeGreaterThan(0);
});
