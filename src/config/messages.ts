/**
 * Every message raised outside tRPC, in one place: the settings and options checked at
 * `createDurin`, `clients.create`, the throttle and migration options, the CLI and the Django
 * importer. All of them are `DurinConfigError`s, one sentence starting `trpc-durin: `, and
 * `isDurinConfigError` is the one way to tell them. What a tRPC caller sees lives in `errors.ts`.
 */

/** `<expectation> (got <value>)`: how every message shows the value it refused. */
export function got(expected: string, value: string): string {
  return `${expected} (got ${value})`;
}

/**
 * The error for bad input outside tRPC: settings, `clients.create`, the CLI. Its message is one
 * sentence naming the field, e.g. `trpc-durin: invalid setting "tokenCharacterLength": ...`.
 */
export class DurinConfigError extends Error {
  override readonly name = 'DurinConfigError';
  /** The field that was invalid (e.g. a client's "tokenTtl"), for code that names it in its own words. */
  readonly field: string | undefined;
  /** What was wrong with it, the sentence after the field (e.g. 'expected ... (got "x")'). */
  readonly problem: string | undefined;
  constructor(message: string, options?: { field?: string; problem?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.field = options?.field;
    this.problem = options?.problem;
  }
}

/**
 * True for a `DurinConfigError` of any copy of the package: the CLI may load an app (`--app`)
 * whose trpc-durin is another install than its own, so `instanceof` would miss it.
 */
export function isDurinConfigError(error: unknown): error is DurinConfigError {
  return error instanceof Error && error.name === 'DurinConfigError';
}

/**
 * The messages of `DurinConfigError` (one table of texts): every start-up and input
 * error raised outside tRPC. Each is a function of what it reports; the problems are below.
 */
export const DURIN_CONFIG_MESSAGES = {
  /** The common form: `invalid <subject> "<field>": <problem>`; `invalidConfig` builds the error. */
  invalid: (subject: DurinConfigSubject, field: string, problem: string) => `trpc-durin: invalid ${subject} "${field}": ${problem}`,
  unknownSetting: (name: string, suggestion?: string) =>
    `trpc-durin: unknown setting "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
  noClientNames: (helper: string) => `trpc-durin: ${helper}() needs at least one client name`,
  noAbilities: (helper: string) => `trpc-durin: ${helper}() needs at least one ability`,
  invalidClientName: (helper: string, name: unknown) => `trpc-durin: ${helper}() got an invalid client name ${JSON.stringify(name)}`,
  clientExists: (name: string) => `trpc-durin: a client named "${name}" already exists`,
  migrationNoUserKey: (table: string, key: string) =>
    `trpc-durin: table "${table}" has no column "${key}", which durin_authtoken.user_id must reference: set the migration option userKey to its primary key`,
  migrationNoUserTable: (table: string) =>
    `trpc-durin: table "${table}" does not exist, and MySQL will not create durin_authtoken.user_id's foreign key to it: ` +
    "list durin's migrations after the one that creates your user table (or set the migration option userTable)",
  noMigration: (name: string, names: readonly string[]) =>
    `trpc-durin: no migration named "${name}" (this version has ${names.join(', ')})`,
} as const;

/** What a `DurinConfigError`'s field belongs to, as its message names it. */
export type DurinConfigSubject = 'option' | 'setting' | 'client' | 'throttle option' | 'migration option' | `${string} option`;

/** How a value is shown after "got" in a problem: strings quoted, everything else as `String` would. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The problems of `invalid <subject> "<field>": <problem>` (the error's `problem`), one table with
 * DURIN_CONFIG_MESSAGES. `got` values are passed already described (JSON, or `describeValue`).
 */
export const DURIN_CONFIG_PROBLEMS = {
  notAnObject: 'expected an object',
  sequelize: "expected a Sequelize instance from sequelize-typescript (new Sequelize(...) from 'sequelize-typescript')",
  userModel: 'expected a Sequelize model with a primary key, defined on the same Sequelize instance',
  userModelSequelize: 'expected a model defined on the Sequelize instance passed as "sequelize"',
  authenticateUser: 'expected a function ({ username, password }) => user | null',
  aFunction: 'expected a function',
  throttleStore: 'expected an object with a hit(key, window, at) method',
  cacheBus: 'expected an object with connect(link), publish(message), healthy and close(), such as redisCacheBus(redis)',
  telemetry: 'expected an object with authDecided(event), span(name, attributes, fn) and observe(sources), such as durinTelemetry()',
  /** Any expectation (a settings schema issue, ...) with the value it refused. */
  got,
  duration: (forms: string) => `expected ${forms}`,
  durationGot: (forms: string, value: string) => got(`expected ${forms}`, value),
  rateGot: (form: string, value: string) => got(`expected ${form}`, value),
  nullOrRateGot: (form: string, value: string) => got(`expected null or ${form}`, value),
  clientNameBlank: 'it may not be blank',
  clientNameForm: (value: string) => got('expected 1 to 64 characters without leading or trailing spaces', value),
  throttleScope: (value: string) => got('expected 1 to 64 letters, digits, "_", "." or "-"', value),
  migrationName: (value: string) => got('expected a non-empty name', value),
  abilityList: (value: string) => got('expected a list of abilities such as ["posts:read"]', value),
  tooManyAbilities: (max: number) => `expected at most ${max} abilities`,
  abilityForm: (value: string) => got('expected abilities of 1 to 64 printable characters without spaces', value),
  abilityUndeclared: (value: string, declared: readonly string[]) =>
    `${value} is not one of the abilities the app declared (${declared.map((a) => JSON.stringify(a)).join(', ') || 'none'})`,
  apiKeyName: (value: string) => got('expected 1 to 64 characters once trimmed', value),
  atMostSeconds: (max: number, value: string) => got(`expected at most ${max} seconds, the apiKeyMaxLifetime setting`, value),
  redisPrefix: (value: string) => got('expected up to 64 letters, digits, "_", ":", ".", "-", "{" or "}"', value),
  integerRange: (min: number, max: number, value: string) => got(`expected an integer from ${min} to ${max}`, value),
  /** The user model's instances shadow attributes with own properties (class fields, [[Define]] semantics). */
  shadowedAttributes: (model: string, attributes: readonly string[]) =>
    `${model} instances have own properties (${attributes.join(', ')}) ` +
    `that hide Sequelize's attribute getters, so they read as undefined. Class fields are being defined: ` +
    `set "useDefineForClassFields": false in tsconfig.json's compilerOptions (needed with "target" ES2022 or later; ` +
    `tsc, tsx and esbuild all read it)`,
  /** What `unsupportedUserModel` names: a defaultScope that filters or joins, or a find hook. */
  scopeWith: (key: string) => `a defaultScope with "${key}"`,
  findHook: (hook: string) => `a "${hook}" hook`,
  /** The user model has a defaultScope or a find hook the one-query lookup cannot apply (userModelCheck.ts). */
  /** The user model's key and durin_authtoken.user_id are of different families (userKeyCheck.ts). */
  userKeyMismatch: ({ key, type, column }: { key: string; type: string; column: string }) =>
    `its primary key "${key}" is ${type}, but durin_authtoken.user_id is ${column}, so no token of its users can be stored; ` +
    `rerun durin's migrations on a fresh durin_authtoken with userKeyType matching "${key}" (and userKey naming its column), ` +
    'or "trpc-durin --app ... migrate", which reads both from this model',
  unsupportedUserModel: (what: string) =>
    `it has ${what}, which durin's one-query token lookup cannot apply; ` +
    'express who may authenticate with isUserActive instead (a paranoid model is supported)',
} as const;

/**
 * What each setting expects: the settings schema's issues (settings.ts), which `resolveSettings`
 * turns into `invalid setting "<name>": <expectation> (got <value>)`. Limits are passed in.
 */
export const DURIN_SETTING_PROBLEMS = {
  duration: (forms: string) => `expected ${forms}`,
  nullOrDuration: (forms: string) => `expected null or ${forms}`,
  nullOrRate: (form: string) => `expected null or ${form}`,
  tokenCharacterLength: (max: number) => `expected an even integer from 32 to ${max}`,
  tokenPrefix: (max: number) => `expected up to ${max} printable characters without spaces`,
  authHeaderPrefix: 'expected one word of printable characters, such as "Token" or "Bearer"',
  tokenCacheTimeout: (forms: string) => `expected ${forms}, up to 24 days`,
  positiveInteger: 'expected a positive integer',
  apiAccessClientName: 'expected null or a client name of 1 to 64 characters',
  boolean: 'expected true or false',
  trustProxy: 'expected false, a hop count, a list of trusted addresses/CIDRs (such as ["10.0.0.0/8", "loopback"]) or true',
  lookupTimeout: (forms: string) => `expected ${forms}, or milliseconds such as "500ms"`,
  usernameField: 'expected the name of an attribute of the user model',
  cookie: 'expected null or an object { name?, path?, domain?, sameSite?, secure?, trustedOrigins? }',
  cookieName: 'expected a cookie name of 1 to 64 letters, digits, "_", "-" or "."',
  cookiePath: 'expected a path starting with "/" without ";" or spaces',
  cookieDomain: 'expected a domain name such as "example.com"',
  cookieSameSite: 'expected "lax", "strict" or "none"',
  cookieSecure: 'expected true or false (and true when sameSite is "none", which browsers require)',
  cookieTrustedOrigins: 'expected a list of origins such as ["https://app.example.com"] (scheme, host and port; no path)',
  legacyNeedsChecksum: 'expected true while tokenChecksum is false (no token would be well-formed)',
} as const;

/** The `DurinConfigError` for an invalid field, with `field` and `problem` set for code that matches them. */
export function invalidConfig(subject: DurinConfigSubject, field: string, problem: string): DurinConfigError {
  return new DurinConfigError(DURIN_CONFIG_MESSAGES.invalid(subject, field, problem), { field, problem });
}

/** Throws the one-line error `trpc-durin: <message>` (the CLI's and the Django importer's refusals). */
export function fail(message: string, cause?: unknown): never {
  throw new DurinConfigError(`trpc-durin: ${message}`, cause === undefined ? undefined : { cause });
}

// The CLI: every line it prints. `run.ts` prints an error's message as it is.

const HELP_HINT = 'run "trpc-durin --help"';

export const CLI_ERRORS = {
  noCommand: () => `no command given; ${HELP_HINT}`,
  unknownCommand: (name: string) => `unknown command "${name}"; ${HELP_HINT} for the list`,
  unknownOption: (option: string, command: string) => `unknown option "${option}" for ${command}; run "trpc-durin help ${command}"`,
  unknownGlobalOption: (option: string) => `unknown option "${option}"; ${HELP_HINT}`,
  noValueAllowed: (option: string) => `option "${option}" takes no value`,
  missingValue: (option: string) => `option "${option}" needs a value, e.g. ${option}=VALUE`,
  missingArgument: (command: string, placeholders: readonly string[]) =>
    placeholders.length === 1
      ? placeholders[0] === 'USER'
        ? `${command} needs a user ID, e.g. "trpc-durin ${command} 42"`
        : `${command} needs a client NAME, e.g. "trpc-durin ${command} web"`
      : `${command} needs ${placeholders.join(' and ')}, e.g. "trpc-durin ${command} 42 ci-deploy"`,
  badUserId: (id: string) => `invalid user ID ${JSON.stringify(id)}: expected 1 to 255 characters without spaces`,
  extraArgument: (command: string, argument: string) => `unexpected argument "${argument}" for ${command}`,
  badUserKeyType: (value: string, allowed: string) => `invalid --user-key-type "${value}": expected one of ${allowed}`,
  noDatabaseUrl: () => 'DATABASE_URL is not set; set it to sqlite:<path> or mysql://user:pass@host:port/db',
  badDatabaseUrl: (scheme: string) => got('DATABASE_URL must be sqlite:<path> or mysql://user:pass@host:port/db', `a "${scheme}" URL`),
  inMemorySqlite: () => 'DATABASE_URL points to an in-memory SQLite database, which would vanish when the command exits; use sqlite:<path>',
  noDatabaseName: () => 'DATABASE_URL names no database: use mysql://user:pass@host:port/db',
  noSqliteFile: (path: string) => `the SQLite database ${path} does not exist; run "trpc-durin migrate" to create it`,
  unreachable: (where: string, reason: string) => `cannot connect to the database at ${where}: ${reason}`,
  noDurinTables: (table: string) => `table "${table}" does not exist: run "trpc-durin migrate" first`,
  noUserTable: (table: string) => `table "${table}" does not exist: durin_authtoken references it, so create your app's user table first`,
  noUserKey: (table: string, key: string) => `table "${table}" has no column "${key}"; pass --user-key NAME`,
  noClient: (name: string) => `no client named "${name}"`,
  migrationFailed: (name: string, reason: string) => `migration ${name} failed: ${reason}`,
  redisNeedsIoredis: () =>
    'REDIS_URL is set, so the revocation is published to your servers through Redis: install ioredis (npm install ioredis)',
  // create-api-key
  needsApp: (command: string) => `${command} finds USER in your app's user model: pass --app ./path/to/durin.ts (or add a durin.config.ts)`,
  noUser: (table: string, key: string, value: string) => `no user with ${table}.${key} = "${value}"`,
  badExpiresIn: (value: string, problem: string) => `invalid --expires-in "${value}": ${problem}`,
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
  noTokens: () => 'No tokens.',
  userRevoked: (id: string, tokens: number) => `User ${id}: ${plural(tokens, 'token')} revoked.`,
  noClients: () => 'No clients. Create one with "trpc-durin create-client NAME".',
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

// The Django importer: each refusal says that nothing changed, so the CLI can print it as is.

const UNCHANGED = 'nothing was changed';

export const DJANGO_IMPORT_ERRORS = {
  noDurinTables: (missing: string) => `not a django-rest-durin database: table ${missing} does not exist; ${UNCHANGED}`,
  notDjangoSchema: (table: string, expected: string, got: string) =>
    `not a django-rest-durin database: ${table} has columns ${got}, expected ${expected}; ${UNCHANGED}`,
  unsupportedDialect: (dialect: string) => `the Django import supports SQLite and MySQL/MariaDB, not ${dialect}; ${UNCHANGED}`,
  metaAlreadyRecords: (names: string) =>
    `SequelizeMeta already records ${names} although durin's tables are django-rest-durin's; ${UNCHANGED}`,
  noUserReference: () => `durin_authtoken.user_id references no table; name the user table (--user-table, option userTable); ${UNCHANGED}`,
  noUserTable: (table: string, key: string) => `the user table ${table} has no column ${key}; ${UNCHANGED}`,
  rowsRefused: (list: string) => `cannot import, the target schema cannot hold these rows: ${list}; ${UNCHANGED}`,
  copyFailed: (reason: string) => `the import failed while building the new tables (${reason}); ${UNCHANGED}`,
  badBatchSize: (value: string) => `invalid import option "batchSize": ${got('expected an integer from 1 to 10000', value)}`,
  badOption: (option: string, value: string) => `invalid import option "${option}": ${got('expected a non-empty name', value)}`,
} as const;

/** One refused row, for `rowsRefused`: which row and why (never a token's value). */
export const DJANGO_ROW_PROBLEMS = {
  nameTooLong: (id: string, length: number) => `durin_client id ${id}: name is ${length} characters (at most 64)`,
  badRate: (id: string, rate: string) => `durin_client id ${id}: throttle_rate ${JSON.stringify(rate.slice(0, 70))} is not a rate`,
  badTtl: (id: string, ttl: string) => `durin_client id ${id}: token_ttl ${ttl} µs is not a positive duration`,
  badToken: (id: string) => `durin_authtoken id ${id}: the token is empty, overlong or not printable, so it could never authenticate`,
  badDate: (id: string, column: string) => `durin_authtoken id ${id}: ${column} is not a datetime`,
  idNotInteger: (id: string) => `durin_authtoken id ${id} is not an integer`,
} as const;
