import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import { Sequelize } from 'sequelize-typescript';
import superjson from 'superjson';
import type { DurinComponent } from '../../src/core/bus.js';
import type { DurinSettings } from '../../src/index.js';
import type { ChildRouter } from './childApp.js';
import { testDialect } from './db.js';

/**
 * "Several processes" for the tests: app servers in child processes (childApp.ts,
 * each its own createDurin and HTTP server) on one database and one Redis, and the database they share.
 */

export interface ChildAppConfig {
  dialect: 'sqlite' | 'mysql';
  /** SQLite: the file. MySQL: the URL of the database. */
  database: string;
  /** Both the Redis throttle store and the bus on it, unless `throttleStore: 'memory'`. None without it. */
  redisUrl?: string;
  prefix: string;
  settings?: DurinSettings;
  throttleStore?: 'redis' | 'memory';
  /** createCachedDurinContext (the default) or createDurinContext. */
  cached?: boolean;
  /** Create the tables (the first process). */
  sync?: boolean;
}

export type ChildAppEvent = { type: 'ready'; url: string } | { type: 'event'; name: 'degraded' | 'recovered'; component: DurinComponent };

export interface ChildApp {
  readonly url: string;
  readonly pid: number;
  /** `degraded` / `recovered` events so far, as "degraded:cacheBus". */
  readonly events: string[];
  /** A tRPC client (superjson) that sends `Authorization: Token <token>` when given one. */
  client(token?: string | null): ReturnType<typeof createTRPCClient<ChildRouter>>;
  /** A raw GET of a query, for status codes. */
  get(path: string, token?: string | null): Promise<Response>;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** Starts childApp.ts in a new Node process (tsx) and resolves once it listens. */
export async function startChildApp(config: ChildAppConfig): Promise<ChildApp> {
  const child = fork(path.join(here, 'childApp.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DURIN_CHILD_APP: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the child app exited with ${code} before it was ready`)));
    child.on('message', (message: ChildAppEvent) => {
      if (message.type === 'ready') resolve(message.url);
      else if (message.type === 'event') events.push(`${message.name}:${message.component}`);
    });
  });
  return {
    url,
    pid: child.pid!,
    events,
    client(token) {
      return createTRPCClient<ChildRouter>({
        links: [httpLink({ url, transformer: superjson, headers: () => (token ? { authorization: `Token ${token}` } : {}) })],
      });
    },
    get(procedure, token) {
      return fetch(`${url}/${procedure}`, { headers: token ? { authorization: `Token ${token}` } : {} });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

export interface SharedDatabase {
  readonly dialect: 'sqlite' | 'mysql';
  readonly database: string;
  drop(): Promise<void>;
}

/** A database the child apps share: a SQLite file, or a fresh database on DURIN_TEST_MYSQL_URL's server. */
export async function createSharedDatabase(): Promise<SharedDatabase> {
  const dialect = testDialect();
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `durin-test-${randomBytes(6).toString('hex')}.sqlite`);
    // WAL: two processes read while one writes, as a real deployment on one file would.
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
    await sequelize.query('PRAGMA journal_mode = WAL');
    await sequelize.close();
    return {
      dialect,
      database: file,
      async drop() {
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      },
    };
  }
  const url = process.env.DURIN_TEST_MYSQL_URL!;
  const name = `durin_test_${randomBytes(6).toString('hex')}`;
  const admin = new Sequelize(url, { logging: false });
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.close();
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    dialect,
    database: target.toString(),
    async drop() {
      const dropper = new Sequelize(url, { logging: false });
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.close();
    },
  };
}
