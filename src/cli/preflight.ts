import { QueryTypes } from 'sequelize';
import type { CliDatabase } from './database.js';
import { CLI_ERRORS, fail } from './messages.js';

/**
 * What a command needs before it runs, checked by asking the database rather than by reading the
 * driver's error text afterwards (each dialect words "no such table" its own way).
 */

const DURIN_TABLES = ['durin_client', 'durin_authtoken'] as const;

/** Every command but `migrate` works on durin's tables: they must exist. */
export async function requireDurinTables(db: CliDatabase): Promise<void> {
  const queryInterface = db.sequelize.getQueryInterface();
  for (const table of DURIN_TABLES) {
    if (!(await queryInterface.tableExists(table))) fail(CLI_ERRORS.noDurinTables(table));
  }
}

/**
 * Deleting a client cascades to its tokens, and SQLite then checks `user_id`'s reference, which
 * fails while the table it names does not exist yet (MySQL does not look at the parent for that).
 * The table is the one the foreign key names, whatever `migrate` was told.
 */
export async function requireUserTableForCascade(db: CliDatabase): Promise<void> {
  if (db.dialect !== 'sqlite') return;
  const references = await db.sequelize.query<{ table: string; from: string }>('PRAGMA foreign_key_list(`durin_authtoken`)', {
    type: QueryTypes.SELECT,
  });
  const userTable = references.find((reference) => reference.from === 'user_id')?.table;
  if (userTable && !(await db.sequelize.getQueryInterface().tableExists(userTable))) fail(CLI_ERRORS.noUserTable(userTable));
}
