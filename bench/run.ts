import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { USER_COUNT } from './app.js';
import type { ServerConfig, ServerMode, ServerStats } from './server.js';
import { createDatabase, type BenchDatabase, type Dialect } from './database.js';
import { benchDjangoImport } from './djangoImport.js';
import { soak } from './soak.js';
import { benchSubscriptions } from './subscriptions.js';
import { benchTracked } from './tracked.js';
import { benchRedis, type RedisBenchResult } from './redis.js';

/**
 * `npm run bench`: autocannon (here, in the parent) against standalone tRPC servers (each mode
 * in its own child process, so load generator and server never share an event loop), the same
 * `me` query under every mode, modes interleaved over short rounds so that drift (other tenants,
 * MariaDB shared with other work) hits all of them alike; the median round per mode is reported.
 * Then the spray, on a cached server of its own. Options: see parseArgs below. See bench/RESULTS.md
 * for a run and its reading.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    duration: { type: 'string', default: '2' }, // seconds per mode per round
    warmup: { type: 'string', default: '1' }, // seconds per mode, before the first round
    connections: { type: 'string', default: '10' },
    spray: { type: 'string', default: '200000' }, // random-token requests against the cached server
    // Random tokens sent before the first RSS reading, not counted in `spray`: V8 sizes its heap to
    // the allocation rate over the first ~20 000 requests (any requests), which is not growth.
    'spray-warmup': { type: 'string', default: '20000' },
    'spray-on': { type: 'string', default: 'sqlite' }, // sqlite | mysql | all | none
    only: { type: 'string' }, // sqlite | mysql
    modes: { type: 'string', default: 'baseline,raw,token,cached,forged' },
    profile: { type: 'string', default: '' }, // modes whose server runs under node --cpu-prof
    'profile-dir': { type: 'string', default: path.join(os.tmpdir(), 'durin-bench-profiles') },
    out: { type: 'string', default: path.join(here, 'results.json') },
    'django-tokens': { type: 'string', default: '100000' }, // bench/djangoImport.ts; 0 skips it
    soak: { type: 'string', default: '60' }, // seconds of the MariaDB soak (bench/soak.ts); 0 skips it
  },
});
const ROUNDS = Number(args.rounds);
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const SPRAY = Number(args.spray);
const SPRAY_WARMUP = Number(args['spray-warmup']);
const MODES = args.modes!.split(',') as ServerMode[];
const PROFILED = new Set(args.profile!.split(',').filter(Boolean));
const MYSQL_URL = process.env.DURIN_TEST_MYSQL_URL;

const dialects: Dialect[] = (['sqlite', 'mysql'] as const).filter(
  (d) => (!args.only || args.only === d) && (d === 'sqlite' || Boolean(MYSQL_URL)),
);
const sprays = (d: Dialect) => args['spray-on'] === 'all' || args['spray-on'] === d;

// ---------------------------------------------------------------------------------------------
// Server children.

interface BenchServer {
  readonly mode: ServerMode;
  readonly url: string;
  readonly child: ChildProcess;
  call<T = unknown>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(mode: ServerMode, dialect: Dialect, database: string, label: string = mode): Promise<BenchServer> {
  const config: ServerConfig = { mode, dialect, database };
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  // One directory per server: tsx's loader thread writes a profile too, and a fixed --cpu-prof-name
  // would let it overwrite the main thread's. The main thread's is the larger file.
  if (PROFILED.has(label)) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.join(args['profile-dir']!, `${dialect}-${label}`));
  const child = fork(path.join(here, 'server.ts'), [], {
    execArgv,
    // production: tRPC leaves stack traces out of error responses, as in a deployment.
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`${label} server (${dialect}) exited with ${code}`));
    pending.clear();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${label} server (${dialect}) exited with ${code} before it was ready`)));
    child.on('message', (message: { ready?: boolean; port?: number; id?: number; result?: unknown }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) {
        pending.get(message.id)?.resolve(message.result);
        pending.delete(message.id);
      }
    });
  });
  const call = <T>(cmd: string) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`${label} server (${dialect}) has exited`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, cmd });
    });
  return {
    mode,
    url: `http://127.0.0.1:${port}`,
    child,
    call,
    async stop() {
      if (child.exitCode !== null) return;
      if (PROFILED.has(label)) {
        const { requests } = await call<ServerStats>('stats');
        console.log(`profile of ${dialect}/${label}: ${requests} requests served (bench/profile.ts FILE --per ${requests})`);
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('exit');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load.

interface Load {
  rps: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  /** The server's CPU time per request over the run (µs; all its threads, so SQLite's work too). */
  cpuUsPerRequest: number;
}

