import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize-typescript';
import { CLIENT_NAME, USER_COUNT, benchUsername, createBenchDurin, defineUser, sha256 } from './app.js';
import { tokenShape } from '../src/core/crypto.js';

/**
 * The bench's database: created and seeded by the parent process (run.ts, instructions.ts), read by
 * the server children it starts, dropped at the end. SQLite is a temp file, MariaDB a fresh database
 * on the server of DURIN_TEST_MYSQL_URL.
 */

export type Dialect = 'sqlite' | 'mysql';

export interface BenchDatabase {
  /** What a server child connects to: the SQLite file, or the MySQL URL of the fresh database. */
  database: string;
  /** A valid token of a seeded user (user1). */
  token: string;
  /** `token` with its last checksum digit changed: the right shape, a wrong CRC-32 (mode `forged`). */
  forged: string;
  /** An API key of user1, made by `apiKeys.create` (counted on the miss path, never loaded). */
  apiKey: string;
  version: string;
  drop(): Promise<void>;
}

/** The client API keys are issued on (the seed's `apiAccessClientName`). */
const API_CLIENT_NAME = 'api';

/**
 * The token a forger or a typo produces: `token` with its last character, a checksum digit, changed
 * to another hex digit. Prefix, length and alphabet stay right, so only the CRC-32 tells it apart.
 * Throws when the seeded token carries no checksum (tokenChecksum off): `forged` would then measure
 * a lookup, not the refusal it is named for.
 */
function forge(token: string, prefix: string, characterLength: number): string {
  const forged = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
  if (tokenShape(token, prefix, characterLength) !== 'wellFormed' || tokenShape(forged, prefix, characterLength) !== 'badChecksum') {
    throw new Error('the seeded token carries no checksum: the forged mode needs tokenChecksum on');
  }
  return forged;
}

/**
 * SQLite: a temp file, seeded once here and opened by every server child, so every mode reads the
 * same rows through the same kind of connection an app has (node-sqlite3 on a file; the pages stay
 * in the OS cache). An in-memory database per child would also do (each child seeding its own), but
 * a shared file keeps the parent's seeding and the children's reads on one database, like MySQL.
 */
export async function createDatabase(dialect: Dialect, mysqlUrl?: string): Promise<BenchDatabase> {
  let sequelize: Sequelize;
  let database: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    database = path.join(os.tmpdir(), `durin-bench-${randomBytes(4).toString('hex')}.sqlite`);
    sequelize = new Sequelize({ dialect: 'sqlite', storage: database, logging: false });
    // Seeding only: no fsync per insert on this connection (the servers open their own).
    await sequelize.query('PRAGMA synchronous = OFF');
    const file = database;
    drop = async () => {
      for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    };
  } else {
    const name = `durin_bench_${randomBytes(4).toString('hex')}`;
    const admin = new Sequelize(mysqlUrl!, { logging: false });
    await admin.query(`CREATE DATABASE \`${name}\``);
    await admin.close();
    const url = new URL(mysqlUrl!);
    url.pathname = `/${name}`;
    database = url.toString();
    sequelize = new Sequelize(database, { logging: false });
    drop = async () => {
      const again = new Sequelize(mysqlUrl!, { logging: false });
      await again.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await again.close();
    };
  }
  try {
    const User = defineUser(sequelize);
    // API keys live on the apiAccessClientName client; only the seeding creates one, so only it
    // needs the setting (a lookup does not read it).
    const durin = createBenchDurin(sequelize, User, { apiAccessClientName: API_CLIENT_NAME });
    await User.sync();
    await durin.sync();
    await durin.clients.create({ name: CLIENT_NAME, tokenTtl: '14d' });
    await durin.clients.create({ name: API_CLIENT_NAME, tokenTtl: '14d' });
    const users = await User.bulkCreate(
      Array.from({ length: USER_COUNT }, (_, i) => ({
        username: benchUsername(i + 1),
        passwordHash: sha256(`password${i + 1}`),
        isActive: true,
        joinedAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      })),
    );
    // Every user holds a token, so the lookup searches a real index, not a one-row table. The bench
    // user's comes from tokens.issue; the others are rows of the same shape, inserted in one go.
    const client = (await durin.clients.get(CLIENT_NAME))!;
    const { token } = await durin.tokens.issue(users[0]!, CLIENT_NAME);
    const forged = forge(token, durin.settings.tokenPrefix, durin.settings.tokenCharacterLength);
    const { token: apiKey } = await durin.apiKeys.create(users[0]!, { name: 'bench key' });
    const expiry = new Date(Date.now() + 14 * 86_400_000);
    await durin.models.AuthToken.bulkCreate(
      users.slice(1).map((user) => ({
        tokenHash: sha256(randomBytes(32).toString('hex')),
        userId: user.id,
        clientId: client.id,
        created: new Date(),
        expiry,
      })),
    );
    const [row] = (await sequelize.query(dialect === 'sqlite' ? 'SELECT sqlite_version() AS v' : 'SELECT VERSION() AS v', {
      type: 'SELECT',
    })) as Array<{ v: string }>;
    await sequelize.close();
    return { database, token, forged, apiKey, version: row!.v, drop };
  } catch (error) {
    await sequelize.close().catch(() => {});
    await drop();
    throw error;
  }
}
