import { DataTypes, QueryTypes } from 'sequelize';
import { expect, test } from 'vitest';
import { scopedQueryInterface } from '../../src/django/scopedQueryInterface.js';
import { scratchDatabase, tableNames } from './djangoDatabase.js';

/** The QueryInterface the MySQL import runs durin's migrations through: every table name maps to its new table. */
test('createTable, references, addIndex and raw SQL all reach the mapped tables', async () => {
  const db = await scratchDatabase();
  const scoped = scopedQueryInterface(db.sequelize.getQueryInterface(), {
    durin_client: 'durin_client__import',
    durin_authtoken: 'durin_authtoken__import',
  });
  await scoped.createTable('durin_client', { id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true } });
  await scoped.createTable('durin_authtoken', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    client_id: { type: DataTypes.BIGINT, allowNull: false, references: { model: 'durin_client', key: 'id' }, onDelete: 'CASCADE' },
  });
  await scoped.addIndex('durin_authtoken', ['client_id'], { name: 'durin_authtoken_client' });
  // A migration's own SQL: whole identifiers are mapped, and the query's other options still apply.
  await scoped.sequelize.query('ALTER TABLE durin_authtoken ADD COLUMN note VARCHAR(10) NULL');
  const [row] = await scoped.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM `durin_authtoken`', { type: QueryTypes.SELECT });
  expect(Number(row!.n)).toBe(0);
  expect(scoped.sequelize.getDialect()).toBe(db.dialect);

  expect(await tableNames(db)).toEqual(['durin_authtoken__import', 'durin_client__import']);
  const queryInterface = db.sequelize.getQueryInterface();
  expect(Object.keys(await queryInterface.describeTable('durin_authtoken__import')).sort()).toEqual(['client_id', 'id', 'note']);
  const indexes = (await queryInterface.showIndex('durin_authtoken__import')) as Array<{ name: string }>;
  expect(indexes.map((index) => index.name)).toContain('durin_authtoken_client');
  const references = (await queryInterface.getForeignKeyReferencesForTable('durin_authtoken__import')) as Array<{
    referencedTableName: string;
  }>;
  expect(references.map((reference) => reference.referencedTableName)).toEqual(['durin_client__import']);
});
