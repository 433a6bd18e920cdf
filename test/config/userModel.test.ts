import { afterEach, describe, expect, test } from 'vitest';
import { Column, DataType, DefaultScope, Model, Table } from 'sequelize-typescript';
import { createDurin } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { unique } from '../helpers/time.js';

/** a paranoid model's soft-deleted user does not authenticate; unappliable scopes are refused. */
let db: TestDatabase | null = null;
afterEach(async () => {
  await db?.close();
  db = null;
});

const authenticateUser = async () => null;

describe('a paranoid user model', () => {
  test('a soft-deleted user is "User inactive or deleted."; restored, it authenticates again', async () => {
    db = await createTestDatabase();
    @Table({ tableName: 'soft_user', paranoid: true, timestamps: true, underscored: true })
    class SoftUser extends Model {
      @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
      override id!: number;
      @Column({ type: DataType.STRING(64), allowNull: false })
      username!: string;
    }
    db.sequelize.addModels([SoftUser]);
    const durin = createDurin({ sequelize: db.sequelize, userModel: SoftUser, authenticateUser });
    await SoftUser.sync();
    await durin.sync();
    const client = unique('web');
    await durin.clients.create({ name: client });
    const user = await SoftUser.create({ username: 'ghost' });
    const { token } = await durin.tokens.issue(user, client);
    const context = () => durin.createDurinContext({ headers: { authorization: `Token ${token}` } });

    expect((await context()).user).toMatchObject({ username: 'ghost' });
    await user.destroy();
    expect(await SoftUser.findByPk(user.id)).toBeNull();
    const deleted = await context();
    expect(deleted.user).toBeNull();
    expect(deleted.durin.failure).toEqual({ error: 'USER_INACTIVE' });
    const cached = await durin.createCachedDurinContext({ headers: { authorization: `Token ${token}` } });
    expect(cached.durin.failure).toEqual({ error: 'USER_INACTIVE' });

    await user.restore();
    expect((await context()).user).toMatchObject({ username: 'ghost' });
  });
});

describe('what the one-query lookup cannot apply is refused at createDurin', () => {
  test('a defaultScope with where', async () => {
    db = await createTestDatabase();
    @DefaultScope(() => ({ where: { active: true } }))
    @Table({ tableName: 'scoped_user', timestamps: false })
    class ScopedUser extends Model {
      @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
      active!: boolean;
    }
    db.sequelize.addModels([ScopedUser]);
    expect(() => createDurin({ sequelize: db!.sequelize, userModel: ScopedUser, authenticateUser })).toThrow(
      expect.objectContaining({
        name: 'DurinConfigError',
        message:
          'trpc-durin: invalid option "userModel": it has a defaultScope with "where", which durin\'s one-query token lookup cannot apply; express who may authenticate with isUserActive instead (a paranoid model is supported)',
      }),
    );
  });

  test('an afterFind hook', async () => {
    db = await createTestDatabase();
    @Table({ tableName: 'hooked_user', timestamps: false })
    class HookedUser extends Model {
      @Column({ type: DataType.STRING(64), allowNull: true })
      name!: string | null;
    }
    db.sequelize.addModels([HookedUser]);
    HookedUser.addHook('afterFind', () => {});
    expect(() => createDurin({ sequelize: db!.sequelize, userModel: HookedUser, authenticateUser })).toThrow(/a "afterFind" hook/);
  });

  test('a usernameField the user model lacks fails at start-up, naming the setting', async () => {
    db = await createTestDatabase();
    @Table({ tableName: 'email_user', timestamps: false })
    class EmailUser extends Model {
      @Column({ type: DataType.STRING(254), allowNull: false })
      email!: string;
    }
    db.sequelize.addModels([EmailUser]);
    expect(() => createDurin({ sequelize: db!.sequelize, userModel: EmailUser, authenticateUser })).toThrow(
      expect.objectContaining({
        name: 'DurinConfigError',
        message: 'trpc-durin: invalid setting "usernameField": expected the name of an attribute of the user model (got "username")',
      }),
    );
    const settings = { usernameField: 'email' };
    expect(() => createDurin({ sequelize: db!.sequelize, userModel: EmailUser, authenticateUser, settings })).not.toThrow();
  });

  test('a defaultScope that only picks attributes is accepted', async () => {
    db = await createTestDatabase();
    @DefaultScope(() => ({ attributes: { exclude: ['secret'] } }))
    @Table({ tableName: 'plain_user', timestamps: false })
    class PlainUser extends Model {
      @Column({ type: DataType.STRING(150), allowNull: false })
      username!: string;

      @Column({ type: DataType.STRING(64), allowNull: true })
      secret!: string | null;
    }
    db.sequelize.addModels([PlainUser]);
    expect(() => createDurin({ sequelize: db!.sequelize, userModel: PlainUser, authenticateUser })).not.toThrow();
  });
});
