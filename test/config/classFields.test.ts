import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelStatic, Model } from 'sequelize';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDurin, DurinConfigError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The class-field trap: a model compiled by tsc with `useDefineForClassFields` (its
 * default from target ES2022) gets own `undefined` properties that hide Sequelize's getters.
 * The model below is compiled by the real TypeScript compiler both ways and loaded by Node.
 */
const MODEL_SOURCE = `
import { Column, DataType, Model, Table } from 'sequelize-typescript';
export function defineUser(sequelize: { addModels(models: unknown[]): void }, tableName: string) {
  @Table({ tableName, timestamps: false })
  class FieldUser extends Model {
    @Column({ type: DataType.STRING(150), allowNull: false })
    username!: string;

    @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
    isActive!: boolean;
  }
  sequelize.addModels([FieldUser]);
  return FieldUser;
}
`;

// Under node_modules, so that the compiled file's `sequelize-typescript` is the suite's own.
const cacheRoot = resolve(import.meta.dirname, '../../node_modules/.cache');
let folder: string;

async function compileUserModel(useDefineForClassFields: boolean) {
  const { outputText } = ts.transpileModule(MODEL_SOURCE, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      experimentalDecorators: true,
      useDefineForClassFields,
    },
  });
  const file = join(folder, `FieldUser-${useDefineForClassFields ? 'define' : 'assign'}.mjs`);
  writeFileSync(file, outputText);
  return (await import(pathToFileURL(file).href)) as {
    defineUser: (sequelize: unknown, tableName: string) => ModelStatic<Model> & (new () => Model & { username: string });
  };
}

describe('createDurin and class fields', () => {
  let db: TestDatabase;
  const authenticateUser = async () => null;

  beforeAll(async () => {
    mkdirSync(cacheRoot, { recursive: true });
    folder = mkdtempSync(join(cacheRoot, 'durin-class-fields-'));
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('useDefineForClassFields: true hides the attributes, and createDurin says how to fix it', async () => {
    const { defineUser } = await compileUserModel(true);
    const User = defineUser(db.sequelize, 'field_user_define');
    // The trap itself: the value is stored, but the own property hides it.
    const user = User.build({ username: 'ann' }) as Model & { username: string };
    expect(user.get('username')).toBe('ann');
    expect(user.username).toBeUndefined();

    const start = () => createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser });
    expect(start).toThrow(DurinConfigError);
    expect(start).toThrow(
      'trpc-durin: invalid option "userModel": FieldUser instances have own properties (username, isActive) that hide ' +
        "Sequelize's attribute getters, so they read as undefined. Class fields are being defined: set " +
        `"useDefineForClassFields": false in tsconfig.json's compilerOptions`,
    );
  });

  test('useDefineForClassFields: false starts, and the attributes read through', async () => {
    const { defineUser } = await compileUserModel(false);
    const User = defineUser(db.sequelize, 'field_user_assign');
    expect((User.build({ username: 'ann' }) as Model & { username: string }).username).toBe('ann');
    expect(() => createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser })).not.toThrow();
  });
});
