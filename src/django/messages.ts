import { DurinConfigError } from '../errors.js';

/**
 * Every sentence the Django importer throws, in one place, like the CLI's table. Each is
 * one line starting `trpc-durin: ` and says that nothing changed, so the CLI can print it as is.
 */

const UNCHANGED = 'nothing was changed';

export const DJANGO_IMPORT_ERRORS = {
  noDurinTables: (missing: string) => `not a django-rest-durin database: table ${missing} does not exist; ${UNCHANGED}`,
  notDjangoSchema: (table: string, expected: string, got: string) =>
    `not a django-rest-durin database: ${table} has columns ${got}, expected ${expected}; ${UNCHANGED}`,
  unsupportedDialect: (dialect: string) => `the Django import supports SQLite and MySQL/MariaDB, not ${dialect}; ${UNCHANGED}`,
  metaAlreadyRecords: (names: string) =>
    `SequelizeMeta already records ${names} although durin's tables are django-rest-durin's; ${UNCHANGED}`,
  noUserReference: () => `durin_authtoken.user_id references no table; name the user table (--user-table, option userTable); ${UNCHANGED}`,
  noUserTable: (table: string, key: string) => `the user table ${table} has no column ${key}; ${UNCHANGED}`,
  rowsRefused: (list: string) => `cannot import, the target schema cannot hold these rows: ${list}; ${UNCHANGED}`,
  copyFailed: (reason: string) => `the import failed while building the new tables (${reason}); ${UNCHANGED}`,
  badBatchSize: (got: string) => `invalid import option "batchSize": expected an integer from 1 to 10000 (got ${got})`,
  badOption: (option: string, got: string) => `invalid import option "${option}": expected a non-empty name (got ${got})`,
} as const;

/** One refused row, for `rowsRefused`: which row and why (never a token's value). */
export const DJANGO_ROW_PROBLEMS = {
  nameTooLong: (id: string, length: number) => `durin_client id ${id}: name is ${length} characters (at most 64)`,
  badRate: (id: string, rate: string) => `durin_client id ${id}: throttle_rate ${JSON.stringify(rate.slice(0, 70))} is not a rate`,
  badTtl: (id: string, ttl: string) => `durin_client id ${id}: token_ttl ${ttl} µs is not a positive duration`,
  badToken: (id: string) => `durin_authtoken id ${id}: the token is empty, overlong or not printable, so it could never authenticate`,
  badDate: (id: string, column: string) => `durin_authtoken id ${id}: ${column} is not a datetime`,
  idNotInteger: (id: string) => `durin_authtoken id ${id} is not an integer`,
} as const;

/** Throws `trpc-durin: <message>` as a DurinConfigError. */
export function refuse(message: string, cause?: unknown): never {
  throw new DurinConfigError(`trpc-durin: ${message}`, cause === undefined ? undefined : { cause });
}
