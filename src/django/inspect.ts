import { QueryTypes, type DataType, type Sequelize } from 'sequelize';
import { DJANGO_IMPORT_ERRORS as ERRORS, fail } from './messages.js';

/**
 * What is in the database before an import: django-rest-durin's two tables, trpc-durin's
 * (a second run), or something else (refused). Reads columns by name: Django's column order differs
 * between backends (reference: django-durin-schema.md).
 */

export const DURIN_TABLES = ['durin_client', 'durin_authtoken'] as const;

const DJANGO_COLUMNS = {
  durin_client: ['id', 'name', 'throttle_rate', 'token_ttl'],
  durin_authtoken: ['client_id', 'created', 'expiry', 'id', 'token', 'user_id'],
} as const;

export type DatabaseState = 'django' | 'trpc-durin';

export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(sequelize: Sequelize): Dialect {
  const dialect = sequelize.getDialect();
  if (dialect === 'sqlite') return 'sqlite';
  if (dialect === 'mysql' || dialect === 'mariadb') return 'mysql';
  return fail(ERRORS.unsupportedDialect(dialect));
}

async function columnsOf(sequelize: Sequelize, table: string): Promise<string[]> {
  const queryInterface = sequelize.getQueryInterface();
  if (!(await queryInterface.tableExists(table))) fail(ERRORS.noDurinTables(table));
  return Object.keys(await queryInterface.describeTable(table)).sort();
}

/**
 * 'django' (both tables exactly as django-rest-durin made them) or 'trpc-durin' (durin_authtoken
 * holds `token_hash`, not `token`: imported already, or made by `trpc-durin migrate`). Anything else
 * is refused with one line.
 */
export async function readDatabaseState(sequelize: Sequelize): Promise<DatabaseState> {
  const client = await columnsOf(sequelize, 'durin_client');
  const token = await columnsOf(sequelize, 'durin_authtoken');
  if (token.includes('token_hash') && !token.includes('token')) return 'trpc-durin';
  for (const [table, columns] of [
    ['durin_client', client],
    ['durin_authtoken', token],
  ] as const) {
    const expected = DJANGO_COLUMNS[table].join(', ');
    if (columns.join(', ') !== expected) fail(ERRORS.notDjangoSchema(table, expected, columns.join(', ')));
  }
  return 'django';
}

/** The table and key `durin_authtoken.user_id` points at, with the key's exact type. */
export interface UserReference {
  readonly table: string;
  readonly key: string;
  readonly keyType: DataType;
}

async function referencedByUserId(sequelize: Sequelize, dialect: Dialect): Promise<{ table: string; key: string } | null> {
  if (dialect === 'sqlite') {
    const rows = await sequelize.query<{ from: string; table: string; to: string | null }>('PRAGMA foreign_key_list(`durin_authtoken`)', {
      type: QueryTypes.SELECT,
    });
    const row = rows.find((candidate) => candidate.from === 'user_id');
    return row ? { table: row.table, key: row.to ?? 'id' } : null;
  }
  const [row] = await sequelize.query<{ table: string; key: string }>(
    'SELECT REFERENCED_TABLE_NAME AS `table`, REFERENCED_COLUMN_NAME AS `key` FROM information_schema.KEY_COLUMN_USAGE ' +
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'durin_authtoken' AND COLUMN_NAME = 'user_id' AND REFERENCED_TABLE_NAME IS NOT NULL",
    { type: QueryTypes.SELECT },
  );
  return row ?? null;
}

/**
 * The user table: the one `durin_authtoken.user_id` references (Django's `auth_user`) unless the
 * caller names another. Its key's type is read from the database, since the new foreign key must
 * match it exactly (MySQL also compares signedness and collation).
 */
export async function readUserReference(
  sequelize: Sequelize,
  dialect: Dialect,
  named: { table?: string | undefined; key?: string | undefined },
): Promise<UserReference> {
  const found = named.table ? { table: named.table, key: named.key ?? 'id' } : await referencedByUserId(sequelize, dialect);
  if (!found) return fail(ERRORS.noUserReference());
  const key = named.key ?? found.key;
  if (dialect === 'sqlite') {
    const queryInterface = sequelize.getQueryInterface();
    const column = (await queryInterface.tableExists(found.table)) ? (await queryInterface.describeTable(found.table))[key] : undefined;
    if (!column) fail(ERRORS.noUserTable(found.table, key));
    return { table: found.table, key, keyType: column.type };
  }
  const [column] = await sequelize.query<{ type: string; collation: string | null }>(
    'SELECT COLUMN_TYPE AS type, COLLATION_NAME AS collation FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    { replacements: [found.table, key], type: QueryTypes.SELECT },
  );
  if (!column) fail(ERRORS.noUserTable(found.table, key));
  return { table: found.table, key, keyType: column.collation ? `${column.type} COLLATE ${column.collation}` : column.type };
}
