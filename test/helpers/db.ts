import { randomBytes } from 'node:crypto';
import { Sequelize } from 'sequelize-typescript';

/**
 * A fresh database per test file: SQLite in memory, or a new `durin_test_<random>` database on
 * the server of DURIN_TEST_MYSQL_URL, dropped by `close()`. Every statement is recorded, so tests
 * can count the SQL a request costs.
 */
export interface TestDatabase {
  readonly sequelize: Sequelize;
  readonly dialect: 'sqlite' | 'mysql';
  /** Every SQL statement run since the last `statements.length = 0`. */
  readonly statements: string[];
  close(): Promise<void>;
}

export function testDialect(): 'sqlite' | 'mysql' {
  return process.env.DURIN_TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const statements: string[] = [];
  const logging = (sql: string) => {
    statements.push(sql);
  };
  if (testDialect() === 'sqlite') {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging });
    return { sequelize, dialect: 'sqlite', statements, close: () => sequelize.close() };
  }
  const url = process.env.DURIN_TEST_MYSQL_URL;
  if (!url) throw new Error('DURIN_TEST_DB=mysql needs DURIN_TEST_MYSQL_URL');
  const name = `durin_test_${randomBytes(6).toString('hex')}`;
  const admin = new Sequelize(url, { logging: false });
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.close();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const sequelize = new Sequelize(target.toString(), { logging, pool: { max: 5 } });
  return {
    sequelize,
    dialect: 'mysql',
    statements,
    async close() {
      await sequelize.close().catch(() => {});
      // A fresh connection: the test may have closed or broken the app's on purpose.
      const dropper = new Sequelize(url, { logging: false });
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.close();
    },
  };
}
