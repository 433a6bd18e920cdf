import { DataTypes, QueryTypes, type DataType, type QueryInterface } from 'sequelize';
import { DURIN_CONFIG_MESSAGES, DurinConfigError } from '../config/messages.js';
import { readUserKeyColumnType } from './userKeyColumn.js';

/**
 * durin's `0001_initial` (with 0002's BIGINT ids and throttle_rate folded in): the two tables of
 * durin's two tables. A migration is history, so the table and index names are written out here rather
 * than imported from the models: renaming something later takes a new migration, not an edit.
 * The statements and their order are the ones `durin.sync()` runs (create, create, add the
 * unique index), so both paths leave the same schema; test/migrations.test.ts compares them.
 */

/** The app's user table that `durin_authtoken.user_id` references. */
export interface DurinUserReference {
  readonly table: string;
  readonly key: string;
  /**
   * The key's type while the table does not exist yet: a Sequelize data type, or a raw SQL type
   * such as "INT(10) UNSIGNED". Once the table exists, its column's exact type is used instead.
   */
  readonly keyType: DataType;
}

/** A migration in umzug's shape: `{ name, up({ context }), down({ context }) }`, context = QueryInterface. */
export interface DurinMigration {
  readonly name: string;
  up(params: { context: QueryInterface }): Promise<void>;
  down(params: { context: QueryInterface }): Promise<void>;
}

const CASCADE = { onDelete: 'CASCADE', onUpdate: 'CASCADE' } as const;

/**
 * The type `user_id` gets: the user key column's own (read from the database), else the given
 * type while the table does not exist yet. Refuses, before any DDL, a table without that column,
 * and on MySQL a missing table while foreign key checks are on (the CLI turns them off for a user
 * table the app creates later; anyone else would get errno 150 halfway through).
 */
async function userKeyType(queryInterface: QueryInterface, user: DurinUserReference): Promise<DataType> {
  const read = await readUserKeyColumnType(queryInterface, user);
  if (read === undefined) throw new DurinConfigError(DURIN_CONFIG_MESSAGES.migrationNoUserKey(user.table, user.key));
  if (read !== null) return read;
  if (queryInterface.sequelize.getDialect() !== 'sqlite') {
    const [row] = await queryInterface.sequelize.query<{ checks: number | string }>('SELECT @@SESSION.foreign_key_checks AS checks', {
      type: QueryTypes.SELECT,
    });
    if (Number(row?.checks) !== 0) throw new DurinConfigError(DURIN_CONFIG_MESSAGES.migrationNoUserTable(user.table));
  }
  return user.keyType;
}

/** `durin_0001_initial` for the given user table. */
export function initialMigration(user: DurinUserReference): DurinMigration {
  return {
    name: 'durin_0001_initial',
    async up({ context: queryInterface }) {
      const keyType = await userKeyType(queryInterface, user);
      await queryInterface.createTable('durin_client', {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        token_ttl: { type: DataTypes.BIGINT, allowNull: false },
        throttle_rate: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '' },
      });
      // MySQL's DDL is not transactional: a failure past this point (a foreign key the server
      // refuses) undoes what was made, so a rerun starts from nothing rather than from half a schema.
      try {
        await queryInterface.createTable('durin_authtoken', {
          id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
          token_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
          created: { type: DataTypes.DATE(3), allowNull: false },
          expiry: { type: DataTypes.DATE(3), allowNull: false },
          user_id: { type: keyType, allowNull: false, references: { model: user.table, key: user.key }, ...CASCADE },
          client_id: { type: DataTypes.BIGINT, allowNull: false, references: { model: 'durin_client', key: 'id' }, ...CASCADE },
        });
        await queryInterface.addIndex('durin_authtoken', ['user_id', 'client_id'], {
          name: 'durin_authtoken_user_client_unique',
          unique: true,
        });
      } catch (error) {
        await queryInterface.dropTable('durin_authtoken').catch(() => {});
        await queryInterface.dropTable('durin_client').catch(() => {});
        throw error;
      }
    },
    async down({ context: queryInterface }) {
      await queryInterface.dropTable('durin_authtoken');
      await queryInterface.dropTable('durin_client');
    },
  };
}
