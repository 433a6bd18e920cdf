import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer, type CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import { durinErrorFormatter } from '../src/index.js';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { durinTelemetry } from '../src/otel/index.js';
import { RAW_SQL, createBenchDurin, defineUser, sha256, type BenchUser } from './app.js';

/**
 * One benchmark server: a standalone tRPC server on 127.0.0.1 serving the same query, `me`,
 * behind one authentication mode. run.ts forks one per mode (so autocannon never shares an event
 * loop with the server) and talks to it over IPC: `ready` with the port, then `stats`,
 * `resetStatements`, `clearCache` and `exit` (a clean exit, so `--cpu-prof` writes its profile).
 */

export type ServerMode = 'baseline' | 'raw' | 'token' | 'cached' | 'forged' | AnalysisMode | TrackedMode | TelemetryMode;
/*
 * `forged` is `cached`'s app in a process of its own; what differs is what run.ts sends it: a
 * well-formed token whose checksum is wrong, so every answer is a 401 decided before any lookup.
 */
/**
 * `cached` with `telemetry: durinTelemetry()`: `telemetryNoSdk` with no OpenTelemetry SDK registered
 * (the API's no-op meter and tracer), `telemetryMetrics` with a MeterProvider whose reader is never
 * collected (every counter and histogram aggregates; no tracer, as with metrics only).
 */
export type TelemetryMode = 'telemetryNoSdk' | 'telemetryMetrics';
/**
 * `token` and `cached` with usage recording at its default interval, for bench/tracked.ts;
 * `token` and `cached` themselves run with `lastUsedUpdateInterval: null`, the cost they always measured.
 */
export type TrackedMode = 'trackedToken' | 'trackedCached';
/**
 * Not part of the default run; for `--modes` when working out what separates `cached` from
 * `baseline`: `baselineMiddleware` is baseline plus one trivial tRPC middleware that passes a ctx
 * (what protectedProcedure costs in tRPC itself), `cachedNoMiddleware` is cached's context with the
 * resolver reading ctx.user directly (what durin's context costs without the middleware).
 */
export type AnalysisMode = 'baselineMiddleware' | 'cachedNoMiddleware';

export interface ServerConfig {
  mode: ServerMode;
  dialect: 'sqlite' | 'mysql';
  /** SQLite: the database file. MySQL: the connection URL. */
  database: string;
}

export interface ServerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** SQL statements run since the last `resetStatements`. */
  statements: number;
  /** The last statement run, for the report. */
  lastStatement: string | null;
  /**
   * Statements the driver was asked to run since the last `resetStatements`, counted on the
   * driver's own methods: Sequelize's `logging` does not see what its dialect code sends on its
   * own (the SQLite dialect's `PRAGMA table_info`, for one).
   */
  driverStatements: number;
  /** UPDATE statements since the last `resetStatements` (usage recording's writes). */
  updates: number;
  /** Requests served so far, and the process's CPU time (user + system, µs, all threads) so far. */
  requests: number;
  cpuUs: number;
}

// tsx turns on source-mapped stack traces; a compiled deployment runs without them. Sequelize's
// SQLite query reads `new Error().stack` on every query (sequelize/lib/dialects/sqlite/query.js,
// `errForStack.stack`), which costs far more with source maps: keep them off, as in production.
process.setSourceMapsEnabled(false);

const config = JSON.parse(process.env.BENCH_SERVER ?? 'null') as ServerConfig | null;
if (!config || !process.send) throw new Error('bench/server.ts is started by bench/run.ts (fork, BENCH_SERVER)');

let statements = 0;
let lastStatement: string | null = null;
let updates = 0;
const logging = (sql: string) => {
  statements++;
  lastStatement = sql;
  if (sql.includes('UPDATE')) updates++;
};
let driverStatements = 0;
{
  // The same module instances Sequelize loads (it requires the dialect module by name).
  const require = createRequire(import.meta.url);
  const count = (proto: Record<string, unknown>, names: string[]) => {
    for (const name of names) {
      const original = proto[name] as (...args: unknown[]) => unknown;
      proto[name] = function (this: unknown, ...args: unknown[]) {
        driverStatements++;
        return original.apply(this, args);
      };
    }
  };
  if (config.dialect === 'sqlite') {
    count(require('sqlite3').Database.prototype, ['all', 'run', 'get', 'each', 'exec']);
  } else {
    count(Object.getPrototypeOf(require('mysql2').Connection.prototype), ['query', 'execute']);
  }
}
const pool = { max: 5 }; // the same in every mode
const sequelize =
  config.dialect === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: config.database, logging, pool })
    : new Sequelize(config.database, { logging, pool });
const User = defineUser(sequelize);
const tracked = config.mode === 'trackedToken' || config.mode === 'trackedCached';
/** A reader that is never collected: recording still aggregates, as between two scrapes. */
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
const telemetry =
  config.mode === 'telemetryNoSdk'
    ? durinTelemetry()
    : config.mode === 'telemetryMetrics'
      ? durinTelemetry({ meterProvider: new MeterProvider({ readers: [new IdleReader()] }) })
      : undefined;
const durin = createBenchDurin(sequelize, User, tracked ? {} : { lastUsedUpdateInterval: null }, telemetry);

