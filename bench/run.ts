import autocannon from 'autocannon';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
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
import { bundleServer } from './bundle.js';
import { connectServer } from './channel.js';
import { countInstructions, instructionCases } from './instructions.js';

/**
 * `npm run bench`: autocannon (here, in the parent) against standalone tRPC servers (each mode
 * in its own child process, so load generator and server never share an event loop), the same
 * `me` query under every mode. Every round starts a fresh server per mode, warms each, then
 * measures each for `duration` seconds in an order rotated per round; each mode's median round is
 * reported with its range, and each ratio as the median of its per-round ratios with their range.
 * Then the instruction counts under callgrind (bench/instructions.ts), the figure that repeats
 * from run to run on a shared machine; then the spray, tracking, Redis, soak and the rest.
 * Options: see parseArgs below. See bench/RESULTS.md for runs and their reading.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    duration: { type: 'string', default: '2' }, // seconds per mode per round
    warmup: { type: 'string', default: '1' }, // seconds per mode, before the first round
    connections: { type: 'string', default: '10' },
    spray: { type: 'string', default: '200000' }, // random-token requests against the cached server
    // Random tokens sent before the first RSS reading, not counted in `spray`: V8 sizes its heap to
    // the allocation rate over the first ~20 000 requests (any requests), which is not growth.
    'spray-warmup': { type: 'string', default: '20000' },
    'spray-on': { type: 'string', default: 'sqlite' }, // sqlite | mysql | all | none
    only: { type: 'string' }, // sqlite | mysql
    modes: {
      type: 'string',
      default: 'baseline,baselineMiddleware,raw,token,cached,cachedNoMiddleware,forged,telemetryNoSdk,telemetryMetrics',
    },
    // Requests counted per mode under callgrind (after `instructions-warmup` uncounted); 0 skips it.
    instructions: { type: 'string', default: '300' },
    'instructions-warmup': { type: 'string', default: '1000' },
    'instruction-modes': { type: 'string', default: 'baseline,baselineMiddleware,raw,token,cached,forged' },
    profile: { type: 'string', default: '' }, // modes whose server runs under node --cpu-prof
    'profile-dir': { type: 'string', default: path.join(os.tmpdir(), 'durin-bench-profiles') },
    out: { type: 'string', default: path.join(here, 'results.json') },
    'django-tokens': { type: 'string', default: '100000' }, // bench/djangoImport.ts; 0 skips it
    soak: { type: 'string', default: '60' }, // seconds of each of the MariaDB soak's two phases (bench/soak.ts); 0 skips it
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
const INSTRUCTION_REQUESTS = Number(args.instructions);
const INSTRUCTION_WARMUP = Number(args['instructions-warmup']);
const INSTRUCTION_MODES = (args['instruction-modes']!.split(',') as ServerMode[]).filter((mode) => MODES.includes(mode));
// Every server child runs bench/server.ts bundled once (bench/bundle.ts): a fresh server per mode
// per round then starts in a fraction of a second, without tsx's loader.
const bundled = bundleServer();

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
  const execArgv = ['--expose-gc'];
  // One directory per mode: each of its servers (one per round, and the checks' one) writes its
  // own file there, named after its pid.
  if (PROFILED.has(label)) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.join(args['profile-dir']!, `${dialect}-${label}`));
  const child = fork(await bundled, [], {
    execArgv,
    // production: tRPC leaves stack traces out of error responses, as in a deployment.
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const channel = await connectServer(child, `${label} server (${dialect})`);
  const { call } = channel;
  return {
    mode,
    url: `http://127.0.0.1:${channel.port}`,
    child,
    call,
    async stop() {
      if (child.exitCode !== null) return;
      if (PROFILED.has(label)) {
        const { requests } = await call<ServerStats>('stats');
        console.log(`profile of ${dialect}/${label}: ${requests} requests served (bench/profile.ts FILE --per ${requests})`);
      }
      await channel.exit();
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
// The ratios: each a req/s ratio `a / b` (so 1 means "as fast as b"), with its goal.

const RATIOS = [
  { name: 'cachedRatio', a: 'cached', b: 'baseline', goal: 0.95 },
  { name: 'cachedVsMiddleware', a: 'cached', b: 'baselineMiddleware', goal: 0.98 },
  { name: 'tokenVsRaw', a: 'token', b: 'raw', goal: 0.9 },
  { name: 'forgedVsCached', a: 'forged', b: 'cached', goal: 0.95 },
  { name: 'telemetryNoSdkVsCached', a: 'telemetryNoSdk', b: 'cached', goal: 0.98 },
  { name: 'telemetryMetricsVsCached', a: 'telemetryMetrics', b: 'cached', goal: 0.95 },
] as const satisfies ReadonlyArray<{ name: string; a: ServerMode; b: ServerMode; goal: number }>;
type RatioName = (typeof RATIOS)[number]['name'];

/** Modes that never read the database: counted once under callgrind, for every dialect. */
const DATABASE_FREE = new Set<ServerMode>(['baseline', 'baselineMiddleware']);

