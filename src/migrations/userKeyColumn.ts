import { QueryTypes, type DataType, type QueryInterface } from 'sequelize';

/**
 * The exact type of the user table's key column, read from the database, because a foreign key
 * must match it exactly: MySQL/MariaDB compare the type, its signedness and its collation (a
 * `CHAR(36) BINARY` refuses to reference a `CHAR(36)` in the table's collation: errno 150), which
 * a Sequelize data type given in code can only guess. Both `trpc-durin migrate` and the
 * programmatic migrations read it here.
 *
 * `null` when the table does not exist yet; `undefined` when it exists without that column.
 */
export async function readUserKeyColumnType(
  queryInterface: QueryInterface,
  reference: { readonly table: string; readonly key: string },
): Promise<DataType | null | undefined> {
  if (!(await queryInterface.tableExists(reference.table))) return null;
  const { sequelize } = queryInterface;
  if (sequelize.getDialect() === 'sqlite') return (await queryInterface.describeTable(reference.table))[reference.key]?.type;
  const [column] = await sequelize.query<{ type: string; collation: string | null }>(
    'SELECT COLUMN_TYPE AS type, COLLATION_NAME AS collation FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    { replacements: [reference.table, reference.key], type: QueryTypes.SELECT },
  );
  if (!column) return undefined;
  return column.collation ? `${column.type} COLLATE ${column.collation}` : column.type;
}
