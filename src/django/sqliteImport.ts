import { QueryTypes, type Sequelize } from 'sequelize';
import { SequelizeStorage } from 'umzug';
import { copyRows } from './copy.js';
import { buildFailed, durinUmzug, FIRST_MIGRATION, OLD, REAL, type BuildInput } from './build.js';

/**
 * SQLite: the whole import in one transaction. The old tables step aside (renamed), durin's
 * migrations create the real ones under their own names (so the schema, DDL text included, is what
 * `trpc-durin migrate` makes), the rows are copied, the later migrations run, the old tables are
 * dropped. `secure_delete` zeroes the freed pages, so no plaintext token stays in the file.
 * Returns the migrations applied.
 */
export async function importSqlite(sequelize: Sequelize, { user, found, batchSize }: BuildInput): Promise<string[]> {
  const run = (sql: string) => sequelize.query(sql, { type: QueryTypes.RAW });
  const [setting] = await sequelize.query<{ secure_delete: number }>('PRAGMA secure_delete', { type: QueryTypes.SELECT });
  await run('PRAGMA secure_delete = ON');
  // Statements without a transaction option share Sequelize's one default SQLite connection, so
  // umzug's createTable and SequelizeMeta writes run inside this BEGIN ... COMMIT too.
  await run('BEGIN IMMEDIATE');
  try {
    await run(`ALTER TABLE \`${REAL.token}\` RENAME TO \`${OLD.token}\``);
    await run(`ALTER TABLE \`${REAL.client}\` RENAME TO \`${OLD.client}\``);
    const umzug = durinUmzug(user, sequelize.getQueryInterface(), new SequelizeStorage({ sequelize }));
    const applied = await umzug.up({ to: FIRST_MIGRATION });
    await copyRows({ sequelize, dialect: 'sqlite', batchSize }, { from: OLD, to: REAL }, found.clients);
    applied.push(...(await umzug.up()));
    await run(`DROP TABLE \`${OLD.token}\``);
    await run(`DROP TABLE \`${OLD.client}\``);
    await run('COMMIT');
    return applied.map((migration) => migration.name);
  } catch (error) {
    await run('ROLLBACK').catch(() => {});
    return buildFailed(error);
  } finally {
    await run(`PRAGMA secure_delete = ${Number(setting?.secure_delete ?? 0)}`).catch(() => {});
  }
}
