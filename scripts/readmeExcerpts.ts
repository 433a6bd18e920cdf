import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The README's code blocks that quote a file of examples/. A block is marked by the comment line
 * before it: `<!-- example: examples/standalone/src/durin.ts -->` quotes the whole file,
 * `<!-- example: examples/express/src/server.ts#server -->` the lines between `// #region server`
 * and `// #endregion server` (dedented). Region marker lines themselves are never quoted.
 *
 *   tsx scripts/readmeExcerpts.ts --write    # refills every marked block from its file
 */

const MARKER = /^<!-- example: ([^#\s]+)(?:#([\w-]+))? -->\n```(\w*)\n([\s\S]*?)```$/gm;
const REGION_LINE = /^\s*\/\/ #(?:end)?region\b/;

export interface Excerpt {
  /** `path` or `path#region`, as the marker says. */
  readonly source: string;
  /** What the README's block holds. */
  readonly quoted: string;
  /** What the file holds there now. */
  readonly actual: string;
}

/** The text of `path`'s region (or the whole file), as the README must quote it. */
export function readExcerpt(root: string, path: string, region?: string): string {
  const lines = readFileSync(resolve(root, path), 'utf8').replace(/\n+$/, '').split('\n');
  let body = lines;
  if (region) {
    const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
    const end = lines.findIndex((line) => line.trim() === `// #endregion ${region}`);
    if (start < 0 || end < start) throw new Error(`${path}: no "// #region ${region}" ... "// #endregion ${region}"`);
    body = lines.slice(start + 1, end);
  }
  body = body.filter((line) => !REGION_LINE.test(line));
  const indent = Math.min(...body.filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length));
  return body.map((line) => line.slice(indent)).join('\n') + '\n';
}

/** Every marked block of `readme`, with the file's current text beside it. */
export function readmeExcerpts(root: string, readme: string): Excerpt[] {
  return [...readme.matchAll(MARKER)].map(([, path, region, , quoted]) => ({
    source: region ? `${path}#${region}` : path!,
    quoted: quoted!,
    actual: readExcerpt(root, path!, region),
  }));
}

/** The README with every marked block refilled from its file. */
export function refillReadme(root: string, readme: string): string {
  return readme.replace(
    MARKER,
    (_, path: string, region: string | undefined, lang: string) =>
      `<!-- example: ${path}${region ? `#${region}` : ''} -->\n\`\`\`${lang}\n${readExcerpt(root, path, region)}\`\`\``,
  );
}

if (process.argv[2] === '--write') {
  const root = resolve(import.meta.dirname, '..');
  const path = resolve(root, 'README.md');
  writeFileSync(path, refillReadme(root, readFileSync(path, 'utf8')));
}