// ---------------------------------------------------------------------------------------------
// One dialect: checks and SQL counts on servers of their own, then the rounds, each on fresh
// servers. The spray is a phase of its own afterwards (see sprayPhase): its minutes of CPU, and
// the GC a server does once such a burst stops, would otherwise land between the modes compared.

interface Prepared {
  dialect: Dialect;
  db: BenchDatabase;
}

/** Per mode: the median over rounds and the [min, max]. */
interface ModeFigures {
  rps: number;
  rpsRange: [number, number];
  cpuUs: number;
  cpuUsRange: [number, number];
  p99Ms: number;
}

interface InstructionFigures {
  /** Instructions per request (compiling left out), per mode counted. */
  perRequest: Record<string, number>;
  /** Instructions per request spent compiling in the counted window (left out of `perRequest`). */
  compilePerRequest: Record<string, number>;
  /** Each ratio from the counts: instructions of `b` / instructions of `a`, as req/s would be. */
  ratios: Partial<Record<RatioName, number>>;
  requests: number;
  warmup: number;
}

interface DialectResult {
  summary: {
    baseline: number;
    raw: number;
    token: number;
    cached: number;
    /** Median over rounds of the per-round ratio (both modes measured in the same round, on fresh servers). */
    tokenVsRaw: number;
    cachedRatio: number;
    cachedVsMiddleware: number;
    forgedVsCached?: number;
    telemetryNoSdkVsCached?: number;
    telemetryMetricsVsCached?: number;
    /** Each ratio's lowest and highest round. */
    spread: Partial<Record<RatioName, [number, number]>>;
    /** The same ratios from the servers' CPU time per request (b's µs / a's µs), median over rounds. */
    cpuRatios: Partial<Record<RatioName, number>>;
    cpuSpread: Partial<Record<RatioName, [number, number]>>;
    modes: Record<string, ModeFigures>;
    p99Ms: Record<string, number>;
    /** Instructions per request under callgrind, or null when not counted. */
    instructions: InstructionFigures | null;
  };
  /** RSS of each mode's server at the end of the last round (valid tokens only), for the spray's comparison. */
  controlRssMb: Record<string, number>;
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

async function startModes(dialect: Dialect, database: string): Promise<Map<ServerMode, BenchServer>> {
  const started = await Promise.allSettled(MODES.map((mode) => startServer(mode, dialect, database)));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopAll(servers);
    throw failed.reason;
  }
  return new Map(servers.map((server) => [server.mode, server]));
}

async function stopAll(servers: Iterable<BenchServer>) {
  await Promise.all([...servers].map((s) => s.stop().catch(() => s.child.kill())));
}

/** What each mode is loaded with: `forged` its bad-checksum token (every answer a 401), the rest the valid one. */
const traffic = (mode: ServerMode, db: BenchDatabase) => (mode === 'forged' ? { token: db.forged, refused: true } : { token: db.token });

const range = (xs: number[], digits = 3): [number, number] => [round(Math.min(...xs), digits), round(Math.max(...xs), digits)];

