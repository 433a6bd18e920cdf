import { onTestFinished } from 'vitest';
import { SequelizeStorage, Umzug } from 'umzug';
import { createDurinMigrations, type DurinMigrationOptions } from '../../src/migrations/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** A fresh database closed (and, on MySQL, dropped) when the test ends. */
export async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  onTestFinished(() => db.close());
  return db;
}

/** durin's programmatic migrations under umzug, recorded in SequelizeMeta as an app would. */
export function migrator(db: TestDatabase, options: DurinMigrationOptions) {
  return new Umzug({
    migrations: createDurinMigrations(options),
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db.sequelize }),
    logger: undefined,
  });
}

/** Which of durin's two tables exist. */
export async function durinTables(db: TestDatabase): Promise<string[]> {
  const queryInterface = db.sequelize.getQueryInterface();
  const found = [];
  for (const table of ['durin_client', 'durin_authtoken']) if (await queryInterface.tableExists(table)) found.push(table);
  return found;
}