// What every mode answers: the same small object, built from the authenticated user and token.
const me = (user: { id: number; username: string }, client: string) => ({ id: user.id, username: user.username, client });

function baselineApp() {
  const createContext = async (_opts: CreateHTTPContextOptions) => ({});
  const t = initTRPC.context<typeof createContext>().create({ transformer: superjson });
  // The same answer without authentication: the limit every mode is measured against.
  const router = t.router({ me: t.procedure.query(() => me({ id: 1, username: 'user1' }, 'bench')) });
  return { router, createContext };
}

/**
 * `raw`, the floor for any SQL-backed check: hash the header's token, run RAW_SQL (bench/app.ts),
 * and nothing else.
 */
interface RawRow {
  u_id: number;
  u_username: string;
  c_name: string;
}

function rawApp() {
  const createContext = async ({ req }: CreateHTTPContextOptions) => ({ req });
  const t = initTRPC.context<typeof createContext>().create({ transformer: superjson });
  const rawAuth = t.middleware(async function rawAuth({ ctx, next }) {
    const header = ctx.req.headers.authorization;
    if (!header || !header.startsWith('Token ')) throw new TRPCError({ code: 'UNAUTHORIZED' });
    const rows = await sequelize.query<RawRow>(RAW_SQL, { bind: [sha256(header.slice(6))], type: QueryTypes.SELECT });
    const row = rows[0];
    if (!row) throw new TRPCError({ code: 'UNAUTHORIZED' });
    return next({ ctx: { user: { id: row.u_id, username: row.u_username }, client: row.c_name } });
  });
  const router = t.router({ me: t.procedure.use(rawAuth).query(({ ctx }) => me(ctx.user, ctx.client)) });
  return { router, createContext };
}

function baselineMiddlewareApp() {
  const createContext = async (_opts: CreateHTTPContextOptions) => ({});
  const t = initTRPC.context<typeof createContext>().create({ transformer: superjson });
  const pass = t.middleware(async function pass({ next }) {
    return next({ ctx: { user: { id: 1, username: 'user1' }, client: 'bench' } });
  });
  const router = t.router({ me: t.procedure.use(pass).query(({ ctx }) => me(ctx.user, ctx.client)) });
  return { router, createContext };
}

function cachedNoMiddlewareApp() {
  const createContext = async (opts: CreateHTTPContextOptions) => ({ ...(await durin.createCachedDurinContext(opts)), db: sequelize });
  const t = initTRPC.context<typeof createContext>().create({ transformer: superjson, errorFormatter: durinErrorFormatter });
  const router = t.router({
    me: t.procedure.query(({ ctx }) => {
      if (!ctx.user || !ctx.auth) throw new TRPCError({ code: 'UNAUTHORIZED' });
      return me(ctx.user as BenchUser, ctx.auth.client.name);
    }),
  });
  return { router, createContext };
}

/** `token` and `cached`: wired as the README and test/helpers/app.ts wire an app. */
function durinApp(cached: boolean) {
  const factory = cached ? durin.createCachedDurinContext : durin.createDurinContext;
  const createContext = async (opts: CreateHTTPContextOptions) => ({ ...(await factory(opts)), db: sequelize });
  const t = initTRPC.context<typeof createContext>().create({ transformer: superjson, errorFormatter: durinErrorFormatter });
  const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
  const router = t.router({ me: protectedProcedure.query(({ ctx }) => me(ctx.user as BenchUser, ctx.auth.client.name)) });
  return { router, createContext };
}

function buildApp(mode: ServerMode) {
  switch (mode) {
    case 'baseline':
      return baselineApp();
    case 'raw':
      return rawApp();
    case 'token':
      return durinApp(false);
    case 'cached':
      return durinApp(true);
    case 'baselineMiddleware':
      return baselineMiddlewareApp();
    case 'cachedNoMiddleware':
      return cachedNoMiddlewareApp();
    case 'trackedToken':
      return durinApp(false);
    case 'forged':
    case 'trackedCached':
    case 'telemetryNoSdk':
    case 'telemetryMetrics':
      return durinApp(true);
  }
}

const { router, createContext } = buildApp(config.mode);
const server = createHTTPServer({ router: router as never, createContext: createContext as never });
let requests = 0;
server.on('request', () => {
  requests++;
});

async function stats(): Promise<ServerStats> {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    statements,
    lastStatement,
    driverStatements,
    updates,
    requests,
    cpuUs: cpu.user + cpu.system,
  };
}

process.on('message', (message: { id: number; cmd: string }) => {
  const reply = (result: unknown) => process.send!({ id: message.id, result });
  switch (message.cmd) {
    case 'stats':
      void stats().then(reply);
      break;
    case 'resetStatements':
      statements = 0;
      updates = 0;
      driverStatements = 0;
      lastStatement = null;
      reply(null);
      break;
    case 'clearCache':
      durin.cache.clear();
      reply(null);
      break;
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      void stats().then(reply);
      break;
    case 'exit':
      server.closeAllConnections();
      server.close(() => {
        void sequelize.close().finally(() => {
          reply(null);
          // A normal exit, so `node --cpu-prof` writes the profile.
          setImmediate(() => process.exit(0));
        });
      });
      break;
  }
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ ready: true, port: (server.address() as AddressInfo).port, pid: process.pid });
});
