import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { hashToken } from '../core/crypto.js';
import { DURIN_INTERNAL_MESSAGES } from '../errors.js';

/**
 * The username as the login throttle counts it. An app's `findOne({ where: { username } })` logs
 * in every spelling its column's collation equates with the real name; counted apart, each spelling
 * would get a fresh budget of attempts. A hand-made fold cannot follow every collation (MariaDB's
 * general_ci equates ß with s, the UCA ones equate ß with ss, Arabic-Indic digits with ASCII ones,
 * modifier letters with plain ones...), so the key is whatever the database itself compares:
 * - MariaDB/MySQL: the collation's sort key, `WEIGHT_STRING(name COLLATE <the column's collation>)`,
 *   with the collation read once from information_schema; a PAD SPACE collation also ignores
 *   trailing characters that weigh as a space, so those weights are dropped from the key's end;
 * - SQLite: the column's built-in collation applied in JavaScript (BINARY: as is; NOCASE: ASCII
 *   letters lowercased; RTRIM: trailing spaces dropped), exactly what SQLite defines them to do.
 * Two names get one key exactly when the column equates them, by construction. It costs one small
 * query per login attempt on MariaDB/MySQL and none on SQLite; the token path never runs it.
 */

/** Longest throttle key stored as is; a longer one is stored as its SHA-256 (bounded memory per key). */
export const MAX_THROTTLE_KEY_LENGTH = 200;

/** A throttle key of bounded length: long ones (an 8 KB forwarded address, a long sort key) are hashed. */
export function boundedKey(key: string): string {
  return key.length <= MAX_THROTTLE_KEY_LENGTH ? key : `throttle_sha256_${hashToken(key)}`;
}

/** The key of a login name: equal for two names exactly when the username column equates them. */
export type LoginNameKey = (username: string) => Promise<string>;

/** How a MariaDB/MySQL column compares: its character set, collation, and the weight of one space. */
export interface ColumnCollation {
  readonly charset: string;
  readonly collation: string;
  /** The hex sort key of ' ' when the collation pads with spaces (trailing spaces ignored), else null. */
  readonly padWeight: string | null;
}

const SQL_NAME = /^\w{1,64}$/;

/** The SQL that computes the hex sort key of `operand` (a placeholder or a column) under `column`'s collation. */
export function weightSql(column: Pick<ColumnCollation, 'charset' | 'collation'>, operand: string): string {
  return `HEX(WEIGHT_STRING(CONVERT(${operand} USING ${column.charset}) COLLATE ${column.collation}))`;
}

/**
 * The key from a hex sort key: a PAD SPACE collation compares as if the shorter name were padded
 * with spaces, so weights of a space at the end do not tell two names apart and are dropped.
 */
export function keyFromWeight(hex: string, padWeight: string | null): string {
  let end = hex.length;
  if (padWeight) {
    const unit = padWeight.length;
    while (end >= unit && end % unit === 0 && hex.slice(end - unit, end) === padWeight) end -= unit;
  }
  return `w${hex.slice(0, end)}`;
}

/** The SQLite collation named in the column's definition (BINARY when none). */
export function sqliteColumnCollation(createSql: string, column: string): string {
  for (const definition of topLevelParts(createSql.slice(createSql.indexOf('(') + 1, createSql.lastIndexOf(')')))) {
    const name = /^\s*(?:`([^`]+)`|"([^"]+)"|\[([^\]]+)\]|'([^']+)'|(\w+))/.exec(definition);
    const found = name && (name[1] ?? name[2] ?? name[3] ?? name[4] ?? name[5]);
    if (found?.toLowerCase() !== column.toLowerCase()) continue;
    return /\bCOLLATE\s+["`[]?(\w+)/i.exec(definition)?.[1]?.toUpperCase() ?? 'BINARY';
  }
  return 'BINARY';
}

/** Splits a column list on its top-level commas (not those inside parentheses or quotes). */
function topLevelParts(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const char = list[i]!;
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === '`' || char === "'") quote = char;
    else if (char === '[') quote = ']';
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts;
}

