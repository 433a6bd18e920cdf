import { QueryTypes, type Model, type ModelStatic } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { decodedColumns, type DecodedColumn } from '../models/rowDecoder.js';
import type { DurinAuthToken, DurinClient, DurinModels } from '../models/types.js';

/**
 * The one SQL query of TokenAuthentication: the token row by its digest,
 * joined with its user and its client. Hand-written rather than `findOne({ include })`, which
 * costs about twice as much per request in Sequelize's query building and row nesting; the
 * result is still real model instances (`ctx.user` is the app's user, `ctx.auth.client` is loaded).
 */
export interface TokenLookup<TUser> {
  /**
   * Resolves to the token with `client` and `user` set, or `null` when no row has that digest.
   * `user` is `null` when the model would not return its row (a paranoid model's soft-deleted user).
   */
  (tokenHash: string, options?: TokenLookupOptions): Promise<{ auth: DurinAuthToken<TUser>; user: TUser | null } | null>;
}

export interface TokenLookupOptions {
  /** With Sequelize `replication`, read from the primary instead of a replica. */
  readonly useMaster?: boolean;
}

/** What Sequelize applies to a value in `set(key, value, { raw: true })` (its private `_dataTypeSanitizers`). */
type Sanitizer = (this: Model, value: unknown, options: object) => unknown;

interface Part {
  readonly model: ModelStatic<Model>;
  readonly columns: DecodedColumn[];
  readonly aliases: string[];
  /** Per column, the model's sanitizer for that attribute, if its type has one (BOOLEAN, DATE...). */
  readonly sanitizers: ReadonlyArray<Sanitizer | undefined>;
}

/** VIRTUAL attributes have no column: selecting them fails with "no such column". */
function isVirtual(definition: { type?: unknown } | undefined): boolean {
  const type = definition?.type as { key?: string; constructor?: { key?: string } } | undefined;
  return (type?.key ?? type?.constructor?.key) === 'VIRTUAL';
}

const BUILT = { raw: true, isNewRecord: false } as const;

/**
 * The instance `Model.build(values, { raw: true, isNewRecord: false })` makes, without its one
 * `set()` call per attribute (three instances: 5-6 µs instead of 8.5-10.6 µs in a hot loop, see
 * bench/RESULTS.md): the real constructor runs, with no values (so the app's class fields and
 * sequelize-typescript's checks apply), then the decoded row becomes `dataValues` after the
 * sanitizers `set()` would apply, and `_previousDataValues` its copy, which is all
 * `set(values, { raw: true })` leaves behind.
 */
function instanceFrom(p: Part, row: Record<string, unknown>): Model {
  const instance = new (p.model as unknown as new (values: undefined, options: typeof BUILT) => Model)(undefined, BUILT);
  const data: Record<string, unknown> = {};
  for (let i = 0; i < p.columns.length; i++) {
    const column = p.columns[i]!;
    let value = column.decode(row[p.aliases[i]!]);
    const sanitize = p.sanitizers[i];
    if (sanitize) value = sanitize.call(instance, value, BUILT);
    data[column.attribute] = value;
  }
  const internals = instance as unknown as { dataValues: Record<string, unknown>; _previousDataValues: Record<string, unknown> };
  internals.dataValues = data;
  internals._previousDataValues = { ...data };
  return instance;
}

