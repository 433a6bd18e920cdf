import { mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sequelize } from 'sequelize-typescript';

/**
 * The example app's database: `DATABASE_URL` as `sqlite:<path>` or `mysql://user:pass@host/db`;
 * without it, a SQLite file under example-app/data/ (created on first start).
 */

export const DEFAULT_SQLITE_FILE = fileURLToPath(new URL('./data/example.sqlite', import.meta.url));

export interface OpenedDatabase {
  sequelize: Sequelize;
  /** What to print: "SQLite example-app/data/example.sqlite", "MySQL db on host:3306". */
  description: string;
}

export function openDatabase(databaseUrl?: string): OpenedDatabase {
  const url = databaseUrl?.trim() || `sqlite:${DEFAULT_SQLITE_FILE}`;

  if (url.startsWith('sqlite:')) {
    // As the trpc-durin CLI reads it: sqlite:<path> or sqlite://<path>, relative to the current
    // directory (sqlite:///abs/path is absolute). Unlike the CLI, the app also takes
    // sqlite::memory: for a throwaway database.
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new Error('DATABASE_URL: expected sqlite:<path>, e.g. sqlite:example-app/data/example.sqlite');
    const storage = path === ':memory:' ? path : resolve(path);
    if (storage !== ':memory:') mkdirSync(dirname(storage), { recursive: true });
    const shown = relative(process.cwd(), storage);
    return {
      sequelize: new Sequelize({ dialect: 'sqlite', storage, logging: false }),
      description: `SQLite ${storage === ':memory:' ? 'in memory' : shown.startsWith('..') ? storage : shown}`,
    };
  }

  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const parsed = new URL(url);
    parsed.protocol = 'mysql:';
    return {
      sequelize: new Sequelize(parsed.toString(), { dialect: 'mysql', logging: false }),
      description: `MySQL ${parsed.pathname.slice(1)} on ${parsed.hostname}:${parsed.port || 3306}`,
    };
  }

  throw new Error(`DATABASE_URL: expected sqlite:<path> or mysql://user:password@host:port/database (got ${url.split(':')[0]}:...)`);
}
