import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeExcerpts } from '../../scripts/readmeExcerpts.js';

/**
 * The README's install snippets are files of examples/, which CI type-checks and runs
 * (scripts/examples.sh), so the README cannot drift from code that works.
 */

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const EXAMPLES = ['standalone', 'express', 'fastify', 'fetch'];

describe('README excerpts of examples/', () => {
  const excerpts = readmeExcerpts(root, readme);

  it('quotes every adapter example', () => {
    for (const example of EXAMPLES) {
      expect(
        excerpts.some((excerpt) => excerpt.source.startsWith(`examples/${example}/`)),
        example,
      ).toBe(true);
    }
  });

  it.each(excerpts.map((excerpt) => [excerpt.source, excerpt] as const))(
    '%s is quoted exactly (npx tsx scripts/readmeExcerpts.ts --write)',
    (_, excerpt) => {
      expect(excerpt.quoted).toBe(excerpt.actual);
    },
  );

  it.each(['src/models/User.ts', 'src/durin.ts', 'src/setup.ts', 'tsconfig.json'])('every example has the same %s', (file) => {
    const [first, ...rest] = EXAMPLES.map((example) => readFileSync(resolve(root, 'examples', example, file), 'utf8'));
    for (const text of rest) expect(text).toBe(first);
  });
});

describe("the README's own snippets", () => {
  const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).join('\n');

  it("key nothing on a user's `id`: the primary key may be another column (ctx.auth.userId is the key)", () => {
    expect(code).not.toMatch(/\buser\??\.id\b/);
    expect(code).toContain('ctx.auth.userId');
  });

  it("pass ws's WebSocket to createWSClient, which Node 20 lacks", () => {
    const call = /createWSClient\(\{[\s\S]*?\}\);/.exec(code)?.[0];
    expect(call).toMatch(/\bWebSocket: WebSocket\b/);
    expect(code).toMatch(/import \{ WebSocket \} from 'ws';/);
  });
});
