import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';

/**
 * Comments and test names explain themselves: someone with only this repository cannot follow a
 * pointer to a numbered section, a tracker entry or a design document kept elsewhere.
 */
const root = resolve(import.meta.dirname, '../..');
const CITATION = '§ ?[0-9]|[Ii]ssue #?[0-9]+|DESIGN\\.md|DESIGN §|STYLE\\.md';

test('no source, test, example, script or bench file cites a document outside the repository', () => {
  let found = '';
  try {
    found = execFileSync(
      'git',
      [
        'grep',
        '-nE',
        CITATION,
        '--',
        'src',
        'test',
        'example-app',
        'examples',
        'scripts',
        'bench',
        ':!bench/RESULTS.md',
        ':!test/package/selfContainedComments.unit.test.ts',
      ],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
  } catch (error) {
    // git grep exits 1 when nothing matches: that is the passing case.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  expect(found).toBe('');
});
