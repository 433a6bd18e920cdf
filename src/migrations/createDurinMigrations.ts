import { DataTypes, type DataType } from 'sequelize';
import { DURIN_CONFIG_MESSAGES, DURIN_CONFIG_PROBLEMS, DurinConfigError, invalidConfig } from '../config/messages.js';
import { initialMigration, type DurinMigration, type DurinUserReference } from './0001_initial.js';
import { sessionMetadataMigration } from './0002_session_metadata.js';
import { apiKeysMigration } from './0003_api_keys.js';

/**
 * durin's tables (durin_client, durin_authtoken) as versioned migrations, for umzug or sequelize-cli. Nothing here
 * runs migrations: umzug (or sequelize-cli) does, and records them in its storage.
 *
 * With umzug, list them after the migration that creates your user table (MySQL will not create a
 * foreign key to a table that does not exist yet):
 *
 * ```ts
 * import { Umzug, SequelizeStorage } from 'umzug';
 * import { createDurinMigrations } from 'trpc-durin/migrations';
 *
 * const umzug = new Umzug({
 *   migrations: [...appMigrations, ...createDurinMigrations({ userTable: 'users', userKeyType: DataTypes.INTEGER })],
 *   context: sequelize.getQueryInterface(),
 *   storage: new SequelizeStorage({ sequelize }),
 *   logger: console,
 * });
 * await umzug.up();
 * ```
 *
 * With sequelize-cli, drop one wrapper per durin migration into your migrations folder, named so it
 * sorts after your user table's migration, e.g. `migrations/20250101000000-durin_0001_initial.cjs`
 * and `migrations/20250101000001-durin_0002_session_metadata.cjs` (the same file with that name)
 * (`.cjs`, because sequelize-cli `require`s migrations and trpc-durin is an ES module):
 *
 * ```js
 * 'use strict';
 * const durin = (Sequelize) =>
 *   import('trpc-durin/migrations').then(({ getDurinMigration }) =>
 *     getDurinMigration('durin_0001_initial', { userTable: 'users', userKeyType: Sequelize.INTEGER }));
 *
 * module.exports = {
 *   up: async (queryInterface, Sequelize) => (await durin(Sequelize)).up({ context: queryInterface }),
 *   down: async (queryInterface, Sequelize) => (await durin(Sequelize)).down({ context: queryInterface }),
 * };
 * ```
 */

export type { DurinMigration } from './0001_initial.js';

/** Where `durin_authtoken.user_id` points: the app's user table, its key and the key's type. */
export interface DurinMigrationOptions {
  /** The app's user table. @default "users" */
  userTable?: string | undefined;
  /** Its primary key column. @default "id" */
  userKey?: string | undefined;
  /**
   * The type of that key; `user_id` gets the same type, as the foreign key requires. A Sequelize
   * data type (`DataTypes.BIGINT`, `DataTypes.UUID`, `DataTypes.INTEGER.UNSIGNED`) or a raw SQL type.
   * @default DataTypes.INTEGER
   */
  userKeyType?: DataType | undefined;
}

function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidConfig('migration option', option, DURIN_CONFIG_PROBLEMS.migrationName(String(value)));
  }
  return value;
}

/** durin's migrations, in order, for the given user table. */
export function createDurinMigrations(options: DurinMigrationOptions = {}): DurinMigration[] {
  const user: DurinUserReference = {
    table: checkName('userTable', options.userTable ?? 'users'),
    key: checkName('userKey', options.userKey ?? 'id'),
    keyType: options.userKeyType ?? DataTypes.INTEGER,
  };
  // The one list of durin's migrations: umzug, the sequelize-cli wrappers, `trpc-durin migrate`
  // and the Django importer all read it, so a new migration is added here and nowhere else.
  return [initialMigration(user), sessionMetadataMigration, apiKeysMigration];
}

/** One of durin's migrations by name (for sequelize-cli wrappers); throws when there is none. */
export function getDurinMigration(name: string, options: DurinMigrationOptions = {}): DurinMigration {
  const all = createDurinMigrations(options);
  const found = all.find((migration) => migration.name === name);
  if (!found) {
    const names = all.map((migration) => migration.name);
    throw new DurinConfigError(DURIN_CONFIG_MESSAGES.noMigration(name, names));
  }
  return found;
}

/** durin's migrations for the default user table: `users`, key `id`, INTEGER. */
export const migrations: DurinMigration[] = Object.freeze(createDurinMigrations()) as DurinMigration[];