export function createTokenLookup<TUser extends Model>(
  sequelize: Sequelize,
  models: DurinModels,
  userModel: ModelStatic<TUser>,
): TokenLookup<TUser> {
  const qi = sequelize.getQueryInterface();
  const q = (name: string) => qi.quoteIdentifier(name, true);
  // QueryInterface declares quoteTable in its types but only its query generator has it.
  const generator = (qi as unknown as { queryGenerator: { quoteTable(table: unknown): string } }).queryGenerator;
  const table = (model: ModelStatic<Model> | DurinModels[keyof DurinModels]) => generator.quoteTable(model.getTableName());
  const part = (model: ModelStatic<Model>, alias: string): Part => {
    const attributes = model.getAttributes() as Record<string, { type?: unknown }>;
    const columns = decodedColumns(model).filter((column) => !isVirtual(attributes[column.attribute]));
    const sanitizers = (model as unknown as { _dataTypeSanitizers?: Record<string, Sanitizer> })._dataTypeSanitizers ?? {};
    return {
      model,
      columns,
      aliases: columns.map((_, i) => `${alias}${i}`),
      sanitizers: columns.map((column) => (Object.hasOwn(sanitizers, column.attribute) ? sanitizers[column.attribute] : undefined)),
    };
  };
  const token = part(models.AuthToken as unknown as ModelStatic<Model>, 't');
  const client = part(models.Client as unknown as ModelStatic<Model>, 'c');
  const user = part(userModel as unknown as ModelStatic<Model>, 'u');
  const select = (table: string, p: Part) => p.columns.map((c, i) => `${table}.${q(c.field)} AS ${q(p.aliases[i]!)}`).join(', ');

  const userPk = userModel.getAttributes()[userModel.primaryKeyAttribute];
  // A paranoid model hides soft-deleted rows: they join as no user at all, so the
  // token reads "User inactive or deleted." rather than "Invalid token.".
  const deletedAt = paranoidField(userModel);
  const userJoin = deletedAt ? `LEFT JOIN` : `INNER JOIN`;
  const userAlive = deletedAt ? ` AND u.${q(deletedAt)} IS NULL` : '';
  const userPkIndex = user.columns.findIndex((c) => c.attribute === userModel.primaryKeyAttribute);
  const sql =
    `SELECT ${select('t', token)}, ${select('c', client)}, ${select('u', user)}` +
    ` FROM ${table(models.AuthToken)} t` +
    ` INNER JOIN ${table(models.Client)} c ON c.${q('id')} = t.${q('client_id')}` +
    ` ${userJoin} ${table(userModel as unknown as ModelStatic<Model>)} u ON u.${q(userPk?.field ?? userModel.primaryKeyAttribute)} = t.${q('user_id')}${userAlive}` +
    ` WHERE t.${q('token_hash')} = $1`;

  // `tableNames: []`: Sequelize's SQLite dialect otherwise runs an unlogged `PRAGMA table_info` on
  // the table after `FROM` before every SELECT (to type columns for model mapping, which a raw query
  // never uses), doubling the statements per lookup. Other dialects ignore the option.
  const queryOptions = { type: QueryTypes.SELECT, raw: true, tableNames: [] } as { type: QueryTypes.SELECT; raw: true };

  return async function lookupToken(tokenHash, options) {
    const rows = await sequelize.query<Record<string, unknown>>(sql, {
      ...queryOptions,
      bind: [tokenHash],
      ...(options?.useMaster ? { useMaster: true } : {}),
    });
    const row = rows[0];
    if (!row) return null;
    const auth = instanceFrom(token, row) as DurinAuthToken<TUser>;
    const clientRow = instanceFrom(client, row) as DurinClient;
    attach(auth, 'client', clientRow);
    if (deletedAt && (row[user.aliases[userPkIndex]!] ?? null) === null) return { auth, user: null };
    const owner = instanceFrom(user, row) as TUser;
    attach(auth, 'user', owner);
    return { auth, user: owner };
  };
}

/** The column of a paranoid model's `deletedAt`, or `null` when the model does not soft-delete. */
function paranoidField(model: ModelStatic<Model>): string | null {
  const options = model.options as { paranoid?: boolean; timestamps?: boolean; deletedAt?: string | boolean };
  if (!options.paranoid || options.timestamps === false) return null;
  const attribute = typeof options.deletedAt === 'string' ? options.deletedAt : 'deletedAt';
  const definition = model.getAttributes()[attribute] as { field?: string } | undefined;
  return definition?.field ?? attribute;
}

/** Sets an association the way Sequelize's `include` does: as a property and in `dataValues`. */
function attach(instance: Model, name: string, value: Model): void {
  (instance as unknown as Record<string, unknown>)[name] = value;
  (instance.dataValues as Record<string, unknown>)[name] = value;
}
