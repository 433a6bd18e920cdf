import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { createDurin, type Durin } from '../../src/index.js';
import { defineUser, hashPassword } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * Read replicas: with Sequelize `replication`, the token lookup reads the replica, and a
 * miss there is retried once on the primary before "Invalid token.". The replica lags by
 * construction: a second database, on the same MariaDB server, with the same tables and only the
 * rows the test copies there (nothing replicates to it), named as the replication `read` host.
 */
describe('token lookup with a read replica that lags', () => {
  let primary: TestDatabase;
  let replicated: Sequelize;
  let replicaName: string;
  let durin: Durin<InstanceType<ReturnType<typeof defineUser>>>;
  let User: ReturnType<typeof defineUser>;
  const lookups: string[] = [];
  const tables = ['app_user', 'durin_client', 'durin_authtoken'];

  beforeAll(async () => {
    primary = await createTestDatabase();
    const primaryName = primary.sequelize.getDatabaseName();
    replicaName = `${primaryName}_replica`;
    const PrimaryUser = defineUser(primary);
    const schema = createDurin({ sequelize: primary.sequelize, userModel: PrimaryUser, authenticateUser: () => null });
    await PrimaryUser.sync();
    await schema.sync();
    await primary.sequelize.query(`CREATE DATABASE \`${replicaName}\``);
    for (const table of tables)
      await primary.sequelize.query(`CREATE TABLE \`${replicaName}\`.\`${table}\` LIKE \`${primaryName}\`.\`${table}\``);

    replicated = new Sequelize(process.env.DURIN_TEST_MYSQL_URL!.replace(/\/[^/]*$/, `/${primaryName}`), {
      replication: { read: [{ database: replicaName }], write: {} },
      logging: (sql: string) => {
        if (/FROM `durin_authtoken` t/.test(sql)) lookups.push(sql);
      },
    });
    User = defineUser({ ...primary, sequelize: replicated });
    durin = createDurin({ sequelize: replicated, userModel: User, authenticateUser: () => null });
    await durin.clients.create({ name: 'web' });
  });
  afterAll(async () => {
    await replicated?.close();
    await primary.sequelize.query(`DROP DATABASE IF EXISTS \`${replicaName}\``);
    await primary.close();
  });

  /** The replica catches up: every row of the primary copied over. */
  const catchUp = async () => {
    for (const table of tables) {
      await primary.sequelize.query(`REPLACE INTO \`${replicaName}\`.\`${table}\` SELECT * FROM \`${table}\``);
    }
  };
  const contextFor = (token: string) =>
    durin.createDurinContext({
      req: { headers: { authorization: `Token ${token}` }, socket: { remoteAddress: '127.0.0.1' } },
      res: { setHeader() {} },
    } as never);

  it('accepts a token the replica does not have yet: the miss is retried on the primary', async () => {
    const user = await User.create({ username: 'new', passwordHash: hashPassword('x') });
    await catchUp(); // the user and the client are on the replica; the token issued next is not
    const { token } = await durin.tokens.issue(user, 'web');
    const onReplica = await primary.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${replicaName}\`.durin_authtoken`, {
      type: QueryTypes.SELECT,
    });
    expect(Number(onReplica[0]!.n)).toBe(0);
    lookups.length = 0;
    const ctx = await contextFor(token);
    expect(ctx.durin.failure).toBeNull();
    expect((ctx.user as InstanceType<typeof User>).username).toBe('new');
    expect(lookups).toHaveLength(2); // the replica, then the primary
  });

  it('asks the replica only, once it has the row', async () => {
    const user = await User.create({ username: 'caught-up', passwordHash: hashPassword('x') });
    const { token } = await durin.tokens.issue(user, 'web');
    await catchUp();
    lookups.length = 0;
    expect((await contextFor(token)).durin.failure).toBeNull();
    expect(lookups).toHaveLength(1);
  });

  it('refuses a token neither has after one retry: "Invalid token."', async () => {
    lookups.length = 0;
    const ctx = await contextFor('0'.repeat(40));
    expect(ctx.user).toBeNull();
    expect(ctx.durin.failure?.error).toBe('TOKEN_INVALID');
    expect(lookups).toHaveLength(2);
  });

  it('without replication, a miss costs one query, as before', async () => {
    const statementsBefore = primary.statements.length;
    const plain = createDurin({ sequelize: primary.sequelize, userModel: defineUser(primary), authenticateUser: () => null });
    const ctx = await plain.createDurinContext({
      req: { headers: { authorization: `Token ${'0'.repeat(40)}` }, socket: { remoteAddress: '127.0.0.1' } },
      res: { setHeader() {} },
    } as never);
    expect(ctx.durin.failure?.error).toBe('TOKEN_INVALID');
    expect(primary.statements.slice(statementsBefore).filter((sql) => /FROM `durin_authtoken` t/.test(sql))).toHaveLength(1);
  });
});
