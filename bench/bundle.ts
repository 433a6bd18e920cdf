import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * bench/server.ts bundled into one ES module file by esbuild (the transform tsx applies too), so
 * that a server child starts as plain `node` in a fraction of a second: the bench starts fresh
 * servers every round, and under valgrind (bench/instructions.ts), where node runs some 50 times
 * slower, loading TypeScript through tsx's loader would cost minutes per server. Written inside
 * node_modules so that the bundle's bare imports (sequelize, @trpc/server, …) resolve from there.
 */
export async function bundleServer(): Promise<string> {
  const outfile = path.join(here, '..', 'node_modules', '.cache', 'durin-bench', 'server.mjs');
  await build({
    entryPoints: [path.join(here, 'server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
