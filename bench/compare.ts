import { readFileSync } from 'node:fs';

/**
 * Two bench/results.json files side by side: every ratio of both runs (req/s, CPU time and
 * instruction counts, per database) and how far apart they are, flagged past ±0.05. This is how
 * "two runs agree" is checked.
 *
 *   npx tsx bench/compare.ts /tmp/run1.json /tmp/run2.json
 */

interface Summary {
  spread?: Record<string, [number, number]>;
  cpuRatios?: Record<string, number>;
  instructions?: { ratios: Record<string, number> } | null;
  [ratio: string]: unknown;
}

const [fileA, fileB] = process.argv.slice(2);
if (!fileA || !fileB) throw new Error('usage: npx tsx bench/compare.ts FIRST.json SECOND.json');
const [a, b] = [fileA, fileB].map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Summary | null>);
const TOLERANCE = 0.05;
let apart = 0;
for (const dialect of ['sqlite', 'mysql']) {
  const [x, y] = [a![dialect], b![dialect]];
  if (!x || !y) continue;
  console.log(`\n${dialect}${' '.repeat(30 - dialect.length)}${'req/s'.padStart(22)}${'CPU'.padStart(22)}${'instructions'.padStart(22)}`);
  for (const ratio of Object.keys(x.spread ?? {})) {
    const cells = [
      [x[ratio] as number | undefined, y[ratio] as number | undefined],
      [x.cpuRatios?.[ratio], y.cpuRatios?.[ratio]],
      [x.instructions?.ratios[ratio], y.instructions?.ratios[ratio]],
    ].map(([first, second]) => {
      if (typeof first !== 'number' || typeof second !== 'number') return '-'.padStart(22);
      const difference = second - first;
      if (Math.abs(difference) > TOLERANCE) apart++;
      const flag = Math.abs(difference) > TOLERANCE ? ' !' : '  ';
      return `${first.toFixed(3)} ${second.toFixed(3)} ${difference >= 0 ? '+' : ''}${difference.toFixed(3)}${flag}`.padStart(22);
    });
    console.log(`${ratio.padEnd(30)}${cells.join('')}`);
  }
}
console.log(`\n${apart} figure(s) differ by more than ±${TOLERANCE} (marked !)`);
