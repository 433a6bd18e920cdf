import { QueryTypes } from 'sequelize';
import type { ScratchDatabase } from './djangoDatabase.js';

/**
 * durin's tables as the database describes them (columns, indexes by name, foreign keys with their
 * rules, the CREATE statements) and SequelizeMeta's rows, to compare an imported database with one
 * `trpc-durin migrate` made: no hard-coded column list, so later migrations are covered too.
 */

const TABLES = ['durin_client', 'durin_authtoken'] as const;

async function foreignKeys(db: ScratchDatabase, table: string) {
  const rows =
    db.dialect === 'sqlite'
      ? await db.sequelize.query<Record<string, string>>(`PRAGMA foreign_key_list(\`${table}\`)`, { type: QueryTypes.SELECT })
      : await db.sequelize.query<Record<string, string>>(
          'SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS `from`, k.REFERENCED_TABLE_NAME AS `table`, k.REFERENCED_COLUMN_NAME AS `to`, ' +
            'r.DELETE_RULE AS on_delete, r.UPDATE_RULE AS on_update FROM information_schema.KEY_COLUMN_USAGE k ' +
            'JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
            'WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL',
          { replacements: [table], type: QueryTypes.SELECT },
        );
  return rows
    .map((row) => ({
      name: row.name ?? null,
      column: row.from,
      references: `${row.table}.${row.to}`,
      onDelete: row.on_delete,
      onUpdate: row.on_update,
    }))
    .sort((a, b) => a.column!.localeCompare(b.column!));
}

async function createStatements(db: ScratchDatabase, table: string): Promise<string[]> {
  if (db.dialect === 'sqlite') {
    const rows = await db.sequelize.query<{ sql: string | null }>('SELECT sql FROM sqlite_master WHERE tbl_name = ? ORDER BY name', {
      replacements: [table],
      type: QueryTypes.SELECT,
    });
    return rows.map((row) => row.sql ?? '(automatic index)');
  }
  const [row] = await db.sequelize.query<Record<string, string>>(`SHOW CREATE TABLE \`${table}\``, { type: QueryTypes.SELECT });
  // The next AUTO_INCREMENT value depends on the rows, not on the schema.
  return [row!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '')];
}

export async function describeDurinSchema(db: ScratchDatabase) {
  const queryInterface = db.sequelize.getQueryInterface();
  const schema: Record<string, unknown> = {};
  for (const table of TABLES) {
    const columns = Object.entries(await queryInterface.describeTable(table)).map(([name, column]) => ({
      name,
      type: column.type,
      allowNull: column.allowNull,
      defaultValue: column.defaultValue ?? null,
      primaryKey: column.primaryKey,
    }));
    const indexes = (
      (await queryInterface.showIndex(table)) as Array<{
        name: string;
        fields: Array<{ attribute: string }>;
        unique: boolean;
        primary: boolean;
      }>
    )
      .map((index) => ({
        name: index.name,
        columns: index.fields.map((field) => field.attribute).join(','),
        unique: index.unique,
        primary: index.primary,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    schema[table] = { columns, indexes, foreignKeys: await foreignKeys(db, table), ddl: await createStatements(db, table) };
  }
  const meta = await db.sequelize.query<{ name: string }>('SELECT name FROM `SequelizeMeta` ORDER BY name', { type: QueryTypes.SELECT });
  schema.SequelizeMeta = { rows: meta.map((row) => row.name), ddl: await createStatements(db, 'SequelizeMeta') };
  return schema;
}
