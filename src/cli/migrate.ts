import { DataTypes, type DataType } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { createDurinMigrations } from '../migrations/createDurinMigrations.js';
import { readUserKeyColumnType } from '../migrations/userKeyColumn.js';
import type { CliDatabase } from './database.js';
import { CLI_ERRORS, CLI_OUTPUT, fail } from './messages.js';

/** `--user-key-type` values: the key type to assume while the user table does not exist yet. */
export const USER_KEY_TYPES = {
  integer: DataTypes.INTEGER,
  bigint: DataTypes.BIGINT,
  uuid: DataTypes.UUID,
  string: DataTypes.STRING,
} as const;

export type UserKeyTypeName = keyof typeof USER_KEY_TYPES;

export interface MigrateOptions {
  readonly userTable: string;
  readonly userKey: string;
  /** The key's type while the user table does not exist yet (the flag's, or the app model's). */
  readonly userKeyType: DataType;
  /** How the note names that type, e.g. "INTEGER". */
  readonly userKeyTypeLabel: string;
  /** Record the pending migrations as applied without running them (`--fake`). */
  readonly fake?: boolean;
}

/** A Sequelize data type's SQL name, e.g. "BIGINT" for DataTypes.BIGINT or BIGINT.UNSIGNED. */
export function keyTypeLabel(type: DataType): string {
  if (typeof type === 'string') return type;
  const instance = (typeof type === 'function' ? new (type as unknown as new () => { toSql(): string })() : type) as {
    toSql?: () => string;
    key?: string;
  };
  return instance.toSql?.() ?? instance.key ?? "the model's key type";
}

const DURIN_TABLES = ['durin_client', 'durin_authtoken'] as const;

/** The exact type of the user table's key (see readUserKeyColumnType), or `null` when the table does not exist yet. */
async function readUserKeyType(db: CliDatabase, table: string, key: string): Promise<DataType | null> {
  const type = await readUserKeyColumnType(db.sequelize.getQueryInterface(), { table, key });
  return type === undefined ? fail(CLI_ERRORS.noUserKey(table, key)) : type;
}

/**
 * `trpc-durin migrate`: runs durin's pending migrations with umzug, recorded in SequelizeMeta
 * (umzug's and sequelize-cli's default table), so a second run applies nothing. The foreign key to
 * the user table is always created. When that table does not exist yet, it points at the table the
 * app will create: SQLite allows that as is; MySQL does with FOREIGN_KEY_CHECKS off for this
 * session (as mysqldump does), and enforces it once the table exists. A note says so.
 */
export async function migrate(db: CliDatabase, options: MigrateOptions, print: (line: string) => void): Promise<void> {
  const keyType = await readUserKeyType(db, options.userTable, options.userKey);
  const umzug = new Umzug({
    migrations: createDurinMigrations({
      userTable: options.userTable,
      userKey: options.userKey,
      userKeyType: keyType ?? options.userKeyType,
    }),
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db.sequelize }),
    logger: undefined,
  });
  const pending = await umzug.pending();
  if (pending.length === 0) {
    print(CLI_OUTPUT.upToDate());
    return;
  }
  // Tables that sync() made are not recorded in SequelizeMeta: running 0001 on them would fail
  // with a duplicate key. Say so, and how to record them (Django's `migrate --fake`).
  const queryInterface = db.sequelize.getQueryInterface();
  const existing: string[] = [];
  for (const table of DURIN_TABLES) if (await queryInterface.tableExists(table)) existing.push(table);
  if (options.fake) {
    const missing = DURIN_TABLES.find((table) => !existing.includes(table));
    if (missing) fail(CLI_ERRORS.fakeWithoutTables(missing));
    const storage = new SequelizeStorage({ sequelize: db.sequelize });
    for (const { name } of pending) {
      await storage.logMigration({ name });
      print(CLI_OUTPUT.migrationFaked(name));
    }
    return;
  }
  if (existing.length > 0 && pending.some(({ name }) => name === 'durin_0001_initial'))
    fail(CLI_ERRORS.tablesExistUnrecorded(existing.join(', ')));
  const deferForeignKey = keyType === null;
  if (deferForeignKey) {
    print(CLI_OUTPUT.userTableMissing(options.userTable, options.userKey, options.userKeyTypeLabel));
    if (db.dialect === 'mysql') await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 0');
  }
  try {
    for (const { name } of await umzug.up()) print(CLI_OUTPUT.migrationApplied(name));
  } finally {
    if (deferForeignKey && db.dialect === 'mysql') await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 1');
  }
}
