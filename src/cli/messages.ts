import { DurinConfigError } from '../errors.js';

/**
 * Every line the CLI prints, in one place. Errors are one sentence, prefixed `trpc-durin: `, and
 * thrown as `DurinConfigError` (the error for bad input outside tRPC); `run.ts` prints the message.
 */

const HELP_HINT = 'run "trpc-durin --help"';

export const CLI_ERRORS = {
  noCommand: () => `no command given; ${HELP_HINT}`,
  unknownCommand: (name: string) => `unknown command "${name}"; ${HELP_HINT} for the list`,
  unknownOption: (option: string, command: string) => `unknown option "${option}" for ${command}; run "trpc-durin help ${command}"`,
  unknownGlobalOption: (option: string) => `unknown option "${option}"; ${HELP_HINT}`,
  noValueAllowed: (option: string) => `option "${option}" takes no value`,
  missingValue: (option: string) => `option "${option}" needs a value, e.g. ${option}=VALUE`,
  missingName: (command: string) => `${command} needs a client NAME, e.g. "trpc-durin ${command} web"`,
  extraArgument: (command: string, argument: string) => `unexpected argument "${argument}" for ${command}`,
  badUserKeyType: (value: string, allowed: string) => `invalid --user-key-type "${value}": expected one of ${allowed}`,
  noDatabaseUrl: () => 'DATABASE_URL is not set; set it to sqlite:<path> or mysql://user:pass@host:port/db',
  badDatabaseUrl: (scheme: string) => `DATABASE_URL must be sqlite:<path> or mysql://user:pass@host:port/db (got a "${scheme}" URL)`,
  inMemorySqlite: () => 'DATABASE_URL points to an in-memory SQLite database, which would vanish when the command exits; use sqlite:<path>',
  noDatabaseName: () => 'DATABASE_URL names no database: use mysql://user:pass@host:port/db',
  noSqliteFile: (path: string) => `the SQLite database ${path} does not exist; run "trpc-durin migrate" to create it`,
  unreachable: (where: string, reason: string) => `cannot connect to the database at ${where}: ${reason}`,
  noDurinTables: (table: string) => `table "${table}" does not exist: run "trpc-durin migrate" first`,
  noUserTable: (table: string) => `table "${table}" does not exist: durin_authtoken references it, so create your app's user table first`,
  noUserKey: (table: string, key: string) => `table "${table}" has no column "${key}"; pass --user-key NAME`,
  noClient: (name: string) => `no client named "${name}"`,
  missingUserId: (command: string) => `${command} needs a user ID, e.g. "trpc-durin ${command} 42"`,
  badUserId: (id: string) => `invalid user ID ${JSON.stringify(id)}: expected 1 to 255 characters without spaces`,
  migrationFailed: (name: string, reason: string) => `migration ${name} failed: ${reason}`,
  redisNeedsIoredis: () =>
    'REDIS_URL is set, so the revocation is published to your servers through Redis: install ioredis (npm install ioredis)',
  unexpected: (reason: string) => `unexpected error: ${reason}`,
  // --app and durin.config.*: the CLI loads the app's durin object.
  missingAppValue: () => 'option "--app" needs a path, e.g. --app ./src/durin.ts',
  noAppFile: (path: string) => `the app module ${path} does not exist`,
  appNeedsTsx: (path: string) => `${path} is TypeScript: install tsx in your app (npm install -D tsx), or point --app at the compiled .js`,
  appLoadFailed: (path: string, reason: string) => `cannot load the app module ${path}: ${reason}`,
  noDurinExport: (path: string) =>
    `${path} exports no durin object: export it as "durin" (export const durin = createDurin({ ... })) or as the default export`,
  appInMemorySqlite: () => "the app's Sequelize uses an in-memory SQLite database, which the CLI cannot reach; give it a file (storage)",
  appDialect: (dialect: string) => `the app's Sequelize uses "${dialect}"; the CLI supports sqlite and mysql (mariadb)`,
  tablesExistUnrecorded: (tables: string) =>
    `durin's tables already exist (${tables}, made by durin.sync() or sequelize.sync()) but SequelizeMeta does not record their migration; ` +
    'if they are the current schema, record them as migrated without running anything: "trpc-durin migrate --fake"',
  fakeWithoutTables: (table: string) =>
    `--fake records migrations as applied only when their tables exist, and "${table}" does not; run "trpc-durin migrate" without --fake`,
} as const;

/** What import-django converted (or would). */
interface DjangoCounts {
  readonly clients: number;
  readonly tokens: number;
  readonly expired: number;
}

export const CLI_OUTPUT = {
  clientCreated: (name: string) => `Client ${name} created!`,
  clientDeleted: (name: string, tokens: number) => `Client ${name} deleted; ${plural(tokens, 'token')} revoked.`,
  noCacheBus: (timeout: string) =>
    `Note: no cache bus (neither an --app durin with a cacheBus nor REDIS_URL), so running servers may keep accepting these tokens from their cache for up to tokenCacheTimeout (${timeout}).`,
  noClients: () => 'No clients. Create one with "trpc-durin create-client NAME".',
  noTokens: () => 'No tokens.',
  userRevoked: (id: string, tokens: number) => `User ${id}: ${plural(tokens, 'token')} revoked.`,
  expiredRemoved: (count: number) => `Removed ${plural(count, 'expired token')}.`,
  migrationApplied: (name: string) => `Applied ${name}.`,
  migrationFaked: (name: string) => `Recorded ${name} as applied (its tables already exist; nothing was run).`,
  upToDate: () => "No migrations to apply: durin's tables are up to date.",
  userTableMissing: (table: string, key: string, type: string) =>
    `Note: table "${table}" does not exist yet; durin_authtoken.user_id references ${table}.${key} as ${type}, ` +
    `so give ${table}.${key} that type (or rerun with --user-table, --user-key, --user-key-type).`,
  // import-django
  djangoImported: ({ clients, tokens, expired }: DjangoCounts, userTable: string) =>
    `Imported django-rest-durin's tables: ${plural(clients, 'client')}, ${plural(tokens, 'token')} (${expired} expired, kept and refused on use as durin refused them) of users in ${userTable}; every token is now stored as its SHA-256 digest.`,
  djangoDryRun: ({ clients, tokens, expired }: DjangoCounts, userTable: string, migrations: string) =>
    `Dry run, nothing was changed: the import would convert ${plural(clients, 'client')} and ${plural(tokens, 'token')} (${expired} expired) of users in ${userTable}, replacing every token with its SHA-256 digest, and apply ${migrations}.`,
  djangoTtlRounded: ({ client, seconds, rounded }: { client: string; seconds: string; rounded: number }, dryRun: boolean) =>
    `Note: client ${client} had a token TTL of ${seconds} s, not a whole number of seconds; ${dryRun ? 'it would become' : 'it is now'} ${rounded} s (rounded up).`,
  djangoLeftovers: (tables: string, dryRun: boolean) =>
    `${dryRun ? 'Would drop' : 'Dropped'} ${tables}: the old tables, with plaintext tokens, of an import stopped right after its swap.`,
  djangoAlreadyImported: (pending: string, changed: boolean) =>
    `Nothing to import: durin's tables are trpc-durin's already (no plaintext tokens)${changed ? '' : '; nothing was changed'}.` +
    (pending ? ` Run "trpc-durin migrate" to apply ${pending}.` : ''),
} as const;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Throws the one-line error `trpc-durin: <message>`. */
export function fail(message: string): never {
  throw new DurinConfigError(`trpc-durin: ${message}`);
}
