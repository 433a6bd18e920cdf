import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Sequelize } from 'sequelize-typescript';
import { importDjangoDurin } from '../src/migrations/index.js';
import { MARIADB_DDL, SQLITE_DDL } from '../test/django/djangoDdl.js';

/**
 * How long `importDjangoDurin` takes on a django-rest-durin database of `tokens` tokens
 * (10 clients, tokens / 10 users, Django's exact DDL), on SQLite and, when DURIN_TEST_MYSQL_URL is
 * set, on MariaDB: the dry run (read and check every row) and the import (check, build, copy, swap).
 * `npx tsx bench/djangoImport.ts --tokens 100000` runs it alone; bench/run.ts calls it for `djangoImport`.
 */

const CLIENTS = 10;
const BATCH = 1000;

interface ImportTiming {
  readonly tokens: number;
  readonly dryRunSeconds: number;
  readonly importSeconds: number;
  readonly tokensPerSecond: number;
}

async function fill(sequelize: Sequelize, dialect: 'sqlite' | 'mysql', tokens: number): Promise<void> {
  for (const sql of dialect === 'sqlite' ? SQLITE_DDL : MARIADB_DDL) await sequelize.query(sql);
  const users = Math.ceil(tokens / CLIENTS);
  const password = `pbkdf2_sha256$260000$bench$${Buffer.alloc(32).toString('base64')}`;
  for (let first = 1; first <= users; first += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, users - first + 1) }, (_, i) => first + i);
    await sequelize.query(
      'INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ' +
        ids.map((id) => `(${id}, '${password}', NULL, 0, 'user${id}', '', '', '', 0, 1, '2020-01-01 00:00:00')`).join(', '),
    );
  }
  const clients = Array.from({ length: CLIENTS }, (_, i) => `(${i + 1}, 'client${i + 1}', ${(i + 1) * 86_400_000_000 + 500_000}, '')`);
  await sequelize.query(`INSERT INTO durin_client (id, name, token_ttl, throttle_rate) VALUES ${clients.join(', ')}`);
  for (let first = 1; first <= tokens; first += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, tokens - first + 1) }, (_, i) => {
      const id = first + i;
      const user = Math.floor((id - 1) / CLIENTS) + 1;
      const client = ((id - 1) % CLIENTS) + 1;
      return `(${id}, '${randomBytes(32).toString('hex')}', '2026-12-01 18:32:51.457698', '2027-12-01 18:32:51.457698', ${client}, ${user})`;
    });
    await sequelize.query(`INSERT INTO durin_authtoken (id, token, created, expiry, client_id, user_id) VALUES ${rows.join(', ')}`);
  }
}

async function time(sequelize: Sequelize, dialect: 'sqlite' | 'mysql', tokens: number): Promise<ImportTiming> {
  await fill(sequelize, dialect, tokens);
  let started = performance.now();
  await importDjangoDurin(sequelize, { dryRun: true });
  const dryRunSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const report = await importDjangoDurin(sequelize);
  const importSeconds = (performance.now() - started) / 1000;
  if (report.tokens !== tokens) throw new Error(`imported ${report.tokens} tokens, expected ${tokens}`);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    tokens,
    dryRunSeconds: round(dryRunSeconds),
    importSeconds: round(importSeconds),
    tokensPerSecond: Math.round(tokens / importSeconds),
  };
}

/** `{ sqlite, mysql }` timings of a dry run and an import of `tokens` django-rest-durin tokens. */
export async function benchDjangoImport(options: { tokens?: number; mysqlUrl?: string } = {}) {
  const tokens = options.tokens ?? 100_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'durin-bench-django-'));
  const sqlite = new Sequelize({ dialect: 'sqlite', storage: path.join(dir, 'django.db'), logging: false });
  let sqliteTiming: ImportTiming;
  try {
    sqliteTiming = await time(sqlite, 'sqlite', tokens);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  let mysqlTiming: ImportTiming | null = null;
  if (options.mysqlUrl) {
    const name = `durin_bench_django_${randomBytes(4).toString('hex')}`;
    const admin = new Sequelize(options.mysqlUrl, { logging: false });
    await admin.query(`CREATE DATABASE \`${name}\``);
    const url = new URL(options.mysqlUrl);
    url.pathname = `/${name}`;
    const mysql = new Sequelize(url.toString(), { logging: false });
    try {
      mysqlTiming = await time(mysql, 'mysql', tokens);
    } finally {
      await mysql.close();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.close();
    }
  }
  return { sqlite: sqliteTiming, mysql: mysqlTiming };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { tokens: { type: 'string', default: '100000' } } });
  const started = performance.now();
  const result = await benchDjangoImport({ tokens: Number(values.tokens), mysqlUrl: process.env.DURIN_TEST_MYSQL_URL });
  console.log(JSON.stringify(result, null, 2));
  console.log(`whole run ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
