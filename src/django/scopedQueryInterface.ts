import type { QueryInterface } from 'sequelize';

/**
 * A QueryInterface that writes to other table names: durin's migrations, run through it, build
 * `durin_client__import` and `durin_authtoken__import` instead of the real tables, with the same
 * columns, indexes and foreign keys (the reference to `durin_client` follows too). On MySQL, whose
 * DDL is not transactional, the import builds the new tables so beside the old ones and swaps them
 * in with one RENAME TABLE. MariaDB renames the `<table>_ibfk_N` constraints with the
 * table, so the result is what `trpc-durin migrate` makes, constraint names included.
 *
 * It maps every argument that names a table (a string, or `references.model` / `references.table`
 * in an attribute or constraint), which covers what migrations do through the QueryInterface
 * (createTable, addColumn, changeColumn, addIndex, addConstraint, ...), and the table names in a
 * migration's raw SQL through `queryInterface.sequelize.query` (whole identifiers only, so an index
 * named `durin_authtoken_user_client_unique` keeps its name).
 */
export function scopedQueryInterface(queryInterface: QueryInterface, names: Readonly<Record<string, string>>): QueryInterface {
  const rename = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return Object.hasOwn(names, value) ? names[value] : value;
    if (depth > 3 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => rename(item, depth + 1));
    // Only plain objects (attributes, options): data types and models are class instances.
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rename(item, depth + 1)]));
  };
  const identifiers = new RegExp(`\\b(${Object.keys(names).join('|')})\\b`, 'g');
  const sequelize = new Proxy(queryInterface.sequelize, {
    get(target, property, receiver) {
      const member: unknown = Reflect.get(target, property, receiver);
      if (property !== 'query' || typeof member !== 'function') return member;
      return (sql: unknown, ...rest: unknown[]) =>
        (member as (...a: unknown[]) => unknown).apply(target, [
          typeof sql === 'string' ? sql.replace(identifiers, (name) => names[name]!) : sql,
          ...rest,
        ]);
    },
  });
  return new Proxy(queryInterface, {
    get(target, property, receiver) {
      if (property === 'sequelize') return sequelize;
      const member: unknown = Reflect.get(target, property, receiver);
      if (typeof member !== 'function' || property === 'constructor') return member;
      return (...args: unknown[]) =>
        (member as (...a: unknown[]) => unknown).apply(
          target,
          args.map((arg) => rename(arg, 0)),
        );
    },
  });
}
