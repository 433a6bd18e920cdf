import { existsSync } from 'node:fs';
import { Sequelize } from 'sequelize-typescript';
import { CLI_ERRORS, fail } from './messages.js';

/** The CLI's connection: one Sequelize instance, closed by `runCli` when the command ends. */
export interface CliDatabase {
  readonly sequelize: Sequelize;
  readonly dialect: 'sqlite' | 'mysql';
  /** The database for messages, without the password. */
  readonly where: string;
}

type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly storage: string; readonly where: string }
  | { readonly dialect: 'mysql'; readonly url: string; readonly where: string };

/**
 * Reads DATABASE_URL: `sqlite:<path>` (also `sqlite://<path>`; relative paths are from the current
 * directory) or `mysql://user:pass@host:port/db` (also `mariadb://`). In-memory SQLite is refused:
 * it would vanish with the process.
 */
export function parseDatabaseUrl(value: string | undefined): DatabaseTarget {
  if (value === undefined || value.trim() === '') fail(CLI_ERRORS.noDatabaseUrl());
  const url = value.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const storage = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (storage === '' || storage === ':memory:' || storage.startsWith('file::memory:')) fail(CLI_ERRORS.inMemorySqlite());
    return { dialect: 'sqlite', storage, where: `sqlite:${storage}` };
  }
  if (scheme !== 'mysql' && scheme !== 'mariadb') fail(CLI_ERRORS.badDatabaseUrl(scheme ?? url.slice(0, 12)));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(CLI_ERRORS.badDatabaseUrl(scheme));
  }
  if (parsed.pathname.replace(/^\//, '') === '') fail(CLI_ERRORS.noDatabaseName());
  parsed.protocol = 'mysql:'; // mariadb:// too, through mysql2 (as the example app reads it)
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  return { dialect: 'mysql', url: parsed.toString(), where: `mysql://${user}${parsed.host}${parsed.pathname}` };
}

/**
 * Connects to DATABASE_URL and checks the connection, so an unreachable database is one clear
 * line. `create: false` refuses a SQLite file that does not exist (instead of creating an empty one).
 */
export async function openDatabase(env: Record<string, string | undefined>, options: { create: boolean }): Promise<CliDatabase> {
  const target = parseDatabaseUrl(env.DATABASE_URL);
  if (target.dialect === 'sqlite' && !options.create && !existsSync(target.storage)) {
    fail(CLI_ERRORS.noSqliteFile(target.storage));
  }
  let sequelize: Sequelize | undefined;
  try {
    sequelize =
      target.dialect === 'sqlite'
        ? new Sequelize({ dialect: 'sqlite', storage: target.storage, logging: false })
        : // One connection: commands run one statement at a time, and a session setting
          // (migrate's FOREIGN_KEY_CHECKS) must apply to every statement that follows it.
          new Sequelize(target.url, { dialect: 'mysql', logging: false, pool: { max: 1, min: 0, idle: 60_000 } });
    await sequelize.authenticate();
  } catch (error) {
    await sequelize?.close().catch(() => {});
    const reason = error instanceof Error ? ((error as Error & { original?: Error }).original?.message ?? error.message) : String(error);
    return fail(CLI_ERRORS.unreachable(target.where, reason));
  }
  return { sequelize, dialect: target.dialect, where: target.where };
}

/**
 * The app's own Sequelize connection, for `--app` (src/cli/app.ts): the same checks as
 * DATABASE_URL's (in-memory and missing SQLite files refused, one line when unreachable).
 */
export async function openAppDatabase(sequelize: Sequelize, options: { create: boolean }): Promise<CliDatabase> {
  const dialect = sequelize.getDialect();
  if (dialect !== 'sqlite' && dialect !== 'mysql' && dialect !== 'mariadb') fail(CLI_ERRORS.appDialect(dialect));
  const { database, username, host, port } = sequelize.config;
  let where: string;
  if (dialect === 'sqlite') {
    const storage = (sequelize.options as { storage?: string }).storage ?? '';
    if (storage === '' || storage === ':memory:' || storage.startsWith('file::memory:')) fail(CLI_ERRORS.appInMemorySqlite());
    if (!options.create && !existsSync(storage)) fail(CLI_ERRORS.noSqliteFile(storage));
    where = `sqlite:${storage}`;
  } else {
    where = `${dialect}://${username ? `${username}@` : ''}${host ?? 'localhost'}${port ? `:${port}` : ''}/${database}`;
  }
  try {
    await sequelize.authenticate();
  } catch (error) {
    const reason = error instanceof Error ? ((error as Error & { original?: Error }).original?.message ?? error.message) : String(error);
    return fail(CLI_ERRORS.unreachable(where, reason));
  }
  return { sequelize, dialect: dialect === 'sqlite' ? 'sqlite' : 'mysql', where };
}
