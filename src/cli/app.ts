import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DataType, Model, ModelStatic } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import type { Durin } from '../createDurin.js';
import { isDurinConfigError } from '../config/messages.js';
import { CLI_ERRORS, fail } from './messages.js';

/**
 * The CLI knows the app: `trpc-durin --app ./src/durin.ts <command>`, or a
 * `durin.config.{ts,mts,js,mjs}` in the current directory, loads the module that exports the
 * app's durin object. Then every command runs on the app's own Sequelize connection, `migrate`
 * points `user_id` at the app's user model (its table, key column and key type), and
 * `create-client` gets the app's settings (`defaultTokenTtl`). TypeScript modules are loaded with
 * the app's tsx (`tsx/esm/api`), which reads the app's tsconfig.json.
 */

/** The file names looked for in the current directory when there is no `--app`. */
export const APP_CONFIG_FILES = ['durin.config.ts', 'durin.config.mts', 'durin.config.js', 'durin.config.mjs'] as const;

/** What the CLI takes from the app. */
export interface CliApp {
  readonly path: string;
  readonly durin: Durin;
  readonly sequelize: Sequelize;
  /** Where `durin_authtoken.user_id` points, from the app's user model. */
  readonly user: { readonly table: string; readonly key: string; readonly keyType: DataType };
}

/** The `--app` file, else a durin.config.* in `cwd`, else `null` (the CLI then works from DATABASE_URL alone). */
export function findAppModule(cwd: string, appOption: string | undefined): string | null {
  if (appOption !== undefined) {
    const path = isAbsolute(appOption) ? appOption : resolve(cwd, appOption);
    return existsSync(path) ? path : fail(CLI_ERRORS.noAppFile(appOption));
  }
  for (const name of APP_CONFIG_FILES) {
    if (existsSync(join(cwd, name))) return join(cwd, name);
  }
  return null;
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  if (!/\.[cm]?tsx?$/.test(path)) return (await import(url)) as Record<string, unknown>;
  // tsx from the app's own node_modules: trpc-durin does not depend on it.
  // tsx's ES module entry (its CommonJS one cannot import its loader from here), found through
  // its package.json, since `require.resolve` only sees the "require" condition.
  let entry: string;
  try {
    const manifest = createRequire(path).resolve('tsx/package.json');
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
    entry = join(dirname(manifest), exports['./esm/api']!.import.default);
  } catch {
    return fail(CLI_ERRORS.appNeedsTsx(path));
  }
  const api = (await import(pathToFileURL(entry).href)) as {
    tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>>;
  };
  return api.tsImport(url, import.meta.url);
}

function isDurin(value: unknown): value is Durin {
  const durin = value as Partial<Durin> | null;
  return (
    typeof durin?.clients?.create === 'function' && typeof durin.models?.AuthToken === 'function' && typeof durin.settings === 'object'
  );
}

/** The user model's table, key column and key type, as `migrate` needs them. */
function userReference(durin: Durin): CliApp['user'] {
  const User = durin.models.AuthToken.associations.user!.target as ModelStatic<Model>;
  const table = User.getTableName();
  const keyAttribute = User.getAttributes()[User.primaryKeyAttribute]!;
  return {
    table: typeof table === 'string' ? table : table.tableName,
    key: keyAttribute.field ?? User.primaryKeyAttribute,
    keyType: keyAttribute.type as DataType,
  };
}

/** Loads the app module at `path` and takes its durin object (export `durin`, or the default export). */
export async function loadApp(path: string): Promise<CliApp> {
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(path);
  } catch (error) {
    if (isDurinConfigError(error)) throw error;
    return fail(CLI_ERRORS.appLoadFailed(path, error instanceof Error ? error.message : String(error)));
  }
  const durin = [exports.durin, exports.default, (exports.default as Record<string, unknown> | undefined)?.durin].find(isDurin);
  if (!durin) fail(CLI_ERRORS.noDurinExport(path));
  return { path, durin, sequelize: durin.models.Client.sequelize as Sequelize, user: userReference(durin) };
}
