import { DataTypes, type QueryInterface } from 'sequelize';
import type { DurinMigration } from './0001_initial.js';

/**
 * `durin_0002_session_metadata`: four nullable columns on `durin_authtoken`, so that a
 * session can be recognized (a name given at login, when, from where and with which browser it
 * was last used). Nullable and without defaults, so existing tokens keep working untouched and
 * start getting metadata on their next use. `ALTER TABLE ... ADD` appends, in this order, which is
 * the order the model lists them: `durin.sync()` creates the same table (test/migrations.test.ts).
 */

const TABLE = 'durin_authtoken';

/** Written out here, not imported from the model: a migration is history. */
const COLUMNS = {
  name: { type: DataTypes.STRING(64), allowNull: true },
  last_used_at: { type: DataTypes.DATE(3), allowNull: true },
  last_ip: { type: DataTypes.STRING(45), allowNull: true },
  user_agent: { type: DataTypes.STRING(255), allowNull: true },
} as const;

export const sessionMetadataMigration: DurinMigration = Object.freeze({
  name: 'durin_0002_session_metadata',
  async up({ context: queryInterface }: { context: QueryInterface }) {
    for (const [column, definition] of Object.entries(COLUMNS)) {
      await queryInterface.addColumn(TABLE, column, definition);
    }
  },
  async down({ context: queryInterface }: { context: QueryInterface }) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    for (const column of Object.keys(COLUMNS).reverse()) {
      if (sqlite) {
        // Sequelize's SQLite removeColumn rebuilds the table from describeTable, which loses the
        // (user_id, client_id) unique index; SQLite (3.35+) drops a plain column in place.
        await queryInterface.sequelize.query(`ALTER TABLE \`${TABLE}\` DROP COLUMN \`${column}\``);
      } else {
        await queryInterface.removeColumn(TABLE, column);
      }
    }
  },
});
