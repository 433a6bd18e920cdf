import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * What `npm pack` ships: every entry point present, nothing but dist/ and the README,
 * source maps that carry their sources (src/ is not shipped), and no import in dist/ of a package
 * the installer would not have. Needs the build (`npm test` builds first). publint and
 * @arethetypeswrong/cli check the rest in CI (scripts/check-pack.sh).
 */

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  main: string;
  types: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  engines: { node: string };
  repository?: unknown;
  homepage?: string;
  bugs?: unknown;
};
let files: string[] = [];

const normal = (path: string) => path.replace(/^\.\//, '');
const BARE_IMPORT =
  /(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"]([^'"./][^'"]*)['"]|\bimport\(\s*['"]([^'"./][^'"]*)['"]\s*\)|^import\s+['"]([^'"./][^'"]*)['"]/gm;
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

describe('the packed package', () => {
  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: root, encoding: 'utf8' })) as [
      { files: { path: string }[] },
    ];
    files = packed.files.map((file) => file.path);
  });

  it('holds every entry point of exports, main, types and bin', () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const entry of Object.values(pkg.exports)) targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
    for (const target of targets) expect(files, target).toContain(normal(target));
  });

  it('ships dist/, the README and package.json only', () => {
    expect(files.filter((file) => !file.startsWith('dist/') && !['README.md', 'package.json', 'LICENSE'].includes(file))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('has source maps that carry their sources, and no declaration maps into an unshipped src/', () => {
    const maps = files.filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(resolve(root, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(
        sourcesContent!.every((text) => typeof text === 'string' && text.length > 0),
        map,
      ).toBe(true);
    }
    expect(files.filter((file) => file.endsWith('.d.ts.map'))).toEqual([]);
  });

  it('imports only Node built-ins, its dependencies and its peers', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const strays: string[] = [];
    for (const file of files.filter((path) => path.endsWith('.js'))) {
      for (const match of readFileSync(resolve(root, file), 'utf8').matchAll(BARE_IMPORT)) {
        const specifier = (match[1] ?? match[2] ?? match[3])!;
        if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        if (!allowed.has(packageName(specifier))) strays.push(`${file}: ${specifier}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('leaves the database drivers to the app: mysql2 and sqlite3 are optional peers', () => {
    for (const driver of ['mysql2', 'sqlite3']) {
      expect(pkg.dependencies[driver], driver).toBeUndefined();
      expect(pkg.peerDependencies[driver], driver).toBeDefined();
      expect(pkg.peerDependenciesMeta[driver]?.optional, driver).toBe(true);
    }
  });

  it('asks for the Node.js that has crypto.hash (20.12)', () => {
    expect(pkg.engines.node).toBe('>=20.12.0');
  });

  it("resolves every link of the README from the npm page: relative ones to packed files, the rest to the repository's files", () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    const relative = targets.filter((target) => !/^(#|[a-z][a-z0-9+.-]*:)/i.test(target));
    for (const target of relative) expect(files, `README link ${target}`).toContain(normal(target.split('#')[0]!));
    const repository = 'https://github.com/trpc-durin/trpc-durin';
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${repository}.git` });
    expect(pkg.homepage).toBe(`${repository}#readme`);
    expect(pkg.bugs).toEqual({ url: `${repository}/issues` });
    const inRepository = targets.filter((target) => target.startsWith(`${repository}/`) && !target.endsWith('/issues'));
    expect(inRepository.length).toBeGreaterThan(0);
    for (const target of inRepository) {
      const path = target.replace(/^.*?\/(?:tree|blob)\/main\//, '').split('#')[0]!;
      expect(existsSync(resolve(root, path)), `README link ${target}`).toBe(true);
    }
  });
});
