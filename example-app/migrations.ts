import { DataTypes, type QueryInterface } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { createDurinMigrations } from 'trpc-durin/migrations';
import { SequelizeStorage, Umzug } from 'umzug';

/**
 * The example app's schema, as migrations run by umzug at start: the app's own users table
 * first, then durin's two tables pointing at it. umzug records what it applied in SequelizeMeta,
 * so each migration runs once per database.
 */

const appMigrations = [
  {
    name: '20250101000000_app_user',
    async up({ context: queryInterface }: { context: QueryInterface }) {
      await queryInterface.createTable('app_user', {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        username: { type: DataTypes.STRING(150), allowNull: false, unique: true },
        password_hash: { type: DataTypes.STRING(255), allowNull: false },
        is_active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      });
    },
    async down({ context: queryInterface }: { context: QueryInterface }) {
      await queryInterface.dropTable('app_user');
    },
  },
];

/** Applies the pending migrations; resolves to their names. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const umzug = new Umzug({
    migrations: [
      ...appMigrations,
      // `durin_authtoken.user_id` references app_user.id, with the same type.
      ...createDurinMigrations({ userTable: 'app_user', userKey: 'id', userKeyType: DataTypes.INTEGER }),
    ],
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((migration) => migration.name);
}
