import { Column, DataType, Model, Sequelize, Table } from 'sequelize-typescript';
import { describe, expect, test } from 'vitest';

/**
 * The private Sequelize surface src/tokenLookup.ts relies on: pinned here so
 * that a Sequelize release which moves it fails this file by name, not the lookup in a subtle way.
 * Public alternatives: `Model.build(row, { raw: true, isNewRecord: false })` instead of the
 * constructor plus `dataValues`/`_previousDataValues`, at about twice the cost per instance
 * (bench/RESULTS.md), and `QueryInterface.quoteTable` once Sequelize's types and code agree.
 */
@Table({ tableName: 'internals_user', timestamps: false })
class InternalsUser extends Model {
  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
  isActive!: boolean;

  @Column({ type: DataType.DATE(3), allowNull: true })
  joinedAt!: Date | null;
}
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false, models: [InternalsUser] });

describe('the Sequelize internals the token lookup uses', () => {
  test('Model._dataTypeSanitizers holds the BOOLEAN and DATE sanitizers that set(..., { raw: true }) applies', () => {
    const sanitizers = (InternalsUser as unknown as { _dataTypeSanitizers?: Record<string, unknown> })._dataTypeSanitizers;
    expect(typeof sanitizers?.isActive).toBe('function');
    expect(typeof sanitizers?.joinedAt).toBe('function');
  });

  test('the query generator quotes a table name', () => {
    const generator = (sequelize.getQueryInterface() as unknown as { queryGenerator: { quoteTable(table: unknown): string } })
      .queryGenerator;
    expect(generator.quoteTable(InternalsUser.getTableName())).toBe('`internals_user`');
  });

  test('an instance built raw keeps its values in dataValues and _previousDataValues, which set() and previous() read', () => {
    const built = InternalsUser.build({ isActive: true, joinedAt: null }, { raw: true, isNewRecord: false });
    const internals = built as unknown as { dataValues: object; _previousDataValues: object };
    expect(internals.dataValues).toEqual({ isActive: true, joinedAt: null });
    expect(internals._previousDataValues).toEqual({ isActive: true, joinedAt: null });
    // What instanceFrom does to an instance made without values: both replaced wholesale.
    const made = new InternalsUser(undefined, { raw: true, isNewRecord: false }) as unknown as InternalsUser & typeof internals;
    made.dataValues = { isActive: true, joinedAt: null };
    made._previousDataValues = { isActive: true, joinedAt: null };
    made.set('isActive', true);
    expect(made.changed()).toBe(false);
    made.set('isActive', false);
    expect(made.changed()).toEqual(['isActive']);
    expect(made.previous('isActive')).toBe(true);
  });
});
