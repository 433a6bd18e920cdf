import { DataTypes, QueryTypes, type DataType, type Sequelize } from 'sequelize';
import { isExpired } from '../core/time.js';
import { convertClient, convertToken, type ConvertedClient, type DjangoClientRow, type DjangoTokenRow } from './convert.js';
import type { Dialect } from './inspect.js';
import { DJANGO_ROW_PROBLEMS } from './messages.js';

/**
 * Reads django-rest-durin's rows and writes trpc-durin's. Tokens go in batches, by id,
 * so memory stays bounded whatever the table's size; every digest is computed by `hashToken`, the
 * same function that hashes a request's token.
 */

export interface TableNames {
  readonly client: string;
  readonly token: string;
}

/** What the rows hold, read before anything changes. */
export interface Survey {
  readonly clients: readonly ConvertedClient[];
  readonly tokens: number;
  readonly expiredTokens: number;
  /** Rows the target cannot hold, each named; empty when the import may go ahead. */
  readonly problems: readonly string[];
}

const MAX_PROBLEMS_LISTED = 20;

/** Where rows are read from and written to, and how many tokens go per statement. */
export interface CopyTarget {
  readonly sequelize: Sequelize;
  readonly dialect: Dialect;
  readonly batchSize: number;
}

/**
 * The datetime columns' types as the models see them (the dialect's DATE(3), with Sequelize's
 * `timezone`), so a Date is written exactly as durin's models write it: without them, Sequelize
 * writes MySQL datetimes without the milliseconds.
 */
function dateColumns(sequelize: Sequelize) {
  const type = (sequelize as unknown as { normalizeDataType(type: DataType): DataType }).normalizeDataType(DataTypes.DATE(3));
  return { created: { type }, expiry: { type } };
}

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * Text, so BIGINTs keep every digit whatever the driver does with numbers. The columns are read as
 * `t.id`, never `id`: that is the text alias, which would sort "10" before "9".
 */
const asText = (dialect: Dialect, column: string) => (dialect === 'sqlite' ? `CAST(${column} AS TEXT)` : `CAST(${column} AS CHAR)`);
/** MySQL hands DATETIME(6) to JS as a Date without the microseconds: ask for Django's text instead. */
const datetimeText = (dialect: Dialect, column: string) =>
  dialect === 'sqlite' ? column : `DATE_FORMAT(${column}, '%Y-%m-%d %H:%i:%s.%f')`;

async function readClients(sequelize: Sequelize, dialect: Dialect, table: string): Promise<DjangoClientRow[]> {
  return sequelize.query<DjangoClientRow>(
    `SELECT ${asText(dialect, 'id')} AS id, name, ${asText(dialect, 'token_ttl')} AS token_ttl, throttle_rate FROM ${q(table)} AS t ORDER BY t.id`,
    { type: QueryTypes.SELECT },
  );
}

async function eachTokenBatch(
  { sequelize, dialect, batchSize }: CopyTarget,
  table: string,
  visit: (rows: DjangoTokenRow[]) => Promise<void> | void,
): Promise<void> {
  const sql =
    `SELECT ${asText(dialect, 'id')} AS id, token, ${datetimeText(dialect, 'created')} AS created, ` +
    `${datetimeText(dialect, 'expiry')} AS expiry, ${asText(dialect, 'client_id')} AS client_id, user_id ` +
    `FROM ${q(table)} AS t WHERE t.id > `;
  let after = '0';
  for (;;) {
    // `after` is an id the database gave as digits: a literal keeps BIGINTs exact on both drivers.
    if (!/^\d+$/.test(after)) throw new Error(DJANGO_ROW_PROBLEMS.idNotInteger(after));
    const rows = await sequelize.query<DjangoTokenRow>(`${sql}${after} ORDER BY t.id LIMIT ${batchSize}`, { type: QueryTypes.SELECT });
    if (rows.length === 0) return;
    await visit(rows);
    after = rows[rows.length - 1]!.id;
  }
}

/** Converts every row without writing anything: the counts, the rounded TTLs and the refused rows. */
export async function survey(target: CopyTarget, from: TableNames): Promise<Survey> {
  const { sequelize, dialect } = target;
  const problems: string[] = [];
  const clients: ConvertedClient[] = [];
  for (const row of await readClients(sequelize, dialect, from.client)) {
    const converted = convertClient(row);
    if (converted.ok) clients.push(converted.value);
    else problems.push(converted.problem);
  }
  let tokens = 0;
  let expiredTokens = 0;
  await eachTokenBatch(target, from.token, (rows) => {
    for (const row of rows) {
      const converted = convertToken(row);
      tokens += 1;
      if (!converted.ok) problems.push(converted.problem);
      else if (isExpired(converted.value.expiry)) expiredTokens += 1;
    }
  });
  const listed = problems.slice(0, MAX_PROBLEMS_LISTED);
  if (problems.length > listed.length) listed.push(`and ${problems.length - listed.length} more`);
  return { clients, tokens, expiredTokens, problems: listed };
}

/** Copies the surveyed clients and every token, digested, from `from` into `to` (same ids). */
export async function copyRows(
  target: CopyTarget,
  { from, to }: { from: TableNames; to: TableNames },
  clients: readonly ConvertedClient[],
): Promise<void> {
  const { sequelize } = target;
  const queryInterface = sequelize.getQueryInterface();
  const dates = dateColumns(sequelize);
  if (clients.length > 0)
    await queryInterface.bulkInsert(
      to.client,
      clients.map((client) => client.row),
    );
  await eachTokenBatch(target, from.token, async (rows) => {
    const converted = rows.map((row) => {
      const result = convertToken(row);
      // survey() refused every row convertToken refuses, before anything changed.
      if (!result.ok) throw new Error(result.problem);
      return result.value;
    });
    await queryInterface.bulkInsert(to.token, converted, {}, dates);
  });
}
