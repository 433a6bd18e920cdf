import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { CLIENT_NAME, RAW_SQL, createBenchDurin, defineUser, sha256 } from './app.js';

/**
 * In-process companion to run.ts for profiling work (not part of `npm run bench`): the CPU time per
 * call of the authentication step alone, without HTTP or tRPC, on a shared machine where wall-clock
 * throughput is noisy: 15 interleaved rounds, the minimum and the median CPU µs per call.
 * `npx tsx bench/micro.ts [sqlite|mysql] [iterations per round] [raw,token,cached]`.
 */

// tsx turns on source-mapped stack traces; a compiled deployment runs without them. Sequelize's
// SQLite query reads `new Error().stack` on every query (sequelize/lib/dialects/sqlite/query.js,
// `errForStack.stack`), which costs far more with source maps: keep them off, as in production.
process.setSourceMapsEnabled(false);

const dialect = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'mysql';
const iterations = Number(process.argv[3] ?? 2000);
const file = path.join(os.tmpdir(), `durin-micro-${randomBytes(4).toString('hex')}.sqlite`);
let dropName: string | null = null;
let sequelize: Sequelize;
if (dialect === 'sqlite') {
  sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
} else {
  const url = process.env.DURIN_TEST_MYSQL_URL;
  if (!url) throw new Error('mysql needs DURIN_TEST_MYSQL_URL');
  dropName = `durin_micro_${randomBytes(4).toString('hex')}`;
  const admin = new Sequelize(url, { logging: false });
  await admin.query(`CREATE DATABASE \`${dropName}\``);
  await admin.close();
  const u = new URL(url);
  u.pathname = `/${dropName}`;
  sequelize = new Sequelize(u.toString(), { logging: false, pool: { max: 5 } });
}
const User = defineUser(sequelize);
const durin = createBenchDurin(sequelize, User);
await User.sync();
await durin.sync();
await durin.clients.create({ name: CLIENT_NAME });
const user = await User.create({ username: 'user1', passwordHash: sha256('x'), isActive: true, joinedAt: new Date() });
const { token } = await durin.tokens.issue(user, CLIENT_NAME);
const headers = { authorization: `Token ${token}` };

const cases: Record<string, () => Promise<unknown>> = {
  raw: async () => {
    const header = headers.authorization;
    const rows = await sequelize.query(RAW_SQL, { bind: [sha256(header.slice(6))], type: QueryTypes.SELECT });
    if (!rows[0]) throw new Error('no row');
  },
  token: async () => {
    const ctx = await durin.createDurinContext({ headers });
    if (!ctx.user) throw new Error(JSON.stringify(ctx.durin.failure));
  },
  cached: async () => {
    const ctx = await durin.createCachedDurinContext({ headers });
    if (!ctx.user) throw new Error('no user');
  },
};

async function measure(name: string, fn: () => Promise<unknown>, n: number, concurrency = 10) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await fn();
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { name, cpuUsPerCall: (cpu.user + cpu.system) / n, wallUsPerCall: (wall * 1000) / n };
}

const selected = process.argv[4] ? process.argv[4].split(',') : Object.keys(cases);
const ROUNDS = 15;
for (const name of selected) await measure(name, cases[name]!, 3000); // warm up
const samples: Record<string, number[]> = Object.fromEntries(selected.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of selected) {
    const r = await measure(name, cases[name]!, name === 'cached' ? iterations * 5 : iterations);
    samples[name]!.push(r.cpuUsPerCall);
  }
}
// On a shared machine the minimum over short interleaved rounds is the least disturbed estimate.
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
for (const name of selected) {
  const xs = sorted(samples[name]!);
  console.log(`${name.padEnd(8)} CPU µs per call: min ${xs[0]!.toFixed(1)}, median ${xs[xs.length >> 1]!.toFixed(1)}`);
}
await sequelize.close();
if (dropName) {
  const admin = new Sequelize(process.env.DURIN_TEST_MYSQL_URL!, { logging: false });
  await admin.query(`DROP DATABASE \`${dropName}\``);
  await admin.close();
}
rmSync(file, { force: true });
