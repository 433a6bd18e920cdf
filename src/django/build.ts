import type { QueryInterface, Sequelize } from 'sequelize';
import { Umzug, type SequelizeStorage } from 'umzug';
import { isDurinConfigError } from '../config/messages.js';
import { createDurinMigrations } from '../migrations/createDurinMigrations.js';
import type { Survey, TableNames } from './copy.js';
import type { UserReference } from './inspect.js';
import { DJANGO_IMPORT_ERRORS as ERRORS, fail } from './messages.js';

/** What the SQLite and MySQL builders share. */

export const REAL: TableNames = { client: 'durin_client', token: 'durin_authtoken' };
/** Where the old tables go while the new ones take their names; dropped at the end. */
export const OLD: TableNames = { client: 'durin_client__django', token: 'durin_authtoken__django' };
/** SequelizeMeta's name while the MySQL import swaps it; the old tables' names stay until the drop. */
export const OLD_META = 'SequelizeMeta__django';

/**
 * The old tables an import leaves only when it is stopped between its RENAME TABLE swap and the
 * DROP that follows (MySQL): they hold plaintext tokens, so a later run drops them.
 */
export async function leftoverOldTables(sequelize: Sequelize): Promise<string[]> {
  const found: string[] = [];
  for (const table of [OLD.token, OLD.client, OLD_META]) {
    if (await sequelize.getQueryInterface().tableExists(table)) found.push(table);
  }
  return found;
}

/** The import converts into this migration's schema, then applies the ones after it. */
export const FIRST_MIGRATION = 'durin_0001_initial';

/** What a builder needs: the user table, the surveyed rows, the batch size. */
export interface BuildInput {
  readonly user: UserReference;
  readonly found: Survey;
  readonly batchSize: number;
}

/**
 * The umzug setup `trpc-durin migrate` uses (src/migrations/index.ts is the one list), on the given
 * QueryInterface and storage: every migration added to the package later is applied by the import too.
 */
export function durinUmzug(user: UserReference, context: QueryInterface, storage: SequelizeStorage) {
  const migrations = createDurinMigrations({ userTable: user.table, userKey: user.key, userKeyType: user.keyType });
  return new Umzug({ migrations, context, storage, logger: undefined });
}

/** A failure while building the new tables, as one line with the database's words. */
export function buildFailed(error: unknown): never {
  if (isDurinConfigError(error)) throw error;
  let inner = error as { cause?: unknown; original?: { message?: string }; message?: string };
  if (error instanceof Error && error.name === 'MigrationError' && inner.cause) inner = inner.cause as typeof inner;
  const reason = inner.original?.message ?? inner.message ?? String(error);
  return fail(ERRORS.copyFailed(reason.replace(/\s*\n\s*/g, ' ')), error);
}
