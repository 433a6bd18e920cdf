import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { onTestFinished } from 'vitest';
import { createTestDatabase, testDialect } from '../helpers/db.js';
import { MARIADB_DDL, SQLITE_DDL } from './djangoDdl.js';

/**
 * A database as django-rest-durin 1.1.0 and Django 3.2 leave it, built from the DDL Django emitted
 * on each backend (/work/shared/reference/django-durin-schema.md, copied statement by statement) and
 * filled with raw SQL in Django's value formats: naive UTC datetime text (no fraction when the
 * microseconds are zero), TTLs in microseconds, plaintext tokens.
 */

/** An empty database the test owns: a temp SQLite file (so its bytes can be read), or a fresh MariaDB database. */
export interface ScratchDatabase {
  readonly sequelize: Sequelize;
  readonly dialect: 'sqlite' | 'mysql';
  /** What DATABASE_URL would be for the CLI. */
  readonly url: string;
  /** The SQLite file, or null on MySQL. */
  readonly file: string | null;
}

export async function scratchDatabase(): Promise<ScratchDatabase> {
  if (testDialect() === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'durin-django-'));
    const file = join(dir, 'django.db');
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
    onTestFinished(async () => {
      await sequelize.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { sequelize, dialect: 'sqlite', url: `sqlite:${file}`, file };
  }
  const db = await createTestDatabase();
  onTestFinished(() => db.close());
  const url = new URL(process.env.DURIN_TEST_MYSQL_URL!);
  url.pathname = `/${db.sequelize.config.database}`;
  return { sequelize: db.sequelize, dialect: 'mysql', url: url.toString(), file: null };
}

/** Creates Django's auth_user and django_migrations and, unless `durin: false`, durin's two tables. */
export async function createDjangoTables(db: ScratchDatabase, { durin = true } = {}): Promise<void> {
  const statements = db.dialect === 'sqlite' ? SQLITE_DDL : MARIADB_DDL;
  for (const sql of statements) {
    if (!durin && /durin_/.test(sql)) continue;
    await db.sequelize.query(sql);
  }
  if (!durin) return;
  await db.sequelize.query(
    "INSERT INTO django_migrations (app, name, applied) VALUES ('durin', '0001_initial', '2020-01-01 00:00:00'), ('durin', '0002_client_throttlerate', '2020-01-01 00:00:00')",
  );
}

/** Django's naive UTC text: `YYYY-MM-DD HH:MM:SS.ffffff`, without the fraction when the microseconds are zero. */
export function djangoDatetime(milliseconds: number, extraMicroseconds = 0): string {
  const iso = new Date(milliseconds).toISOString(); // 2026-12-01T18:32:51.457Z
  const micro = (milliseconds % 1000) * 1000 + extraMicroseconds;
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return micro === 0 ? base : `${base}.${String(micro).padStart(6, '0')}`;
}

/**
 * PBKDF2-HMAC-SHA256 as RFC 8018 section 5.2 defines it, one 32-byte block: U1 = HMAC(P, S || INT(1)),
 * Ui = HMAC(P, Ui-1), T = U1 xor ... xor Uc. Written from the RFC, independently of node's pbkdf2.
 */
export function pbkdf2Sha256Block(password: string, salt: string, iterations: number): Buffer {
  const hmac = (data: Buffer) => createHmac('sha256', password).update(data).digest();
  let u = hmac(Buffer.concat([Buffer.from(salt, 'utf8'), Buffer.from([0, 0, 0, 1])]));
  const t = Buffer.from(u);
  for (let i = 1; i < iterations; i += 1) {
    u = hmac(u);
    for (let j = 0; j < t.length; j += 1) t[j]! ^= u[j]!;
  }
  return t;
}

/** Django's encoded password: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`. */
export function djangoPassword(password: string, iterations = 1000, salt = randomBytes(9).toString('base64url')): string {
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sha256Block(password, salt, iterations).toString('base64')}`;
}

export async function insertUser(db: ScratchDatabase, id: number, username: string, password: string, isActive = true): Promise<void> {
  await db.sequelize.query(
    'INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) ' +
      "VALUES (?, ?, NULL, 0, ?, '', '', '', 0, ?, '2020-01-01 00:00:00')",
    { replacements: [id, djangoPassword(password), username, isActive ? 1 : 0] },
  );
}

export async function insertClient(
  db: ScratchDatabase,
  id: number,
  name: string,
  ttlMicroseconds: bigint,
  throttleRate = '',
): Promise<void> {
  // The TTL as a literal: it is a BIGINT of microseconds, as Django writes it.
  await db.sequelize.query(`INSERT INTO durin_client (id, name, token_ttl, throttle_rate) VALUES (?, ?, ${ttlMicroseconds}, ?)`, {
    replacements: [id, name, throttleRate],
  });
}

export async function insertToken(
  db: ScratchDatabase,
  row: { id: number; token: string; created: string; expiry: string; clientId: number; userId: number },
): Promise<void> {
  await db.sequelize.query('INSERT INTO durin_authtoken (id, token, created, expiry, client_id, user_id) VALUES (?, ?, ?, ?, ?, ?)', {
    replacements: [row.id, row.token, row.created, row.expiry, row.clientId, row.userId],
  });
}

/** Every table's name, sorted. */
export async function tableNames(db: ScratchDatabase): Promise<string[]> {
  const names = (await db.sequelize.getQueryInterface().showAllTables()) as Array<string | { tableName: string }>;
  return names.map((name) => (typeof name === 'string' ? name : name.tableName)).sort();
}

/** Every table's DDL and rows: equal snapshots mean nothing changed. */
export async function snapshot(db: ScratchDatabase): Promise<Record<string, { ddl: string; rows: unknown[] }>> {
  const result: Record<string, { ddl: string; rows: unknown[] }> = {};
  for (const table of await tableNames(db)) {
    const ddl =
      db.dialect === 'sqlite'
        ? (
            await db.sequelize.query<{ sql: string }>("SELECT group_concat(sql, ';') AS sql FROM sqlite_master WHERE tbl_name = ?", {
              replacements: [table],
              type: QueryTypes.SELECT,
            })
          )[0]!.sql
        : (await db.sequelize.query<Record<string, string>>(`SHOW CREATE TABLE \`${table}\``, { type: QueryTypes.SELECT }))[0]![
            'Create Table'
          ]!;
    const rows = await db.sequelize.query(`SELECT * FROM \`${table}\` ORDER BY 1`, { type: QueryTypes.SELECT });
    result[table] = { ddl, rows };
  }
  return result;
}
