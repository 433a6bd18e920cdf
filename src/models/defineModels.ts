import 'reflect-metadata';
import type { ModelStatic, Model as SequelizeModel } from 'sequelize';
import { Column, DataType, Model, Table, type Sequelize } from 'sequelize-typescript';
import type { DurinAuthTokenModel, DurinClientModel, DurinModels } from './types.js';

/** Table names other tools read; they are durin's, so a Django database lines up. */
export const CLIENT_TABLE = 'durin_client';
export const AUTH_TOKEN_TABLE = 'durin_authtoken';
const CLIENT_MODEL_NAME = 'DurinClient';
const AUTH_TOKEN_MODEL_NAME = 'DurinAuthToken';

/**
 * Declares `Client` and `AuthToken` on the app's Sequelize instance and ties `AuthToken.user` to
 * the app's user model. The classes are declared inside the function because "one model can only
 * ever be associated to one Sequelize instance" (sequelize#15389); an instance that already has
 * them (a second `createDurin` on it) gets the same classes back, as umzug's `getModel()` does.
 */
export function defineModels(sequelize: Sequelize, userModel: ModelStatic<SequelizeModel>): DurinModels {
  if (sequelize.isDefined(CLIENT_MODEL_NAME) && sequelize.isDefined(AUTH_TOKEN_MODEL_NAME)) {
    return {
      Client: sequelize.model(CLIENT_MODEL_NAME) as unknown as DurinClientModel,
      AuthToken: sequelize.model(AUTH_TOKEN_MODEL_NAME) as unknown as DurinAuthTokenModel,
    };
  }

  @Table({ tableName: CLIENT_TABLE, modelName: CLIENT_MODEL_NAME, timestamps: false })
  class Client extends Model {
    @Column({ type: DataType.BIGINT, primaryKey: true, autoIncrement: true })
    override id!: number;

    @Column({ type: DataType.STRING(64), allowNull: false, unique: true })
    name!: string;

    @Column({ type: DataType.BIGINT, allowNull: false, field: 'token_ttl', validate: { min: 1 } })
    tokenTtl!: number;

    @Column({ type: DataType.STRING(64), allowNull: false, defaultValue: '', field: 'throttle_rate' })
    throttleRate!: string;

    // Migration durin_0003_api_keys: the abilities every token of this client gets (null = all).
    @Column({ type: DataType.JSON, allowNull: true })
    abilities!: readonly string[] | null;
  }

  @Table({
    tableName: AUTH_TOKEN_TABLE,
    modelName: AUTH_TOKEN_MODEL_NAME,
    timestamps: false,
    // A session holds the slot (true): one per (user, client). An API key holds NULL, and NULLs
    // never collide in a unique index, so a user may hold many keys on one client.
    indexes: [{ name: 'durin_authtoken_user_client_session_unique', unique: true, fields: ['user_id', 'client_id', 'session_slot'] }],
  })
  class AuthToken extends Model {
    @Column({ type: DataType.BIGINT, primaryKey: true, autoIncrement: true })
    override id!: number;

    @Column({ type: DataType.CHAR(64), allowNull: false, unique: true, field: 'token_hash' })
    tokenHash!: string;

    @Column({ type: DataType.DATE(3), allowNull: false })
    created!: Date;

    @Column({ type: DataType.DATE(3), allowNull: false })
    expiry!: Date;

    // Migration durin_0002_session_metadata: what lets a person recognize a session.
    @Column({ type: DataType.STRING(64), allowNull: true })
    name!: string | null;

    @Column({ type: DataType.DATE(3), allowNull: true, field: 'last_used_at' })
    lastUsedAt!: Date | null;

    @Column({ type: DataType.STRING(45), allowNull: true, field: 'last_ip' })
    lastIp!: string | null;

    @Column({ type: DataType.STRING(255), allowNull: true, field: 'user_agent' })
    userAgent!: string | null;

    // Migration durin_0003_api_keys: abilities (null = all), what kind of token, its session slot, its start.
    @Column({ type: DataType.JSON, allowNull: true })
    abilities!: readonly string[] | null;

    @Column({ type: DataType.STRING(16), allowNull: false, defaultValue: 'session' })
    kind!: 'session' | 'apiKey';

    @Column({ type: DataType.BOOLEAN, allowNull: true, defaultValue: true, field: 'session_slot' })
    sessionSlot!: boolean | null;

    @Column({ type: DataType.STRING(8), allowNull: true })
    start!: string | null;

    // user_id and client_id come from the associations below.
    userId!: unknown;
    clientId!: number;
  }

  sequelize.addModels([Client, AuthToken]);

  // `user_id` takes the type of the user model's primary key (belongsTo copies it) and cascades.
  AuthToken.belongsTo(userModel, {
    as: 'user',
    foreignKey: { name: 'userId', field: 'user_id', allowNull: false },
    onDelete: 'CASCADE',
    onUpdate: 'CASCADE',
  });
  AuthToken.belongsTo(Client, {
    as: 'client',
    foreignKey: { name: 'clientId', field: 'client_id', allowNull: false },
    onDelete: 'CASCADE',
    onUpdate: 'CASCADE',
  });

  // 0002 and 0003 add their columns after user_id and client_id (ALTER TABLE ... ADD appends): the
  // model lists them last too, so that sync() creates the very table the migrations leave behind.
  moveAttributesLast(AuthToken, [...SESSION_METADATA_ATTRIBUTES, ...API_KEY_ATTRIBUTES]);

  return {
    Client: Client as unknown as DurinClientModel,
    AuthToken: AuthToken as unknown as DurinAuthTokenModel,
  };
}

/** The attributes migration 0002 adds, in its order. */
const SESSION_METADATA_ATTRIBUTES = ['name', 'lastUsedAt', 'lastIp', 'userAgent'] as const;
/** The attributes migration 0003 adds to `durin_authtoken`, in its order. */
const API_KEY_ATTRIBUTES = ['abilities', 'kind', 'sessionSlot', 'start'] as const;

function moveAttributesLast(model: ModelStatic<SequelizeModel>, names: readonly string[]): void {
  const raw = (model as unknown as { rawAttributes: Record<string, unknown> }).rawAttributes;
  for (const name of names) {
    const definition = raw[name];
    delete raw[name];
    raw[name] = definition;
  }
  (model as unknown as { refreshAttributes(): void }).refreshAttributes();
}
