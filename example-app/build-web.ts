import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the web page's script (web/main.ts with @trpc/client, superjson and trpc-durin/client)
 * into public/app.js. The server runs this at start; `npm run build:web` runs it alone.
 */

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ENTRY = fileURLToPath(new URL('./web/main.ts', import.meta.url));
// The page takes `trpc-durin/client` from this repository's sources, as the end-to-end test takes
// the rest of the package: the page then always runs the client being worked on, built or not.
const CLIENT_SOURCE = fileURLToPath(new URL('../src/client/index.ts', import.meta.url));

export async function buildWeb(): Promise<string> {
  const outfile = join(PUBLIC_DIR, 'app.js');
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    alias: { 'trpc-durin/client': CLIENT_SOURCE },
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`built ${await buildWeb()}`);
}
