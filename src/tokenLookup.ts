import { QueryTypes, type Model, type ModelStatic } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { decodedColumns, type DecodedColumn } from './models/rowDecoder.js';
import type { DurinAuthToken, DurinClient, DurinModels } from './models/types.js';

/**
 * The one SQL query of TokenAuthentication (DESIGN §5 step 7): the token row by its digest,
 * joined with its user and its client. Hand-written rather than `findOne({ include })`, which
 * costs about twice as much per request in Sequelize's query building and row nesting; the
 * result is still real model instances (`ctx.user` is the app's user, `ctx.auth.client` is loaded).
 */
export interface TokenLookup<TUser> {
  /** Resolves to the token with `client` and `user` set, or `null` when no row has that digest. */
  (tokenHash: string): Promise<{ auth: DurinAuthToken<TUser>; user: TUser } | null>;
}

interface Part {
  readonly model: ModelStatic<Model>;
  readonly columns: DecodedColumn[];
  readonly aliases: string[];
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
    const columns = decodedColumns(model);
    return { model, columns, aliases: columns.map((_, i) => `${alias}${i}`) };
  };
  const token = part(models.AuthToken as unknown as ModelStatic<Model>, 't');
  const client = part(models.Client as unknown as ModelStatic<Model>, 'c');
  const user = part(userModel as unknown as ModelStatic<Model>, 'u');
  const select = (table: string, p: Part) =>
    p.columns.map((c, i) => `${table}.${q(c.field)} AS ${q(p.aliases[i]!)}`).join(', ');

  const userPk = userModel.getAttributes()[userModel.primaryKeyAttribute];
  const sql =
    `SELECT ${select('t', token)}, ${select('c', client)}, ${select('u', user)}` +
    ` FROM ${table(models.AuthToken)} t` +
    ` INNER JOIN ${table(models.Client)} c ON c.${q('id')} = t.${q('client_id')}` +
    ` INNER JOIN ${table(userModel as unknown as ModelStatic<Model>)} u ON u.${q(userPk?.field ?? userModel.primaryKeyAttribute)} = t.${q('user_id')}` +
    ` WHERE t.${q('token_hash')} = $1`;

  const values = (row: Record<string, unknown>, p: Part) => {
    const out: Record<string, unknown> = {};
    p.columns.forEach((c, i) => {
      out[c.attribute] = c.decode(row[p.aliases[i]!]);
    });
    return out;
  };
  const built = { raw: true, isNewRecord: false } as const;

  return async function lookupToken(tokenHash) {
    const rows = await sequelize.query<Record<string, unknown>>(sql, {
      bind: [tokenHash],
      type: QueryTypes.SELECT,
      raw: true,
    });
    const row = rows[0];
    if (!row) return null;
    const auth = models.AuthToken.build(values(row, token) as never, built) as DurinAuthToken<TUser>;
    const clientRow = models.Client.build(values(row, client) as never, built) as DurinClient;
    const owner = userModel.build(values(row, user) as never, built);
    attach(auth, 'client', clientRow);
    attach(auth, 'user', owner);
    return { auth, user: owner };
  };
}

/** Sets an association the way Sequelize's `include` does: as a property and in `dataValues`. */
function attach(instance: Model, name: string, value: Model): void {
  (instance as unknown as Record<string, unknown>)[name] = value;
  (instance.dataValues as Record<string, unknown>)[name] = value;
}