const randomToken = () => randomBytes(32).toString('hex');

/**
 * `refused`: every answer is expected to be a 4xx (the spray, and `forged`); the rate then counts
 * those, and `non2xx` counts whatever else came back.
 */
async function load(
  server: BenchServer,
  options: { token?: string; duration?: number; amount?: number; spray?: boolean; refused?: boolean },
): Promise<Load> {
  const refused = Boolean(options.spray || options.refused);
  const before = await server.call<ServerStats>('stats');
  const result = await autocannon({
    url: `${server.url}/me`,
    connections: CONNECTIONS,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration }),
    headers: options.token ? { authorization: `Token ${options.token}` } : {},
    ...(options.spray
      ? {
          requests: [
            {
              setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Token ${randomToken()}` } }),
            },
          ],
        }
      : {}),
  });
  const after = await server.call<ServerStats>('stats');
  const ok = refused ? result['4xx'] : result['2xx'];
  return {
    rps: ok / result.duration,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: refused ? result.requests.total - result['4xx'] : result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: (after.cpuUs - before.cpuUs) / Math.max(1, after.requests - before.requests),
  };
}

async function expectAnswer(server: BenchServer, token: string, status: number, message?: string) {
  const response = await fetch(`${server.url}/me`, { headers: { authorization: `Token ${token}` } });
  const body = (await response.json()) as { result?: { data: { json: { username: string } } }; error?: { json: { message: string } } };
  if (
    response.status !== status ||
    (status === 200 && body.result?.data.json.username !== 'user1') ||
    (message !== undefined && body.error?.json.message !== message)
  ) {
    throw new Error(`${server.mode} server answered ${response.status} ${JSON.stringify(body)}; expected ${status}`);
  }
}

type Counted = 'miss' | 'hit' | 'token' | 'raw' | 'keyMiss' | 'forged';

/** SQL statements per request: Sequelize's `logging` hook, and the driver's own methods. */
async function countStatements(servers: Map<ServerMode, BenchServer>, db: BenchDatabase) {
  const get = (server: BenchServer, token = db.token) =>
    fetch(`${server.url}/me`, { headers: { authorization: `Token ${token}` } }).then((r) => r.arrayBuffer());
  const out: Partial<Record<Counted, number>> & {
    /** The same, counted on the driver's methods (see ServerStats.driverStatements). */
    driver: Partial<Record<Counted, number>>;
    missStatement?: string | null;
  } = { driver: {} };
  /** Each of N requests sent alone after `prepare` (cache cleared, counters reset). */
  const perRequest = async (server: BenchServer, token: string, N: number, what: 'miss' | 'keyMiss') => {
    let logged = 0;
    let driver = 0;
    for (let i = 0; i < N; i++) {
      await server.call('clearCache');
      await server.call('resetStatements');
      await get(server, token);
      const s = await server.call<ServerStats>('stats');
      logged += s.statements;
      driver += s.driverStatements;
      if (what === 'miss') out.missStatement = s.lastStatement;
    }
    out[what] = logged / N;
    out.driver[what] = driver / N;
  };
  /** N requests in a row, counters reset once. */
  const inARow = async (server: BenchServer, token: string, N: number, what: Counted) => {
    await server.call('resetStatements');
    for (let i = 0; i < N; i++) await get(server, token);
    const s = await server.call<ServerStats>('stats');
    out[what] = s.statements / N;
    out.driver[what] = s.driverStatements / N;
  };
  const cached = servers.get('cached');
  if (cached) {
    await perRequest(cached, db.token, 20, 'miss');
    await inARow(cached, db.token, 100, 'hit');
    // An API key takes the same lookup as a session token: one statement on a miss.
    await perRequest(cached, db.apiKey, 20, 'keyMiss');
  }
  for (const mode of ['token', 'raw'] as const) {
    const server = servers.get(mode);
    if (server) await inARow(server, db.token, 50, mode);
  }
  const forged = servers.get('forged');
  if (forged) await inARow(forged, db.forged, 100, 'forged');
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const MB = 1024 * 1024;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// One dialect: checks, SQL counts, warmup, then the interleaved rounds. The spray is a phase of
// its own afterwards (see sprayPhase): its minutes of CPU, and the GC a server does once such a
// burst stops, would otherwise land between the modes being compared.

interface Prepared {
  dialect: Dialect;
  db: BenchDatabase;
  servers: Map<ServerMode, BenchServer>;
  sprayServer: BenchServer | null;
}

interface DialectResult {
  summary: {
    baseline: number;
    raw: number;
    token: number;
    cached: number;
    tokenVsRaw: number;
    cachedRatio: number;
    p99Ms: Record<string, number>;
  };
  /** Median server CPU µs per request, per mode. */
  cpuUs: Record<string, number>;
  /** Median over rounds of token/raw and cached/baseline taken within the same round. */
  paired: { tokenVsRaw: number; cachedRatio: number };
  /** Median over rounds of each telemetry mode's req/s over cached's, within the same round (when both ran). */
  telemetry: { noSdkVsCached: number | null; metricsVsCached: number | null };
  /**
   * `forged`, when run: its median req/s, the median and range of its per-round req/s over
   * `cached`'s (null without `cached`), and SQL per forged request (the higher of the two counts).
   */
  forged: {
    rps: number;
    vsCached: number | null;
    vsCachedMin: number | null;
    vsCachedMax: number | null;
    sqlPerRequest: number;
  } | null;
  sql: Awaited<ReturnType<typeof countStatements>>;
  spray: SprayResult | null;
  version: string;
}

interface SprayResult {
  /** RSS of the spray server just after it started, before any request. */
  rssColdMb: number;
  /** After the warm-up; the reference for growth. */
  rssBeforeMb: number;
  rssAfterMb: number;
  growthMb: number;
  /** RSS after the warm-up and after each chunk of the spray. */
  rssTrailMb: number[];
  /** The lowest and highest RSS sampled (every 500 ms) during each chunk: V8's GC sawtooth. */
  rssBandMb: Array<[number, number]>;
  /** RSS right after a forced full GC, after the warm-up and after the spray. */
  rssAfterGcBeforeMb: number;
  rssAfterGcAfterMb: number;
  heapTotalTrailMb: number[];
  /** Live heap (after a forced GC) after the warm-up and after the spray: retention shows here. */
  heapLiveBeforeMb: number;
  heapLiveAfterMb: number;
  /** The mode servers' RSS at the end (valid tokens only), for comparison. */
  controlRssMb: Record<string, number>;
  rps: number;
  cpuUsPerRequest: number;
  requests: number;
}

async function prepare(dialect: Dialect): Promise<Prepared> {
  const db = await createDatabase(dialect, MYSQL_URL);
  const servers = new Map<ServerMode, BenchServer>();
  try {
    const list = await Promise.all(MODES.map((mode) => startServer(mode, dialect, db.database)));
    for (const server of list) servers.set(server.mode, server);
    const sprayServer = sprays(dialect) && SPRAY > 0 ? await startServer('cached', dialect, db.database, 'spray') : null;
    return { dialect, db, servers, sprayServer };
  } catch (error) {
    await Promise.all([...servers.values()].map((s) => s.stop().catch(() => s.child.kill())));
    await db.drop();
    throw error;
  }
}

async function release(p: Prepared) {
  const all = [...p.servers.values(), ...(p.sprayServer ? [p.sprayServer] : [])];
  await Promise.all(all.map((s) => s.stop().catch(() => s.child.kill())));
  await p.db.drop();
}

async function benchDialect({ dialect, db, servers, sprayServer }: Prepared): Promise<DialectResult> {
  const started = Date.now();
  for (const server of servers.values()) await expectAnswer(server, db.token, 200);
  const forgedServer = servers.get('forged');
  if (forgedServer) await expectAnswer(forgedServer, db.forged, 401, 'Invalid token.');
  if (servers.has('cached')) await expectAnswer(servers.get('cached')!, db.apiKey, 200);
  if (sprayServer) await expectAnswer(sprayServer, randomToken(), 401);
  const sql = await countStatements(servers, db);
  // What each mode is loaded with: `forged` its bad-checksum token (every answer a 401), the rest the valid one.
  const traffic = (mode: ServerMode) => (mode === 'forged' ? { token: db.forged, refused: true } : { token: db.token });
  for (const server of servers.values()) await load(server, { ...traffic(server.mode), duration: WARMUP });

  const rps: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  const p99s: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  const cpus: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round, so no mode always goes first or always follows the same one.
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
    const line: string[] = [];
    for (const mode of order) {
      const result = await load(servers.get(mode)!, { ...traffic(mode), duration: DURATION });
      if (result.non2xx || result.errors) {
        throw new Error(`${dialect}/${mode}: ${result.non2xx} ${mode === 'forged' ? 'not 401' : 'non-2xx'}, ${result.errors} errors`);
      }
      rps[mode]!.push(result.rps);
      p99s[mode]!.push(result.p99);
      cpus[mode]!.push(result.cpuUsPerRequest);
      line.push(`${mode} ${Math.round(result.rps)}/s ${Math.round(result.cpuUsPerRequest)}µs`);
    }
    console.log(`[${dialect}] round ${r + 1}/${ROUNDS} (req/s, server CPU per request): ${line.join(', ')}`);
  }

  const ratios = (a: ServerMode, b: ServerMode) => (rps[a]?.length && rps[b]?.length ? rps[a]!.map((x, i) => x / rps[b]![i]!) : []);
  const paired = (a: ServerMode, b: ServerMode) => (ratios(a, b).length ? round(median(ratios(a, b)), 3) : NaN);
  const forgedRatios = ratios('forged', 'cached');
  const med = (mode: ServerMode) => round(median(rps[mode] ?? [NaN]));
  const summary = {
    baseline: med('baseline'),
    raw: med('raw'),
    token: med('token'),
    cached: med('cached'),
    tokenVsRaw: round(med('token') / med('raw'), 3),
    cachedRatio: round(med('cached') / med('baseline'), 3),
    p99Ms: Object.fromEntries(MODES.map((m) => [m, median(p99s[m]!)])),
  };
  console.log(`[${dialect}] measured in ${seconds(started)}`);
  return {
    summary,
    cpuUs: Object.fromEntries(MODES.map((m) => [m, round(median(cpus[m]!))])),
    paired: { tokenVsRaw: paired('token', 'raw'), cachedRatio: paired('cached', 'baseline') },
    telemetry: {
      noSdkVsCached: MODES.includes('telemetryNoSdk') ? paired('telemetryNoSdk', 'cached') : null,
      metricsVsCached: MODES.includes('telemetryMetrics') ? paired('telemetryMetrics', 'cached') : null,
    },
    forged: servers.has('forged')
      ? {
          rps: med('forged'),
          vsCached: forgedRatios.length ? paired('forged', 'cached') : null,
          vsCachedMin: forgedRatios.length ? round(Math.min(...forgedRatios), 3) : null,
          vsCachedMax: forgedRatios.length ? round(Math.max(...forgedRatios), 3) : null,
          sqlPerRequest: Math.max(sql.forged!, sql.driver.forged!),
        }
      : null,
    sql,
    spray: null,
    version: db.version,
  };
}

/**
 * `spray`: random tokens against a cached server of its own (all 401), after a warm-up, in chunks;
 * the RSS after the warm-up and after each chunk, and the live heap (after a forced GC) at both ends.
 */
async function sprayPhase({ dialect, servers, sprayServer }: Prepared): Promise<SprayResult> {
  const started = Date.now();
  const server = sprayServer!;
  const cold = (await server.call<ServerStats>('stats')).rss;
  // Warm the spray server (JIT, connection pool, heap sizing) before its first RSS reading.
  if (SPRAY_WARMUP > 0) await load(server, { amount: SPRAY_WARMUP, spray: true });
  const first = await server.call<ServerStats>('stats');
  const rss = [first.rss];
  const heapTotal = [first.heapTotal];
  // Read the RSS first, then force a GC: the reference reading is the process as traffic left it.
  const collectedBefore = await server.call<ServerStats>('gc');
  const chunks = 5;
  const chunk = Math.round(SPRAY / chunks);
  let requests = 0;
  const rpsList: number[] = [];
  const cpuList: number[] = [];
  const band: Array<[number, number]> = [];
  for (let i = 0; i < chunks; i++) {
    const amount = i === chunks - 1 ? SPRAY - chunk * (chunks - 1) : chunk;
    const sampled: number[] = [];
    const sampler = setInterval(() => void server.call<ServerStats>('stats').then((s) => sampled.push(s.rss)), 500);
    const result = await load(server, { amount, spray: true }).finally(() => clearInterval(sampler));
    band.push([round(Math.min(...sampled) / MB, 1), round(Math.max(...sampled) / MB, 1)]);
    if (result.non2xx || result.errors) throw new Error(`${dialect}/spray: ${result.non2xx} not 401, ${result.errors} errors`);
    requests += result.total;
    rpsList.push(result.rps);
    cpuList.push(result.cpuUsPerRequest);
    const memory = await server.call<ServerStats>('stats');
    rss.push(memory.rss);
    heapTotal.push(memory.heapTotal);
    console.log(
      `[${dialect}] spray ${requests}/${SPRAY}: ${Math.round(result.rps)}/s ${Math.round(result.cpuUsPerRequest)}µs, rss ${(memory.rss / MB).toFixed(1)} MB, heap ${(memory.heapUsed / MB).toFixed(1)}/${(memory.heapTotal / MB).toFixed(1)} MB`,
    );
  }
  const collectedAfter = await server.call<ServerStats>('gc');
  const controlRssMb: Record<string, number> = {};
  for (const [mode, s] of servers) controlRssMb[mode] = round((await s.call<ServerStats>('stats')).rss / MB, 1);
  console.log(`[${dialect}] spray done in ${seconds(started)}`);
  return {
    rssColdMb: round(cold / MB, 1),
    rssBeforeMb: round(rss[0]! / MB, 1),
    rssAfterMb: round(rss.at(-1)! / MB, 1),
    growthMb: round((rss.at(-1)! - rss[0]!) / MB, 1),
    rssTrailMb: rss.map((x) => round(x / MB, 1)),
    rssBandMb: band,
    rssAfterGcBeforeMb: round(collectedBefore.rss / MB, 1),
    rssAfterGcAfterMb: round(collectedAfter.rss / MB, 1),
    heapTotalTrailMb: heapTotal.map((x) => round(x / MB, 1)),
    heapLiveBeforeMb: round(collectedBefore.heapUsed / MB, 1),
    heapLiveAfterMb: round(collectedAfter.heapUsed / MB, 1),
    controlRssMb,
    rps: round(median(rpsList)),
    cpuUsPerRequest: round(median(cpuList)),
    requests,
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  // Everything starts before anything is measured: child startup (tsx, Sequelize) is CPU-heavy.
  const prepared = await Promise.all(dialects.map(prepare));
  console.log(`databases seeded (${USER_COUNT} users with tokens), ${prepared.length * MODES.length} servers up in ${seconds(started)}`);
  const results: Partial<Record<Dialect, DialectResult>> = {};
  let tracked: Awaited<ReturnType<typeof benchTracked>> | null;
  let redis: RedisBenchResult | null = null;
  try {
    for (const p of prepared) results[p.dialect] = await benchDialect(p);
    const targets = prepared.map((p) => ({ dialect: p.dialect, database: p.db.database, token: p.db.token }));
    tracked = await benchTracked({ targets, startServer, load, rounds: ROUNDS, duration: DURATION });
    for (const p of prepared) if (p.sprayServer) results[p.dialect]!.spray = await sprayPhase(p);
    // Several processes, when a Redis is configured: its own servers, on MariaDB when there is one.
    const redisUrl = process.env.DURIN_TEST_REDIS_URL;
    if (redisUrl) redis = await benchRedis({ redisUrl, mysqlUrl: MYSQL_URL, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS });
  } finally {
    await Promise.all(prepared.map(release));
  }
  const soaked = MYSQL_URL && Number(args.soak) > 0 ? await soak({ mysqlUrl: MYSQL_URL, durationSeconds: Number(args.soak) }) : null;
  const subscriptions = await benchSubscriptions(); // subscriptions, in-process, after the servers are gone

  const cpus = os.cpus();
  const all = Object.values(results);
  const worst = (pick: (r: DialectResult) => number | undefined) => {
    const xs = all.map(pick).filter((x): x is number => typeof x === 'number');
    return xs.length ? Math.max(...xs) : null;
  };
  const sprayed = all.find((r) => r.spray)?.spray ?? null;
  const djangoTokens = Number(args['django-tokens']);
  const djangoImport =
    djangoTokens > 0
      ? await benchDjangoImport({ tokens: djangoTokens, mysqlUrl: dialects.includes('mysql') ? MYSQL_URL : undefined })
      : null;
  const json = {
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGb: round(os.totalmem() / 1024 ** 3, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      sqlite: results.sqlite?.version ?? null,
      mysql: results.mysql?.version ?? null,
      loadAverage1m: round(os.loadavg()[0]!, 2),
      connections: CONNECTIONS,
      rounds: ROUNDS,
      secondsPerMode: DURATION,
    },
    sqlite: results.sqlite?.summary ?? null,
    mysql: results.mysql?.summary ?? null,
    sqlPerMiss: worst((r) => r.sql.miss),
    sqlPerHit: worst((r) => r.sql.hit),
    // An API key (apiKeys.create) looked up once, uncached: the higher of the logging and driver counts.
    sqlPerKeyMiss: worst((r) => (r.sql.keyMiss === undefined ? undefined : Math.max(r.sql.keyMiss, r.sql.driver.keyMiss!))),
    // A well-formed token with a wrong checksum against the cached app: vsCached is the lower
    // median ratio over the databases measured, [min, max] the widest range of its rounds.
    forged: forgedSummary(results),
    sprayRssGrowthMb: sprayed?.growthMb ?? null,
    djangoImport,
    soak: soaked && { requests: soaked.requests, errors5xx: soaked.errors5xx, rssStartMb: soaked.rssStartMb, rssEndMb: soaked.rssEndMb },
    subscriptions: {
      endP50Ms: subscriptions.endP50Ms,
      endP99Ms: subscriptions.endP99Ms,
      bytesPerSubscription: subscriptions.bytesPerSubscription,
    },
    tracked,
    redis,
    // The lower ratio over the databases measured, and each one's (null: the mode was not run).
    telemetry: {
      noSdkVsCached: lowest(all.map((r) => r.telemetry.noSdkVsCached)),
      metricsVsCached: lowest(all.map((r) => r.telemetry.metricsVsCached)),
      byDialect: Object.fromEntries(Object.entries(results).map(([dialect, r]) => [dialect, r.telemetry])),
    },
  };
  writeFileSync(args.out!, `${JSON.stringify(json, null, 2)}\n`);

  // The human table.
  const pad = (v: string | number, n: number) => String(v).padStart(n);
  console.log(
    `\n${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION} s per mode, median round; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `${'req/s'.padEnd(7)}${pad('baseline', 10)}${pad('raw', 8)}${pad('token', 8)}${pad('cached', 8)}${pad('token/raw', 11)}${pad('cached/base', 13)}   p99 ms ${MODES.join('/')}`,
  );
  for (const [dialect, r] of Object.entries(results)) {
    const s = r.summary;
    console.log(
      `${dialect.padEnd(7)}${pad(s.baseline, 10)}${pad(s.raw, 8)}${pad(s.token, 8)}${pad(s.cached, 8)}${pad(s.tokenVsRaw.toFixed(3), 11)}${pad(s.cachedRatio.toFixed(3), 13)}   ${MODES.map((m) => s.p99Ms[m]).join('/')}`,
    );
  }
  console.log(`server CPU µs per request (median round; lower is better; ratios as req/s would be):`);
  for (const [dialect, r] of Object.entries(results)) {
    const c = r.cpuUs;
    console.log(
      `${dialect.padEnd(7)}${pad(c.baseline ?? '-', 10)}${pad(c.raw ?? '-', 8)}${pad(c.token ?? '-', 8)}${pad(c.cached ?? '-', 8)}${pad((c.raw! / c.token!).toFixed(3), 11)}${pad((c.baseline! / c.cached!).toFixed(3), 13)}`,
    );
  }
  console.log('median of the per-round ratios (both modes measured within the same round):');
  for (const [dialect, r] of Object.entries(results)) {
    console.log(
      `${dialect.padEnd(7)}${' '.repeat(33)}${pad(r.paired.tokenVsRaw.toFixed(3), 11)}${pad(r.paired.cachedRatio.toFixed(3), 13)}`,
    );
  }
  for (const [dialect, r] of Object.entries(results)) {
    const f = r.forged;
    if (!f) continue;
    const ratio =
      f.vsCached === null
        ? 'no cached run to compare with'
        : `${f.vsCached.toFixed(3)} of cached (rounds ${f.vsCachedMin}-${f.vsCachedMax})`;
    console.log(`${dialect}: forged (well-formed, wrong checksum, all 401): ${f.rps} req/s, ${ratio}, ${f.sqlPerRequest} SQL per request`);
  }
  for (const [dialect, r] of Object.entries(results)) {
    const d = r.sql.driver;
    console.log(
      `${dialect}: SQL per request (logging hook / driver calls): miss ${r.sql.miss}/${d.miss}, hit ${r.sql.hit}/${d.hit}, token ${r.sql.token}/${d.token}, raw ${r.sql.raw}/${d.raw}, API key miss ${r.sql.keyMiss}/${d.keyMiss}, forged ${r.sql.forged}/${d.forged}`,
    );
    if (r.spray) {
      console.log(
        `${dialect}: spray: ${r.spray.requests} random tokens (all 401) after a ${SPRAY_WARMUP}-request warm-up, ~${r.spray.rps} req/s, ${r.spray.cpuUsPerRequest} µs server CPU each\n` +
          `  RSS ${r.spray.rssBeforeMb} -> ${r.spray.rssAfterMb} MB (growth ${r.spray.growthMb} MB); cold ${r.spray.rssColdMb} MB; after the warm-up and each chunk ${r.spray.rssTrailMb.join(', ')}\n` +
          `  RSS sampled during each chunk (min-max): ${r.spray.rssBandMb.map(([a, b]) => `${a}-${b}`).join(', ')} MB\n` +
          `  after a forced GC: RSS ${r.spray.rssAfterGcBeforeMb} -> ${r.spray.rssAfterGcAfterMb} MB, live heap ${r.spray.heapLiveBeforeMb} -> ${r.spray.heapLiveAfterMb} MB; V8 heap total ${r.spray.heapTotalTrailMb.join(', ')} MB\n` +
          `  RSS of the valid-token servers at the end, for comparison: ${Object.entries(r.spray.controlRssMb)
            .map(([m, x]) => `${m} ${x} MB`)
            .join(', ')}`,
      );
    }
  }
  console.log(`miss statement: ${all[0]?.sql.missStatement ?? '-'}`);
  if (soaked)
    console.log(
      `soak (MariaDB, 16 clients, ${args.soak} s): ${soaked.requests} requests, ${soaked.errors5xx} 5xx, by status ${JSON.stringify(soaked.byStatus)}, RSS ${soaked.rssStartMb} -> ${soaked.rssEndMb} MB`,
    );
  console.log(
    `subscriptions: revocation → end p50 ${subscriptions.endP50Ms} ms, p99 ${subscriptions.endP99Ms} ms (${subscriptions.ends}); ${subscriptions.bytesPerSubscription} B per open subscription beyond tRPC's own`,
  );
  console.log(`\nwrote ${path.relative(process.cwd(), args.out!)}; whole run ${seconds(started)}`);
  if (PROFILED.size) console.log(`CPU profiles in ${args['profile-dir']}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

function forgedSummary(results: Partial<Record<Dialect, DialectResult>>) {
  const byDialect = Object.fromEntries(Object.entries(results).flatMap(([dialect, r]) => (r.forged ? [[dialect, r.forged]] : [])));
  const runs = Object.values(byDialect) as Array<NonNullable<DialectResult['forged']>>;
  if (!runs.length) return null;
  const mins = runs.map((f) => f.vsCachedMin).filter((x): x is number => x !== null);
  const maxes = runs.map((f) => f.vsCachedMax).filter((x): x is number => x !== null);
  return {
    vsCached: lowest(runs.map((f) => f.vsCached)),
    sqlPerRequest: Math.max(...runs.map((f) => f.sqlPerRequest)),
    vsCachedRange: mins.length ? [Math.min(...mins), Math.max(...maxes)] : null,
    byDialect,
  };
}

function lowest(values: Array<number | null>): number | null {
  const xs = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return xs.length ? Math.min(...xs) : null;
}
