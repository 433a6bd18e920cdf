import { QueryTypes, type Model, type ModelStatic } from 'sequelize';
import { DURIN_CONFIG_PROBLEMS, invalidConfig } from '../config/messages.js';
import type { DurinModels } from '../models/types.js';
import type { TokenLifecycle } from './tokens.js';

/**
 * The user model's primary key against the `durin_authtoken.user_id` column the migrations made.
 * A UUID-keyed model on tables migrated for an INTEGER key compiles, starts and then fails at the
 * first login with the driver's "Data truncated for column 'user_id'". createDurin runs no query,
 * so the column is read once, just before the first token write, and a mismatch of families
 * (integer against string) is refused naming the key, both types and the fix. A match is
 * remembered, so later writes cost nothing; a type this check does not know is let through.
 */

type KeyFamily = 'integer' | 'string';

const INTEGER_TYPES = new Set(['INTEGER', 'BIGINT', 'SMALLINT', 'MEDIUMINT', 'TINYINT']);
const STRING_TYPES = new Set(['STRING', 'CHAR', 'UUID', 'TEXT', 'CITEXT']);

function attributeFamily(typeKey: string | undefined): KeyFamily | null {
  if (typeKey === undefined) return null;
  if (INTEGER_TYPES.has(typeKey)) return 'integer';
  return STRING_TYPES.has(typeKey) ? 'string' : null;
}

/** A column's SQL type ("int", "bigint(20)", "CHAR(36) BINARY", "varchar", "UUID") by family. */
function columnFamily(sqlType: string): KeyFamily | null {
  if (/INT/i.test(sqlType)) return 'integer';
  return /CHAR|TEXT|UUID|CLOB/i.test(sqlType) ? 'string' : null;
}

/** user_id's declared type: SQLite's `PRAGMA table_info`, MySQL's information_schema; null when the table is not there. */
async function userIdColumnType(models: DurinModels): Promise<string | null> {
  const sequelize = models.AuthToken.sequelize!;
  const name = models.AuthToken.getTableName();
  const table = typeof name === 'string' ? name : name.tableName;
  if (sequelize.getDialect() === 'sqlite') {
    const columns = await sequelize.query<{ name: string; type: string }>(`PRAGMA table_info(\`${table.replace(/`/g, '``')}\`)`, {
      type: QueryTypes.SELECT,
    });
    return columns.find((column) => column.name === 'user_id')?.type ?? null;
  }
  const [row] = await sequelize.query<{ type: string }>(
    'SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    { replacements: [table, 'user_id'], type: QueryTypes.SELECT },
  );
  return row?.type ?? null;
}

export interface UserKeyCheck {
  /** Resolves once user_id is known to fit the user model's key; rejects with a DurinConfigError when it does not. */
  ensure(): Promise<void>;
}

export function createUserKeyCheck(models: DurinModels, userModel: ModelStatic<Model>): UserKeyCheck {
  const key = userModel.primaryKeyAttribute;
  const typeKey = (userModel.getAttributes()[key]?.type as { key?: string } | undefined)?.key;
  const expected = attributeFamily(typeKey);
  let checked: Promise<void> | null = expected === null ? Promise.resolve() : null;

  async function check(): Promise<void> {
    const columnType = await userIdColumnType(models);
    // No table (yet): the write itself will say so, in the database's words.
    if (columnType === null) return;
    const found = columnFamily(columnType);
    if (found === null || found === expected) return;
    throw invalidConfig('option', 'userModel', DURIN_CONFIG_PROBLEMS.userKeyMismatch({ key, type: typeKey!, column: columnType }));
  }

  return {
    ensure() {
      // A failed check is not remembered: the app may migrate and retry without restarting.
      checked ??= check().catch((error: unknown) => {
        checked = null;
        throw error;
      });
      return checked;
    },
  };
}

/** `tokens` whose two writers of new rows (sessions and API keys) run the key check first. */
export function checkingUserKey<TUser>(tokens: TokenLifecycle<TUser>, check: UserKeyCheck): TokenLifecycle<TUser> {
  return {
    ...tokens,
    async issue(...args) {
      await check.ensure();
      return tokens.issue(...args);
    },
    async issueKey(...args) {
      await check.ensure();
      return tokens.issueKey(...args);
    },
  };
}
