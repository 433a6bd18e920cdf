import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads a `.cpuprofile` written by `npm run bench -- --profile token` (node --cpu-prof on a server
 * child) and prints where the time went: self time by function, and total (inclusive) time of the
 * frames whose name or file matches the patterns given after the file.
 *
 *   npx tsx bench/profile.ts /tmp/durin-bench-profiles/sqlite-token-*.cpuprofile [lookupToken build ...]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// `--per N`: also print self time per request (µs), given the N requests the server served.
// `--diff OTHER.cpuprofile --other-per M`: per-request self time of this profile minus OTHER's.
const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const [value] = argv.splice(i, 2).slice(1);
  return value;
};
const per = Number(option('--per') ?? 0);
const diffFile = option('--diff');
const otherPer = Number(option('--other-per') ?? 0);
const [file, ...patterns] = argv;
if (!file) {
  console.error('usage: tsx bench/profile.ts FILE.cpuprofile [pattern ...]');
  process.exit(1);
}
function selfTimes(path: string): Map<string, number> {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const l = label(nodes.get(id)!);
    out.set(l, (out.get(l) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return out;
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '')
    .replace(process.cwd() + path.sep, '');
  return `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') idle += dt;
  self.set(label(node), (self.get(label(node)) ?? 0) + dt);
  // Inclusive: count each distinct frame label once per sample along its stack.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
  }
});

const busy = total - idle;
const pct = (x: number) => `${((100 * x) / busy).toFixed(1).padStart(5)}%`;
console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy)`);
console.log('\nself time, top 30:');
for (const [l, t] of [...self]
  .filter(([l]) => !l.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 30)) {
  console.log(`${pct(t)}  ${l}`);
}
const groups: Array<[string, RegExp]> = [
  ['sequelize (all)', /sequelize\//],
  ['sqlite3 / mysql2 driver', /(sqlite3|mysql2)\//],
  ['@trpc/server', /@trpc\/server\//],
  ['superjson', /superjson\//],
  ['memoizee', /(memoizee|lru-queue|event-emitter|es5-ext)\//],
  ['durin src/', /^(?!.*node_modules).*src\//],
  ['garbage collector', /^\(garbage collector\)/],
];
console.log('\nself time by package:');
for (const [name, re] of groups) {
  let t = 0;
  for (const [l, x] of self) if (re.test(l)) t += x;
  console.log(`${pct(t)}  ${name}`);
}
if (patterns.length) {
  console.log('\ninclusive time of matching frames:');
  const rows = [...inclusive]
    .filter(([l]) => patterns.some((p) => l.includes(p)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40);
  for (const [l, t] of rows) console.log(`${pct(t)}  ${l}`);
}

if (per > 0) {
  console.log(`\nbusy µs per request: ${(busy / per).toFixed(1)}`);
}
if (diffFile && per > 0 && otherPer > 0) {
  const mine = selfTimes(file);
  const other = selfTimes(diffFile);
  const keys = new Set([...mine.keys(), ...other.keys()]);
  const rows = [...keys]
    .filter((k) => !k.startsWith('(idle)'))
    .map((k) => [k, (mine.get(k) ?? 0) / per - (other.get(k) ?? 0) / otherPer] as const)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 40);
  const total = [...keys]
    .filter((k) => !k.startsWith('(idle)'))
    .reduce((acc, k) => acc + (mine.get(k) ?? 0) / per - (other.get(k) ?? 0) / otherPer, 0);
  console.log(`\nself µs per request, this minus ${path.basename(diffFile)} (total ${total.toFixed(1)} µs):`);
  for (const [k, d] of rows) console.log(`${d.toFixed(2).padStart(8)}  ${k}`);
}
