import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Column, DataType, Model, Table, type Sequelize } from 'sequelize-typescript';
import { createDurin, type DurinSettings, type DurinTelemetry } from '../src/index.js';

/**
 * What the benchmark's parent (seeding) and its server children share: the app's User model,
 * written the way the README tells an app to write it, and durin built on it with default settings.
 */

export const CLIENT_NAME = 'bench';
export const USER_COUNT = 500;
export const benchUsername = (i: number) => `user${i}`;

export function defineUser(sequelize: Sequelize) {
  @Table({ tableName: 'app_user', timestamps: false })
  class User extends Model {
    @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
    override id!: number;

    @Column({ type: DataType.STRING(150), allowNull: false, unique: true })
    username!: string;

    @Column({ type: DataType.STRING(64), allowNull: false })
    passwordHash!: string;

    @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
    isActive!: boolean;

    @Column({ type: DataType.DATE(3), allowNull: true })
    joinedAt!: Date | null;
  }
  sequelize.addModels([User]);
  return User;
}

export type BenchUser = InstanceType<ReturnType<typeof defineUser>>;

export function createBenchDurin(
  sequelize: Sequelize,
  User: ReturnType<typeof defineUser>,
  settings?: DurinSettings,
  telemetry?: DurinTelemetry,
) {
  return createDurin({
    sequelize,
    userModel: User,
    authenticateUser: async () => null, // login is not benchmarked
    settings,
    ...(telemetry ? { telemetry } : {}),
  });
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * The `raw` mode's query (bench/server.ts, bench/micro.ts), the floor for any SQL-backed check: the
 * token row by token_hash joined with its user and client, one parametrized statement bound the way
 * durin binds (`bind`, prepared on mysql2). It selects the same columns durin's lookup does (every
 * column of the three tables, as the lookup returns whole model instances): keep the two in step
 * when a migration adds a column, or the comparison charges durin for reading it.
 */
export const RAW_SQL =
  'SELECT t.id AS t_id, t.token_hash AS t_token_hash, t.created AS t_created, t.expiry AS t_expiry,' +
  ' t.user_id AS t_user_id, t.client_id AS t_client_id, t.name AS t_name, t.last_used_at AS t_last_used_at,' +
  ' t.last_ip AS t_last_ip, t.user_agent AS t_user_agent, t.abilities AS t_abilities, t.kind AS t_kind,' +
  ' t.session_slot AS t_session_slot, t.start AS t_start,' +
  ' c.id AS c_id, c.name AS c_name, c.token_ttl AS c_token_ttl, c.throttle_rate AS c_throttle_rate, c.abilities AS c_abilities,' +
  ' u.id AS u_id, u.username AS u_username, u.passwordHash AS u_passwordHash, u.isActive AS u_isActive, u.joinedAt AS u_joinedAt' +
  ' FROM durin_authtoken t' +
  ' INNER JOIN durin_client c ON c.id = t.client_id' +
  ' INNER JOIN app_user u ON u.id = t.user_id' +
  ' WHERE t.token_hash = $1';