async function benchDialect({ dialect, db }: Prepared): Promise<DialectResult> {
  const started = Date.now();
  // Checks and SQL counts first, on servers of their own: counting clears the cache and sends
  // requests one at a time, which the measured servers should not have behind them.
  const probe = await startModes(dialect, db.database);
  let sql: Awaited<ReturnType<typeof countStatements>>;
  try {
    for (const server of probe.values()) await expectAnswer(server, db.token, 200);
    const forgedServer = probe.get('forged');
    if (forgedServer) await expectAnswer(forgedServer, db.forged, 401, 'Invalid token.');
    if (probe.has('cached')) await expectAnswer(probe.get('cached')!, db.apiKey, 200);
    sql = await countStatements(probe, db);
  } finally {
    await stopAll(probe.values());
  }

  // Every round starts a fresh server per mode: what one process's JIT and heap settle into then
  // varies from round to round, as it does between deployments, instead of being baked into
  // every round of that mode. Each is warmed up, then measured, in an order rotated per round.
  const rps: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  const p99s: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  const cpus: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
  const controlRssMb: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    const servers = await startModes(dialect, db.database);
    try {
      const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
      for (const mode of order) await load(servers.get(mode)!, { ...traffic(mode, db), duration: WARMUP });
      const line: string[] = [];
      for (const mode of order) {
        const result = await load(servers.get(mode)!, { ...traffic(mode, db), duration: DURATION });
        if (result.non2xx || result.errors) {
          throw new Error(`${dialect}/${mode}: ${result.non2xx} ${mode === 'forged' ? 'not 401' : 'non-2xx'}, ${result.errors} errors`);
        }
        rps[mode]!.push(result.rps);
        p99s[mode]!.push(result.p99);
        cpus[mode]!.push(result.cpuUsPerRequest);
        line.push(`${mode} ${Math.round(result.rps)}/s ${Math.round(result.cpuUsPerRequest)}µs`);
      }
      console.log(`[${dialect}] round ${r + 1}/${ROUNDS} (req/s, server CPU per request): ${line.join(', ')}`);
      if (r === ROUNDS - 1) {
        for (const [mode, server] of servers) controlRssMb[mode] = round((await server.call<ServerStats>('stats')).rss / MB, 1);
      }
    } finally {
      await stopAll(servers.values());
    }
  }

  const ran = RATIOS.filter((q) => MODES.includes(q.a) && MODES.includes(q.b));
  const perRound = (a: ServerMode, b: ServerMode) => rps[a]!.map((x, i) => x / rps[b]![i]!);
  const perRoundCpu = (a: ServerMode, b: ServerMode) => cpus[a]!.map((x, i) => cpus[b]![i]! / x);
  const ratios = Object.fromEntries(ran.map((q) => [q.name, round(median(perRound(q.a, q.b)), 3)])) as Partial<Record<RatioName, number>>;
  const med = (mode: ServerMode) => (rps[mode]?.length ? round(median(rps[mode]!)) : NaN);
  console.log(`[${dialect}] measured in ${seconds(started)}`);
  return {
    summary: {
      baseline: med('baseline'),
      raw: med('raw'),
      token: med('token'),
      cached: med('cached'),
      tokenVsRaw: ratios.tokenVsRaw ?? NaN,
      cachedRatio: ratios.cachedRatio ?? NaN,
      cachedVsMiddleware: ratios.cachedVsMiddleware ?? NaN,
      ...ratios,
      spread: Object.fromEntries(ran.map((q) => [q.name, range(perRound(q.a, q.b))])),
      cpuRatios: Object.fromEntries(ran.map((q) => [q.name, round(median(perRoundCpu(q.a, q.b)), 3)])),
      cpuSpread: Object.fromEntries(ran.map((q) => [q.name, range(perRoundCpu(q.a, q.b))])),
      modes: Object.fromEntries(
        MODES.map((m) => [
          m,
          {
            rps: med(m),
            rpsRange: range(rps[m]!, 0),
            cpuUs: round(median(cpus[m]!)),
            cpuUsRange: range(cpus[m]!, 0),
            p99Ms: median(p99s[m]!),
          },
        ]),
      ),
      p99Ms: Object.fromEntries(MODES.map((m) => [m, median(p99s[m]!)])),
      instructions: null,
    },
    controlRssMb,
    sql,
    spray: null,
    version: db.version,
  };
}

/**
 * Instructions per request under callgrind (bench/instructions.ts), for the modes of the gated
 * ratios; the two that never touch the database are counted once and serve every dialect.
 */
async function instructionPhase(prepared: Prepared[], results: Partial<Record<Dialect, DialectResult>>) {
  if (INSTRUCTION_REQUESTS <= 0) return;
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('instructions: valgrind is not installed (apt-get install valgrind); not counted');
    return;
  }
  const started = Date.now();
  const bundle = await bundled;
  const shared: Record<string, { perRequest: number; compilePerRequest: number }> = {};
  for (const { dialect, db } of prepared) {
    const modes = INSTRUCTION_MODES.filter((mode) => !(DATABASE_FREE.has(mode) && shared[mode]));
    const counted = await countInstructions(
      {
        dialect,
        database: db.database,
        cases: instructionCases(modes, db),
        warmup: INSTRUCTION_WARMUP,
        requests: INSTRUCTION_REQUESTS,
        parallel: 2,
      },
      bundle,
    );
    for (const mode of DATABASE_FREE) if (counted[mode]) shared[mode] = counted[mode];
    const all = { ...shared, ...counted };
    const perRequest = Object.fromEntries(INSTRUCTION_MODES.map((m) => [m, Math.round(all[m]!.perRequest)]));
    const ratios = Object.fromEntries(
      RATIOS.filter((q) => perRequest[q.a] && perRequest[q.b]).map((q) => [q.name, round(perRequest[q.b]! / perRequest[q.a]!, 3)]),
    );
    results[dialect]!.summary.instructions = {
      perRequest,
      compilePerRequest: Object.fromEntries(INSTRUCTION_MODES.map((m) => [m, Math.round(all[m]!.compilePerRequest)])),
      ratios,
      requests: INSTRUCTION_REQUESTS,
      warmup: INSTRUCTION_WARMUP,
    };
    console.log(`[${dialect}] instructions per request: ${JSON.stringify(perRequest)}`);
  }
  console.log(`instructions counted in ${seconds(started)}`);
}

