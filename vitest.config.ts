import { defineConfig } from 'vitest/config';

/**
 * Two database projects: every database test runs on SQLite (in memory) and, when
 * DURIN_TEST_MYSQL_URL is set, on that MySQL/MariaDB server too. Pure tests (parsers, crypto,
 * settings) run once, in `unit`. What only MySQL has (replication, its foreign-key refusals:
 * `*.mysql.test.ts`) runs in `mysql` only; what only makes sense on SQLite (`*.sqlite.test.ts`,
 * such as the example app, which keeps its own SQLite file) runs in `sqlite` only. A database
 * split is a file name, never a skipped test.
 */
const databaseTests = ['test/**/*.test.ts'];
const unitTests = ['test/**/*.unit.test.ts'];
const exclude = [...unitTests, 'test/e2e/**', 'node_modules/**'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The SSE subscription tests use tRPC's httpSubscriptionLink, which needs EventSource (global from Node 22).
    execArgv: ['--experimental-eventsource', '--no-warnings=ExperimentalWarning'],
    projects: [
      { extends: true, test: { name: 'unit', include: unitTests } },
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: databaseTests,
          exclude: [...exclude, 'test/**/*.mysql.test.ts'],
          env: { DURIN_TEST_DB: 'sqlite' },
        },
      },
      ...(process.env.DURIN_TEST_MYSQL_URL
        ? [
            {
              extends: true as const,
              test: {
                name: 'mysql',
                include: databaseTests,
                exclude: [...exclude, 'test/**/*.sqlite.test.ts'],
                env: { DURIN_TEST_DB: 'mysql' },
              },
            },
          ]
        : []),
    ],
  },
});
