import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

/**
 * Comments and test names explain themselves: someone with only this repository cannot follow a
 * pointer to a numbered section, a tracker entry or a design document kept elsewhere. The scan reads
 * the files themselves (not git), so it also runs on a copy of the tree that is not a repository.
 */
const root = resolve(import.meta.dirname, '../..');
const CITATION = /§ ?[0-9]|[Ii]ssue #?[0-9]+|DESIGN\.md|DESIGN §|STYLE\.md/;
const FOLDERS = ['src', 'test', 'example-app', 'examples', 'scripts', 'bench'];
const CODE = /\.(ts|js|mjs|cjs|sh|html|css)$/;
const SKIPPED =
  /(^|\/)(node_modules|dist|data)(\/|$)|^example-app\/public\/app\.js$|^test\/package\/selfContainedComments\.unit\.test\.ts$/;

test('no source, test, example, script or bench file cites a document outside the repository', () => {
  const found: string[] = [];
  for (const folder of FOLDERS) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !CODE.test(entry.name)) continue;
      const path = relative(root, join(entry.parentPath, entry.name));
      if (SKIPPED.test(path)) continue;
      readFileSync(join(root, path), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (CITATION.test(line)) found.push(`${path}:${index + 1}: ${line.trim()}`);
        });
    }
  }
  expect(found).toEqual([]);
});
