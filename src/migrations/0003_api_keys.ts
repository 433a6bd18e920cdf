import { DataTypes, QueryTypes, type QueryInterface } from 'sequelize';
import type { DurinMigration } from './0001_initial.js';

/**
 * `durin_0003_api_keys`: what many named API keys per user and per-token abilities need.
 *
 * - `durin_client.abilities` (JSON, null = every ability): the abilities every token of the client gets.
 * - `durin_authtoken.abilities` (JSON, null = every ability), `kind` ('session' or 'apiKey'),
 *   `session_slot` and `start` (the token's first characters after the prefix, so a list can tell
 *   keys apart without ever holding a token).
 * - The unique (user_id, client_id) becomes (user_id, client_id, session_slot). A session holds
 *   the slot (1), so sessions stay one per (user, client) and login keeps rotating them; a key
 *   holds NULL, and NULLs never collide in a unique index (MySQL, MariaDB and SQLite alike), so a
 *   user may hold many keys on one client.
 *
 * Existing rows are sessions with every ability: the defaults say so, so live tokens keep working.
 * The new index is added before the old one goes because MySQL needs an index led by `user_id`
 * for its foreign key at every moment. `ALTER TABLE ... ADD` appends, in the order below, which
 * is the order the model lists the columns: `durin.sync()` creates the same table.
 */

const TOKEN_TABLE = 'durin_authtoken';
const CLIENT_TABLE = 'durin_client';
const OLD_INDEX = 'durin_authtoken_user_client_unique';
const NEW_INDEX = 'durin_authtoken_user_client_session_unique';

/** Written out here, not imported from the model: a migration is history. */
const CLIENT_COLUMNS = {
  abilities: { type: DataTypes.JSON, allowNull: true },
} as const;

const TOKEN_COLUMNS = {
  abilities: { type: DataTypes.JSON, allowNull: true },
  kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'session' },
  session_slot: { type: DataTypes.BOOLEAN, allowNull: true, defaultValue: true },
  start: { type: DataTypes.STRING(8), allowNull: true },
} as const;

async function dropColumns(queryInterface: QueryInterface, table: string, columns: readonly string[]): Promise<void> {
  const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
  for (const column of [...columns].reverse()) {
    if (sqlite) {
      // Sequelize's SQLite removeColumn rebuilds the table from describeTable, which loses the
      // unique indexes; SQLite (3.35+) drops a plain column in place.
      await queryInterface.sequelize.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${column}\``);
    } else {
      await queryInterface.removeColumn(table, column);
    }
  }
}

export const apiKeysMigration: DurinMigration = Object.freeze({
  name: 'durin_0003_api_keys',
  async up({ context: queryInterface }: { context: QueryInterface }) {
    for (const [column, definition] of Object.entries(CLIENT_COLUMNS)) {
      await queryInterface.addColumn(CLIENT_TABLE, column, definition);
    }
    for (const [column, definition] of Object.entries(TOKEN_COLUMNS)) {
      await queryInterface.addColumn(TOKEN_TABLE, column, definition);
    }
    await queryInterface.addIndex(TOKEN_TABLE, ['user_id', 'client_id', 'session_slot'], { name: NEW_INDEX, unique: true });
    await queryInterface.removeIndex(TOKEN_TABLE, OLD_INDEX);
  },
  async down({ context: queryInterface }: { context: QueryInterface }) {
    // The older schema holds one token per (user, client): API keys cannot survive the way back.
    await queryInterface.sequelize.query(`DELETE FROM ${queryInterface.quoteIdentifier(TOKEN_TABLE)} WHERE session_slot IS NULL`, {
      type: QueryTypes.DELETE,
    });
    await queryInterface.addIndex(TOKEN_TABLE, ['user_id', 'client_id'], { name: OLD_INDEX, unique: true });
    await queryInterface.removeIndex(TOKEN_TABLE, NEW_INDEX);
    await dropColumns(queryInterface, TOKEN_TABLE, Object.keys(TOKEN_COLUMNS));
    await dropColumns(queryInterface, CLIENT_TABLE, Object.keys(CLIENT_COLUMNS));
  },
});