const SQLITE_KEYS: Readonly<Record<string, (name: string) => string>> = {
  BINARY: (name) => name,
  NOCASE: (name) => name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()),
  RTRIM: (name) => name.replace(/ +$/, ''),
};

/** Where the username column is: its schema (null: the connection's database), table and column name. */
export interface ColumnPlace {
  readonly schema: string | null;
  readonly table: string;
  readonly column: string;
}

/** A MariaDB/MySQL column's collation, read from information_schema; null for a column that is not text. */
export async function readColumnCollation(sequelize: Sequelize, place: ColumnPlace): Promise<ColumnCollation | null> {
  const [rows] = await sequelize.query(
    'SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    { replacements: [place.schema, place.table, place.column] },
  );
  const row = (rows as Array<{ charset: string | null; collation: string | null }>)[0];
  if (!row) throw new Error(DURIN_INTERNAL_MESSAGES.usernameColumnMissing(place.table, place.column));
  if (!row.charset || !row.collation) return null;
  // Both are spliced into SQL: only plain names are.
  if (!SQL_NAME.test(row.charset) || !SQL_NAME.test(row.collation)) {
    throw new Error(DURIN_INTERNAL_MESSAGES.usernameCollationUnknown(row.collation));
  }
  const named = { charset: row.charset, collation: row.collation };
  // PAD SPACE (MariaDB's default) compares 'a' and 'a ' as equal; a NO PAD collation does not.
  const [padRows] = await sequelize.query(
    `SELECT CONVERT('a' USING ${named.charset}) COLLATE ${named.collation} = 'a ' AS pads, ${weightSql(named, "' '")} AS space`,
  );
  const pad = (padRows as Array<{ pads: number | string; space: string }>)[0]!;
  return { ...named, padWeight: Number(pad.pads) === 1 ? pad.space : null };
}

/** The login key for `userModel`'s `attribute` (the column `authenticateUser` looks names up in). */
export function createLoginNameKey(userModel: ModelStatic<Model>, attribute: string): LoginNameKey {
  const sequelize = userModel.sequelize!;
  const column = userModel.getAttributes()[attribute]?.field ?? attribute;
  const table = userModel.getTableName() as string | { tableName: string; schema?: string };
  const tableName = typeof table === 'string' ? table : table.tableName;
  const schema = typeof table === 'string' ? null : (table.schema ?? null);
  const dialect = sequelize.getDialect();
  let resolving: Promise<LoginNameKey> | null = null;

  async function mysqlKey(): Promise<LoginNameKey> {
    const found = await readColumnCollation(sequelize, { schema, table: tableName, column });
    // Not a text column: its values compare as they are.
    if (!found) return async (name) => `r${name}`;
    const sql = `SELECT ${weightSql(found, '?')} AS weight`;
    return async (name) => {
      const [weights] = await sequelize.query(sql, { replacements: [name] });
      return keyFromWeight((weights as Array<{ weight: string | null }>)[0]?.weight ?? '', found.padWeight);
    };
  }

  async function sqliteKey(): Promise<LoginNameKey> {
    const [rows] = await sequelize.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", {
      replacements: [tableName],
    });
    const createSql = (rows as Array<{ sql: string }>)[0]?.sql;
    if (!createSql) throw new Error(DURIN_INTERNAL_MESSAGES.usernameColumnMissing(tableName, column));
    const collation = sqliteColumnCollation(createSql, column);
    const key = SQLITE_KEYS[collation];
    if (!key) throw new Error(DURIN_INTERNAL_MESSAGES.usernameCollationUnknown(collation));
    return async (name) => `s${key(name)}`;
  }

  return async function loginNameKey(username) {
    if (dialect !== 'mysql' && dialect !== 'mariadb' && dialect !== 'sqlite') return `r${username}`;
    resolving ??= (dialect === 'sqlite' ? sqliteKey() : mysqlKey()).catch((error: unknown) => {
      // A failed read (the database was down) is tried again on the next login.
      resolving = null;
      throw error;
    });
    return (await resolving)(username);
  };
}