async function sprayPhase({ dialect, db }: Prepared, controlRssMb: Record<string, number>): Promise<SprayResult> {
  const started = Date.now();
  const server = await startServer('cached', dialect, db.database, 'spray');
  try {
    await expectAnswer(server, randomToken(), 401);
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
  } finally {
    await server.stop().catch(() => server.child.kill());
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const prepared: Prepared[] = [];
  for (const dialect of dialects) prepared.push({ dialect, db: await createDatabase(dialect, MYSQL_URL) });
  console.log(`databases seeded (${USER_COUNT} users with tokens) in ${seconds(started)}`);
  const results: Partial<Record<Dialect, DialectResult>> = {};
  let tracked: Awaited<ReturnType<typeof benchTracked>> | null;
  let redis: RedisBenchResult | null = null;
  try {
    for (const p of prepared) results[p.dialect] = await benchDialect(p);
    const targets = prepared.map((p) => ({ dialect: p.dialect, database: p.db.database, token: p.db.token }));
    tracked = await benchTracked({ targets, startServer, load, rounds: ROUNDS, duration: DURATION });
    for (const p of prepared)
      if (sprays(p.dialect) && SPRAY > 0) results[p.dialect]!.spray = await sprayPhase(p, results[p.dialect]!.controlRssMb);
    // Several processes, when a Redis is configured: its own servers, on MariaDB when there is one.
    const redisUrl = process.env.DURIN_TEST_REDIS_URL;
    if (redisUrl) redis = await benchRedis({ redisUrl, mysqlUrl: MYSQL_URL, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS });
    await instructionPhase(prepared, results);
  } finally {
    await Promise.all(prepared.map((p) => p.db.drop()));
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
      freshServersPerRound: true,
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
    soak: soaked && {
      requests: soaked.requests,
      errors5xx: soaked.errors5xx,
      rssStartMb: soaked.rssStartMb,
      rssEndMb: soaked.rssEndMb,
      heapAfterGcMb: soaked.heapAfterGcMb,
      rssGrowthSecondMinutePct: soaked.rssGrowthSecondMinutePct,
      points: soaked.points,
    },
    subscriptions: {
      endP50Ms: subscriptions.endP50Ms,
      endP99Ms: subscriptions.endP99Ms,
      bytesPerSubscription: subscriptions.bytesPerSubscription,
    },
    tracked,
    redis,
    // The lower ratio over the databases measured, and each one's (null: the mode was not run).
    telemetry: {
      noSdkVsCached: lowest(all.map((r) => r.summary.telemetryNoSdkVsCached ?? null)),
      metricsVsCached: lowest(all.map((r) => r.summary.telemetryMetricsVsCached ?? null)),
      byDialect: Object.fromEntries(
        Object.entries(results).map(([dialect, r]) => [
          dialect,
          { noSdkVsCached: r.summary.telemetryNoSdkVsCached ?? null, metricsVsCached: r.summary.telemetryMetricsVsCached ?? null },
        ]),
      ),
    },
  };
  writeFileSync(args.out!, `${JSON.stringify(json, null, 2)}\n`);
  report(results, soaked, subscriptions);
  console.log(`\nwrote ${path.relative(process.cwd(), args.out!)}; whole run ${seconds(started)}`);
  if (PROFILED.size) console.log(`CPU profiles in ${args['profile-dir']}`);
}

/** The human tables. */
function report(
  results: Partial<Record<Dialect, DialectResult>>,
  soaked: Awaited<ReturnType<typeof soak>> | null,
  subscriptions: Awaited<ReturnType<typeof benchSubscriptions>>,
) {
  const pad = (v: string | number, n: number) => String(v).padStart(n);
  const fixed = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
  console.log(
    `\n${CONNECTIONS} connections, ${ROUNDS} rounds x ${DURATION} s per mode on fresh servers each round, median [min-max] over rounds; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const [dialect, r] of Object.entries(results)) {
    const s = r.summary;
    console.log(`\n${dialect} (${r.version})`);
    console.log(
      `${'mode'.padEnd(20)}${pad('req/s', 7)}${pad('[min-max]', 14)}${pad('CPU µs', 8)}${pad('[min-max]', 12)}${pad('p99 ms', 8)}${pad('instr/req', 12)}`,
    );
    for (const [mode, m] of Object.entries(s.modes)) {
      const instructions = s.instructions?.perRequest[mode];
      console.log(
        `${mode.padEnd(20)}${pad(m.rps, 7)}${pad(`${m.rpsRange[0]}-${m.rpsRange[1]}`, 14)}${pad(m.cpuUs, 8)}${pad(`${m.cpuUsRange[0]}-${m.cpuUsRange[1]}`, 12)}${pad(m.p99Ms, 8)}${pad(instructions === undefined ? '-' : instructions.toLocaleString('en'), 12)}`,
      );
    }
    console.log(`${'ratio (goal)'.padEnd(36)}${pad('req/s [min-max]', 22)}${pad('CPU [min-max]', 22)}${pad('instructions', 14)}`);
    for (const q of RATIOS) {
      // Only the ratios whose two modes both ran (`--modes` may leave some out).
      const spread = s.spread[q.name];
      const cpuSpread = s.cpuSpread[q.name];
      if (!spread || !cpuSpread) continue;
      const value = s[q.name];
      const counted = s.instructions?.ratios[q.name];
      const met = counted === undefined ? '' : counted >= q.goal ? '  met' : '  MISSED';
      console.log(
        `${`${q.a}/${q.b} (≥ ${q.goal})`.padEnd(36)}${pad(`${fixed(value)} [${fixed(spread[0])}-${fixed(spread[1])}]`, 22)}${pad(`${fixed(s.cpuRatios[q.name])} [${fixed(cpuSpread[0])}-${fixed(cpuSpread[1])}]`, 22)}${pad(fixed(counted), 14)}${met}`,
      );
    }
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
          `  RSS of the valid-token servers at the end of the last round, for comparison: ${Object.entries(r.spray.controlRssMb)
            .map(([m, x]) => `${m} ${x} MB`)
            .join(', ')}`,
      );
    }
  }
  console.log(`miss statement: ${Object.values(results)[0]?.sql.missStatement ?? '-'}`);
  if (soaked) {
    console.log(
      `soak (MariaDB, 16 clients, ${soaked.points.length - 1} x ${args.soak} s): ${soaked.requests} requests, ${soaked.errors5xx} 5xx, by status ${JSON.stringify(soaked.byStatus)}\n` +
        soaked.points
          .map((p) => `  ${p.at.padEnd(12)} RSS ${p.rssMb} MB; after a forced GC: heap ${p.heapAfterGcMb} MB, RSS ${p.rssAfterGcMb} MB`)
          .join('\n') +
        `\n  heap after GC ${soaked.heapAfterGcMb[0]} -> ${soaked.heapAfterGcMb[1]} MB, RSS growth over the last phase ${soaked.rssGrowthSecondMinutePct} %`,
    );
  }
  console.log(
    `subscriptions: revocation → end p50 ${subscriptions.endP50Ms} ms, p99 ${subscriptions.endP99Ms} ms (${subscriptions.ends}); ${subscriptions.bytesPerSubscription} B per open subscription beyond tRPC's own`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

function forgedSummary(results: Partial<Record<Dialect, DialectResult>>) {
  const byDialect = Object.fromEntries(
    Object.entries(results).flatMap(([dialect, r]) =>
      r.summary.modes.forged
        ? [
            [
              dialect,
              {
                rps: r.summary.modes.forged.rps,
                vsCached: r.summary.forgedVsCached ?? null,
                vsCachedMin: r.summary.spread.forgedVsCached?.[0] ?? null,
                vsCachedMax: r.summary.spread.forgedVsCached?.[1] ?? null,
                instructionsVsCached: r.summary.instructions?.ratios.forgedVsCached ?? null,
                sqlPerRequest: Math.max(r.sql.forged!, r.sql.driver.forged!),
              },
            ],
          ]
        : [],
    ),
  );
  const runs = Object.values(byDialect);
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
