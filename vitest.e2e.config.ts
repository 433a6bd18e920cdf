import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The browser end-to-end test (`npm run test:e2e`): the example app in this process, driven in
 * Debian's headless Chromium through playwright-core. Kept out of `npm test` (vitest.config.ts
 * excludes test/e2e). The example app imports the package by its name; here that name points at
 * the sources, so the test needs no build.
 */
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^trpc-durin$/, replacement: source('./src/index.ts') },
      { find: /^trpc-durin\/migrations$/, replacement: source('./src/migrations/index.ts') },
      { find: /^trpc-durin\/django$/, replacement: source('./src/django/index.ts') },
      { find: /^trpc-durin\/otel$/, replacement: source('./src/otel/index.ts') },
      { find: /^trpc-durin\/client$/, replacement: source('./src/client/index.ts') },
    ],
  },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
