import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize } from 'sequelize-typescript';
import { createDurin } from '../src/index.js';
import { benchUsername, defineUser, sha256 } from './app.js';

/**
 * The soak: a mixed load on MariaDB (or a SQLite file) in `phases` phases of `durationSeconds` each
 * (npm run bench: 2 × 60 s) — login, me, refresh,
 * sessions.list, logout and logoutAll, from `clients` concurrent virtual clients, each behind its
 * own forwarded address — against a server in its own process (bench/soakServer.ts). Users are
 * fewer than logins in flight, so concurrent logins of one (user, client) and revocations racing
 * requests happen all the time; 4xx answers (a token rotated away by another client) are expected,
 * a 5xx never is. Returns what `bench/results.json` keeps under `soak`, plus the count per status.
 *
 * Memory: before the first phase and after each one the server reports its RSS as the traffic left
 * it, then runs a full GC and reports the live heap and the RSS again. RSS alone climbs for a while
 * under any new load (V8 sizes its young generation and keeps compiled code), so a leak shows as the
 * heap after GC rising from one phase to the next, not as RSS rising after start-up.
 */

export interface SoakOptions {
  /** The MariaDB/MySQL server to create the soak's database on; without it, a temporary SQLite file. */
  mysqlUrl?: string;
  /** Seconds of each phase. */
  durationSeconds: number;
  /** Load phases, with a forced GC before the first and after each (default 2). */
  phases?: number;
  clients?: number;
  users?: number;
}

export interface SoakResult {
  requests: number;
  errors5xx: number;
  /** RSS before the first phase and after the last, as the traffic left it (before the forced GC). */
  rssStartMb: number;
  rssEndMb: number;
  /** The live heap after a forced GC at the end of the first and of the last phase. */
  heapAfterGcMb: [number, number];
  /** RSS growth over the last phase, in % of the RSS the phase before left (both before their GC). */
  rssGrowthSecondMinutePct: number;
  /** Every reading: before the load (`start`) and after each phase. */
  points: SoakPoint[];
  byStatus: Record<string, number>;
}

export interface SoakPoint {
  at: string;
  requests: number;
  /** RSS as the traffic left it. */
  rssMb: number;
  /** After a forced full GC: the live heap and the RSS. */
  heapAfterGcMb: number;
  rssAfterGcMb: number;
}

interface Memory {
  rss: number;
  heapUsed: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_NAMES = ['web', 'mobile', 'cli'];
const mb = (bytes: number) => Math.round((bytes / 1024 ** 2) * 10) / 10;

async function createDatabase(url: string | undefined): Promise<{ database: string; drop: () => Promise<void> }> {
  const name = `durin_soak_${randomBytes(4).toString('hex')}`;
  if (!url) {
    const file = path.join(os.tmpdir(), `${name}.sqlite`);
    return { database: `sqlite:${file}`, drop: async () => rmSync(file, { force: true }) };
  }
  const admin = new Sequelize(url, { logging: false });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    database: target.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.close();
    },
  };
}

/** A Sequelize instance on the soak's database (`sqlite:<file>` or a MySQL URL). */
export function openSoakDatabase(database: string, pool: number): Sequelize {
  return database.startsWith('sqlite:')
    ? new Sequelize({ dialect: 'sqlite', storage: database.slice('sqlite:'.length), logging: false, pool: { max: 1 } })
    : new Sequelize(database, { logging: false, pool: { max: pool } });
}

async function seed(url: string | undefined, users: number): Promise<{ database: string; drop: () => Promise<void> }> {
  const created = await createDatabase(url);
  const sequelize = openSoakDatabase(created.database, 2);
  const User = defineUser(sequelize);
  const durin = createDurin({ sequelize, userModel: User, authenticateUser: async () => null });
  await User.sync();
  await durin.sync();
  for (const client of CLIENT_NAMES) await durin.clients.create({ name: client, tokenTtl: '1h' });
  await User.bulkCreate(
    Array.from({ length: users }, (_, i) => ({ username: benchUsername(i + 1), passwordHash: sha256('soak'), isActive: true })),
  );
  await sequelize.close();
  return created;
}

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const clients = options.clients ?? 16;
  const users = options.users ?? 8;
  const phases = options.phases ?? 2;
  const { database, drop } = await seed(options.mysqlUrl, users);
  const child = fork(path.join(here, 'soakServer.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, NODE_ENV: 'production', SOAK_DATABASE: database },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (message: { type: string } & T) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      if (type !== 'ready') child.send({ type });
    });
  const byStatus: Record<string, number> = {};
  try {
    const { port } = await ask<{ port: number }>('ready');
    const base = `http://127.0.0.1:${port}`;
    let requests = 0;
    const points: SoakPoint[] = [];
    const reading = async (at: string) => {
      const before = await ask<Memory>('memory');
      const after = await ask<Memory>('gc');
      const point = { at, requests, rssMb: mb(before.rss), heapAfterGcMb: mb(after.heapUsed), rssAfterGcMb: mb(after.rss) };
      points.push(point);
      console.log(
        `soak ${at}: ${requests} requests, RSS ${point.rssMb} MB, after a forced GC heap ${point.heapAfterGcMb} MB, RSS ${point.rssAfterGcMb} MB`,
      );
    };
    const call = async (pathName: string, init: { ip: string; token?: string; body?: unknown }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-forwarded-for': init.ip };
      if (init.token) headers.authorization = `Token ${init.token}`;
      const response = await fetch(`${base}/${pathName}`, {
        method: init.body === undefined ? 'GET' : 'POST',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const json = (await response.json()) as { result?: { data?: { token?: string } } };
      requests++;
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      return { status: response.status, token: json.result?.data?.token };
    };
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

    async function virtualClient(n: number, deadline: number) {
      const ip = `198.51.100.${n + 1}`;
      while (Date.now() < deadline) {
        const username = benchUsername(1 + Math.floor(Math.random() * users));
        const login = await call('auth.login', { ip, body: { username, password: 'soak', client: pick(CLIENT_NAMES) } });
        if (!login.token) continue;
        const token = login.token;
        for (let i = 0; i < 6 && Date.now() < deadline; i++) {
          const step = Math.random();
          if (step < 0.6) await call('me', { ip, token });
          else if (step < 0.75) await call('auth.refresh', { ip, token, body: {} });
          else await call('auth.sessions.list', { ip, token });
        }
        await call(Math.random() < 0.9 ? 'auth.logout' : 'auth.logoutAll', { ip, token, body: {} });
      }
    }
    await reading('start');
    for (let phase = 1; phase <= phases; phase++) {
      const deadline = Date.now() + options.durationSeconds * 1000;
      await Promise.all(Array.from({ length: clients }, (_, n) => virtualClient(n, deadline)));
      await reading(`after ${phase * options.durationSeconds} s`);
    }
    const errors5xx = Object.entries(byStatus).reduce((sum, [status, count]) => sum + (Number(status) >= 500 ? count : 0), 0);
    const [start, previous, last] = [points[0]!, points.at(-2)!, points.at(-1)!];
    return {
      requests,
      errors5xx,
      rssStartMb: start.rssMb,
      rssEndMb: last.rssMb,
      heapAfterGcMb: [points[1]!.heapAfterGcMb, last.heapAfterGcMb],
      rssGrowthSecondMinutePct: Math.round(((last.rssMb - previous.rssMb) / previous.rssMb) * 1000) / 10,
      points,
      byStatus,
    };
  } finally {
    child.send({ type: 'exit' });
    await new Promise((resolve) => child.once('exit', resolve));
    await drop();
  }
}
