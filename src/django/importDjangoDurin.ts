import { QueryTypes, type Sequelize } from 'sequelize';
import { createDurinMigrations } from '../migrations/createDurinMigrations.js';
import { leftoverOldTables, REAL } from './build.js';
import { survey } from './copy.js';
import { dialectOf, readDatabaseState, readUserReference } from './inspect.js';
import { DJANGO_IMPORT_ERRORS as ERRORS, fail } from './messages.js';
import { dropNewTables, swapInMysql } from './mysqlSwap.js';
import { importSqlite } from './sqliteImport.js';

/** Options of `importDjangoDurin`. @see README "Moving from Django" */
export interface DurinDjangoImportOptions {
  /**
   * The user table tokens belong to. @default the table `durin_authtoken.user_id` references
   * (Django's `auth_user`)
   */
  userTable?: string;
  /** Its primary key column. @default the referenced column, else "id" */
  userKey?: string;
  /** Read and check everything, report what would change, change nothing. @default false */
  dryRun?: boolean;
  /** Tokens read and written per statement. @default 1000 */
  batchSize?: number;
}

/** A client whose TTL was not a whole number of seconds, and the whole seconds it now has. */
export interface DurinRoundedTtl {
  readonly client: string;
  readonly microseconds: string;
  readonly seconds: number;
}

/** What `importDjangoDurin` did, or (dry run) would do. */
export interface DurinDjangoImportReport {
  /** `alreadyImported`: durin's tables were trpc-durin's already; nothing changed but `droppedLeftovers`. */
  readonly outcome: 'imported' | 'dryRun' | 'alreadyImported';
  readonly clients: number;
  readonly tokens: number;
  /** Imported too, and refused on use as durin refused them. */
  readonly expiredTokens: number;
  readonly roundedTtls: readonly DurinRoundedTtl[];
  /** The trpc-durin migrations applied (or to apply) and recorded in SequelizeMeta. */
  readonly migrations: readonly string[];
  /** `alreadyImported`: migrations still pending, for `trpc-durin migrate`. */
  readonly pendingMigrations: readonly string[];
  readonly userTable: string | null;
  /**
   * `alreadyImported`: old tables (plaintext tokens) left by an import stopped right after its swap,
   * dropped now (or, in a dry run, to drop).
   */
  readonly droppedLeftovers: readonly string[];
}

function checkOptions(options: DurinDjangoImportOptions): number {
  for (const name of ['userTable', 'userKey'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) fail(ERRORS.badOption(name, String(value)));
  }
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) fail(ERRORS.badBatchSize(String(batchSize)));
  return batchSize;
}

async function executedMigrations(sequelize: Sequelize): Promise<string[]> {
  if (!(await sequelize.getQueryInterface().tableExists('SequelizeMeta'))) return [];
  const rows = await sequelize.query<{ name: string }>('SELECT name FROM `SequelizeMeta`', { type: QueryTypes.SELECT });
  return rows.map((row) => row.name);
}

/**
 * Converts a database written by django-rest-durin 1.x, in place, into trpc-durin's schema
 * (durin's two tables plus every later migration, recorded in SequelizeMeta, so `trpc-durin migrate`
 * afterwards has nothing to do. Every token is replaced by its SHA-256 digest; ids, users, clients,
 * TTLs (microseconds → seconds, rounded up), rates, `created` and `expiry` (to the millisecond) are
 * kept, expired tokens included. Refuses, changing nothing, a database that is not durin's and rows
 * the new schema cannot hold; a second run changes nothing (`outcome: 'alreadyImported'`). A failure
 * midway leaves the database as it was: one transaction on SQLite; on MySQL new tables, the copy, then
 * one RENAME TABLE. Run it while no app writes to durin's tables.
 *
 * @example const report = await importDjangoDurin(sequelize); // { outcome: 'imported', tokens: 1234, ... }
 * @see README "Moving from Django"
 */
export async function importDjangoDurin(sequelize: Sequelize, options: DurinDjangoImportOptions = {}): Promise<DurinDjangoImportReport> {
  const batchSize = checkOptions(options);
  const dialect = dialectOf(sequelize);
  const executed = await executedMigrations(sequelize);
  if ((await readDatabaseState(sequelize)) === 'trpc-durin') {
    const pendingMigrations = createDurinMigrations()
      .map((m) => m.name)
      .filter((name) => !executed.includes(name));
    const droppedLeftovers = await leftoverOldTables(sequelize);
    for (const table of options.dryRun ? [] : droppedLeftovers) await sequelize.getQueryInterface().dropTable(table);
    const nothing = { clients: 0, tokens: 0, expiredTokens: 0, roundedTtls: [], migrations: [], userTable: null };
    return { outcome: 'alreadyImported', ...nothing, pendingMigrations, droppedLeftovers };
  }
  const recorded = executed.filter((name) => name.startsWith('durin_'));
  if (recorded.length > 0) fail(ERRORS.metaAlreadyRecords(recorded.join(', ')));
  const user = await readUserReference(sequelize, dialect, { table: options.userTable, key: options.userKey });
  const found = await survey({ sequelize, dialect, batchSize }, REAL);
  if (found.problems.length > 0) fail(ERRORS.rowsRefused(found.problems.join('; ')));
  const report = {
    clients: found.clients.length,
    tokens: found.tokens,
    expiredTokens: found.expiredTokens,
    roundedTtls: found.clients.flatMap(({ row, roundedFromMicroseconds }) =>
      roundedFromMicroseconds === undefined ? [] : [{ client: row.name, microseconds: roundedFromMicroseconds, seconds: row.token_ttl }],
    ),
    pendingMigrations: [],
    userTable: user.table,
    droppedLeftovers: [],
  };
  if (options.dryRun) return { ...report, outcome: 'dryRun', migrations: createDurinMigrations().map((m) => m.name) };
  await dropNewTables(sequelize); // left by an import killed before its swap
  const migrations =
    dialect === 'sqlite'
      ? await importSqlite(sequelize, { user, found, batchSize })
      : await swapInMysql(sequelize, { user, found, batchSize });
  return { ...report, outcome: 'imported', migrations };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinDjangoImportReport`. */
export type DjangoImportReport = DurinDjangoImportReport;
/** @deprecated Use `DurinDjangoImportOptions`. */
export type ImportDjangoDurinOptions = DurinDjangoImportOptions;
/** @deprecated Use `DurinRoundedTtl`. */
export type RoundedTtl = DurinRoundedTtl;
