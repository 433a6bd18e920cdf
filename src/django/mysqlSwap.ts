import type { Sequelize } from 'sequelize';
import { SequelizeStorage } from 'umzug';
import { copyRows, type TableNames } from './copy.js';
import { buildFailed, durinUmzug, FIRST_MIGRATION, OLD, OLD_META, REAL, type BuildInput } from './build.js';
import { scopedQueryInterface } from './scopedQueryInterface.js';

/**
 * MySQL/MariaDB, whose DDL commits on its own: new tables beside the old ones, the copy, then one
 * RENAME TABLE that swaps durin's two tables and SequelizeMeta at once. Until that statement the old
 * tables are untouched (a failure drops the new ones); after it, everything is in place. Returns the
 * migrations applied.
 */

const NEW: TableNames = { client: 'durin_client__import', token: 'durin_authtoken__import' };
const META = 'SequelizeMeta';
const NEW_META = 'SequelizeMeta__import';

const q = (name: string) => `\`${name}\``;

/**
 * Drops the new tables of an import that failed, or was killed, before its swap: ours (named for
 * the import), never the app's. importDjangoDurin runs it before either builder starts.
 */
export async function dropNewTables(sequelize: Sequelize): Promise<void> {
  for (const table of [NEW.token, NEW.client, NEW_META]) await sequelize.query(`DROP TABLE IF EXISTS ${q(table)}`);
}

export async function swapInMysql(sequelize: Sequelize, { user, found, batchSize }: BuildInput): Promise<string[]> {
  const queryInterface = sequelize.getQueryInterface();
  const hadMeta = await queryInterface.tableExists(META);
  let applied: string[];
  try {
    const context = scopedQueryInterface(queryInterface, { [REAL.client]: NEW.client, [REAL.token]: NEW.token });
    const storage = new SequelizeStorage({ sequelize, tableName: NEW_META, modelName: 'DurinDjangoImportMeta' });
    const umzug = durinUmzug(user, context, storage);
    const first = await umzug.up({ to: FIRST_MIGRATION });
    await copyRows({ sequelize, dialect: 'mysql', batchSize }, { from: REAL, to: NEW }, found.clients);
    applied = [...first, ...(await umzug.up())].map((migration) => migration.name);
    // The app's own migrations stay recorded beside durin's.
    if (hadMeta) await sequelize.query(`INSERT INTO ${q(NEW_META)} (name) SELECT name FROM ${q(META)}`);
    const swaps = [
      [REAL.client, OLD.client],
      [REAL.token, OLD.token],
      [NEW.client, REAL.client],
      [NEW.token, REAL.token],
      ...(hadMeta ? [[META, OLD_META]] : []),
      [NEW_META, META],
    ];
    await sequelize.query(`RENAME TABLE ${swaps.map(([from, to]) => `${q(from!)} TO ${q(to!)}`).join(', ')}`);
  } catch (error) {
    await dropNewTables(sequelize).catch(() => {});
    return buildFailed(error);
  }
  await sequelize.query(`DROP TABLE ${q(OLD.token)}, ${q(OLD.client)}${hadMeta ? `, ${q(OLD_META)}` : ''}`);
  return applied;
}
