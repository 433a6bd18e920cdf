import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Sequelize } from 'sequelize-typescript';
import { CLIENT_NAME, createBenchDurin, defineUser, sha256 } from './app.js';
import type { RedisServerConfig } from './redisServer.js';

/**
 * The several-processes benchmark (`npm run bench` runs it when DURIN_TEST_REDIS_URL is set): a throttled,
 * cached `me` with the Redis throttle store against the same with the memory store (interleaved
 * rounds, median of the per-round ratios), Redis commands sent per throttled request (MONITOR
 * around a fixed number of requests), and how long a revocation takes from A's
 * publish to B's eviction over 200 revocations (one clock: both processes on this machine).
 */

export interface RedisBenchOptions {
  redisUrl: string;
  /** MariaDB when given (a fresh database on that server), else a SQLite file. */
  mysqlUrl?: string;
  rounds: number;
  /** Seconds per store per round. */
  duration: number;
  connections: number;
  revocations?: number;
}

export interface RedisBenchResult {
  throttledVsMemory: number;
  roundTripsPerHit: number;
  propagationP50Ms: number;
  propagationP99Ms: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function createDatabase(mysqlUrl: string | undefined) {
  let database: string;
  let sequelize: Sequelize;
  let drop: () => Promise<void>;
  if (mysqlUrl) {
    const name = `durin_bench_redis_${randomBytes(4).toString('hex')}`;
    const admin = new Sequelize(mysqlUrl, { logging: false });
    await admin.query(`CREATE DATABASE \`${name}\``);
    await admin.close();
    const url = new URL(mysqlUrl);
    url.pathname = `/${name}`;
    database = url.toString();
    sequelize = new Sequelize(database, { logging: false });
    drop = async () => {
      const again = new Sequelize(mysqlUrl, { logging: false });
      await again.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await again.close();
    };
  } else {
    const file = path.join(os.tmpdir(), `durin-bench-redis-${randomBytes(4).toString('hex')}.sqlite`);
    database = file;
    sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
    await sequelize.query('PRAGMA journal_mode = WAL');
    drop = async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    };
  }
  const User = defineUser(sequelize);
  const durin = createBenchDurin(sequelize, User);
  await User.sync();
  await durin.sync();
  await durin.clients.create({ name: CLIENT_NAME, tokenTtl: '14d' });
  await User.create({ username: 'user1', passwordHash: sha256('password1'), isActive: true });
  await sequelize.close();
  return { dialect: (mysqlUrl ? 'mysql' : 'sqlite') as 'mysql' | 'sqlite', database, drop };
}

interface Server {
  url: string;
  call<T>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

async function startServer(config: RedisServerConfig): Promise<Server> {
  const child: ChildProcess = fork(path.join(here, 'redisServer.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production', BENCH_REDIS_SERVER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, (value: unknown) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench/redisServer.ts exited with ${code}`)));
    child.on('message', (message: { ready?: boolean; port?: number; id?: number; result?: unknown }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) pending.get(message.id)?.(message.result);
    });
  });
  const call = <T>(cmd: string) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (value: unknown) => void);
      child.send({ id, cmd });
    });
  return {
    url: `http://127.0.0.1:${port}`,
    call,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('exit');
      await exited;
    },
  };
}

async function load(server: Server, token: string, options: { connections: number; duration?: number; amount?: number }) {
  const result = await autocannon({
    url: `${server.url}/me`,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration }),
    headers: { authorization: `Token ${token}` },
  });
  if (result.non2xx || result.errors || result.timeouts) throw new Error(`redis bench: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result['2xx'] / result.duration, total: result['2xx'] };
}

export async function benchRedis(options: RedisBenchOptions): Promise<RedisBenchResult> {
  const started = Date.now();
  const revocations = options.revocations ?? 200;
  const db = await createDatabase(options.mysqlUrl);
  const prefix = `durin-bench-${randomBytes(4).toString('hex')}:`;
  const base = { dialect: db.dialect, database: db.database, redisUrl: options.redisUrl, prefix };
  const servers = await Promise.all([
    startServer({ ...base, store: 'memory' }),
    startServer({ ...base, store: 'redis' }),
    startServer({ ...base, store: 'redis' }),
  ]);
  const [memory, shared, other] = servers as [Server, Server, Server];
  const redis = new Redis(options.redisUrl);
  try {
    const token = await shared.call<string>('rotate');
    for (const server of [memory, shared]) await load(server, token, { connections: options.connections, duration: 1 });

    // Interleaved rounds, the order swapped every round.
    const ratios: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const order = r % 2 ? [shared, memory] : [memory, shared];
      const rps = new Map<Server, number>();
      for (const server of order)
        rps.set(server, (await load(server, token, { connections: options.connections, duration: options.duration })).rps);
      ratios.push(rps.get(shared)! / rps.get(memory)!);
      console.log(
        `[redis] round ${r + 1}/${options.rounds}: memory store ${Math.round(rps.get(memory)!)}/s, redis store ${Math.round(rps.get(shared)!)}/s`,
      );
    }

    // Round trips per request: every command a client sent (MONITOR, which tells the script's own
    // commands apart as "lua") over a fixed number of requests, but the subscribers' health pings
    // (one a second per process, not per request).
    const sent: string[] = [];
    const monitor = await redis.monitor(); // a connection of its own
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!source.includes('lua')) sent.push(String(args[0]).toLowerCase());
    });
    const { total } = await load(shared, token, { connections: options.connections, amount: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    monitor.disconnect();
    const perRequest = sent.filter((name) => name !== 'ping').length;
    const evalsha = sent.filter((name) => name === 'evalsha').length;
    console.log(`[redis] ${total} requests: ${evalsha} EVALSHA, ${perRequest} commands sent other than PING`);

    // Propagation: each rotation on A revokes the previous token; B's bus delivers it.
    const start = (await other.call<{ delivered: number[] }>('times')).delivered.length;
    const publishedStart = (await shared.call<{ published: number[] }>('times')).published.length;
    for (let i = 0; i < revocations; i++) await shared.call<string>('rotate');
    let delivered: number[] = [];
    for (let wait = 0; wait < 100 && delivered.length < revocations; wait++) {
      delivered = (await other.call<{ delivered: number[] }>('times')).delivered.slice(start);
      if (delivered.length < revocations) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const published = (await shared.call<{ published: number[] }>('times')).published.slice(publishedStart);
    if (delivered.length !== revocations || published.length !== revocations) {
      throw new Error(`redis bench: ${published.length} published, ${delivered.length} delivered of ${revocations}`);
    }
    const delays = delivered.map((at, i) => at - published[i]!);
    console.log(`[redis] measured in ${Math.round((Date.now() - started) / 1000)} s on ${db.dialect}`);
    return {
      throttledVsMemory: round(median(ratios)),
      roundTripsPerHit: round(perRequest / total, 4),
      propagationP50Ms: round(quantile(delays, 0.5)),
      propagationP99Ms: round(quantile(delays, 0.99)),
    };
  } finally {
    redis.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    await db.drop();
  }
}

// `npx tsx bench/redis.ts`: this part alone.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const redisUrl = process.env.DURIN_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('bench/redis.ts needs DURIN_TEST_REDIS_URL (eval "$(bash scripts/redis.sh start)")');
  const rounds = Number(process.argv[2] ?? 6);
  console.log(
    JSON.stringify(
      await benchRedis({ redisUrl, mysqlUrl: process.env.DURIN_TEST_MYSQL_URL, rounds, duration: 2, connections: 10 }),
      null,
      2,
    ),
  );
}
