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
