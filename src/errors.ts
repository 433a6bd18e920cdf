import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

/**
 * Every code and message a caller can see, in one table (better-auth's `error-codes.ts` pattern).
 * Throw sites read `throw durinError('TOKEN_EXPIRED')`; no message literal appears anywhere else.
 * The texts are durin's wherever durin has one.
 */

/** The machine-readable codes `durinErrorFormatter` puts in `error.data.durinCode`. */
export const DURIN_ERROR_CODES = {
  HEADER_MALFORMED: 'HEADER_MALFORMED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  USER_INACTIVE: 'USER_INACTIVE',
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  CLIENT_FORBIDDEN: 'CLIENT_FORBIDDEN',
  THROTTLED: 'THROTTLED',
  CLIENT_NOT_SPECIFIED: 'CLIENT_NOT_SPECIFIED',
  CLIENT_UNKNOWN: 'CLIENT_UNKNOWN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  NOT_FOUND: 'NOT_FOUND',
  SESSION_IS_CURRENT: 'SESSION_IS_CURRENT',
  API_ACCESS_EXISTS: 'API_ACCESS_EXISTS',
  API_ACCESS_NOT_CONFIGURED: 'API_ACCESS_NOT_CONFIGURED',
  AUTH_BACKEND_FAILED: 'AUTH_BACKEND_FAILED',
  BACKEND_FAILED: 'BACKEND_FAILED',
  CLIENT_IP_UNKNOWN: 'CLIENT_IP_UNKNOWN',
  CONTEXT_MISSING: 'CONTEXT_MISSING',
  NAME_TOO_LONG: 'NAME_TOO_LONG',
  COOKIE_NOT_CONFIGURED: 'COOKIE_NOT_CONFIGURED',
  CSRF_FAILED: 'CSRF_FAILED',
  ABILITY_MISSING: 'ABILITY_MISSING',
  API_KEY_LIMIT: 'API_KEY_LIMIT',
  API_KEY_NAME_TAKEN: 'API_KEY_NAME_TAKEN',
  INVALID_INPUT: 'INVALID_INPUT',
  ADMIN_NOT_CONFIGURED: 'ADMIN_NOT_CONFIGURED',
  ADMIN_REQUIRED: 'ADMIN_REQUIRED',
  CLIENT_EXISTS: 'CLIENT_EXISTS',
} as const;

export type DurinErrorCode = keyof typeof DURIN_ERROR_CODES;

interface ErrorEntry {
  readonly durinCode: DurinErrorCode;
  readonly code: TRPC_ERROR_CODE_KEY;
  readonly message: string;
}

/** One table of every tRPC-facing error: id → durinCode, tRPC code, message. */
export const DURIN_ERRORS = {
  HEADER_NO_CREDENTIALS: { durinCode: 'HEADER_MALFORMED', code: 'UNAUTHORIZED', message: 'Invalid token header. No credentials provided.' },
  HEADER_HAS_SPACES: {
    durinCode: 'HEADER_MALFORMED',
    code: 'UNAUTHORIZED',
    message: 'Invalid token header. Token string should not contain spaces.',
  },
  TOKEN_INVALID: { durinCode: 'TOKEN_INVALID', code: 'UNAUTHORIZED', message: 'Invalid token.' },
  TOKEN_EXPIRED: { durinCode: 'TOKEN_EXPIRED', code: 'UNAUTHORIZED', message: 'The given token has expired.' },
  USER_INACTIVE: { durinCode: 'USER_INACTIVE', code: 'UNAUTHORIZED', message: 'User inactive or deleted.' },
  NOT_AUTHENTICATED: { durinCode: 'NOT_AUTHENTICATED', code: 'UNAUTHORIZED', message: 'Authentication credentials were not provided.' },
  CLIENT_FORBIDDEN: { durinCode: 'CLIENT_FORBIDDEN', code: 'FORBIDDEN', message: 'You do not have permission to perform this action.' },
  THROTTLED: { durinCode: 'THROTTLED', code: 'TOO_MANY_REQUESTS', message: 'Request was throttled. Expected available in {wait}.' },
  CLIENT_NOT_SPECIFIED: { durinCode: 'CLIENT_NOT_SPECIFIED', code: 'BAD_REQUEST', message: 'No client specified.' },
  CLIENT_UNKNOWN: { durinCode: 'CLIENT_UNKNOWN', code: 'BAD_REQUEST', message: 'No client with that name.' },
  SESSION_NAME_TOO_LONG: {
    durinCode: 'NAME_TOO_LONG',
    code: 'BAD_REQUEST',
    message: 'name: Ensure this field has no more than 64 characters.',
  },
  INVALID_CREDENTIALS: { durinCode: 'INVALID_CREDENTIALS', code: 'BAD_REQUEST', message: 'Unable to log in with provided credentials.' },
  SESSION_NOT_FOUND: { durinCode: 'NOT_FOUND', code: 'NOT_FOUND', message: 'Not found.' },
  SESSION_IS_CURRENT: {
    durinCode: 'SESSION_IS_CURRENT',
    code: 'BAD_REQUEST',
    message: "Can't delete token if the request is authed with it. Use logout instead.",
  },
  API_ACCESS_NOT_FOUND: { durinCode: 'NOT_FOUND', code: 'NOT_FOUND', message: 'Not found.' },
  API_ACCESS_EXISTS: { durinCode: 'API_ACCESS_EXISTS', code: 'CONFLICT', message: 'An API token was already issued to you.' },
  API_ACCESS_NOT_CONFIGURED: {
    durinCode: 'API_ACCESS_NOT_CONFIGURED',
    code: 'PRECONDITION_FAILED',
    message: 'API access is not configured: set settings.apiAccessClientName.',
  },
  API_ACCESS_CLIENT_MISSING: {
    durinCode: 'API_ACCESS_NOT_CONFIGURED',
    code: 'PRECONDITION_FAILED',
    message: 'API access is not configured: no client named "{client}" exists; create it (trpc-durin create-client {client}).',
  },
  AUTH_BACKEND_FAILED: {
    durinCode: 'AUTH_BACKEND_FAILED',
    code: 'INTERNAL_SERVER_ERROR',
    message: 'The token could not be verified: the authentication backend failed.',
  },
  BACKEND_FAILED: {
    durinCode: 'BACKEND_FAILED',
    code: 'INTERNAL_SERVER_ERROR',
    message: 'The request could not be completed: the authentication backend failed.',
  },
  CLIENT_IP_UNKNOWN: {
    durinCode: 'CLIENT_IP_UNKNOWN',
    code: 'INTERNAL_SERVER_ERROR',
    message:
      'trpc-durin cannot throttle this request: the client IP is unknown. Pass it to the context factory ({ ...opts, ip }) or set settings.trustProxy.',
  },
  CONTEXT_MISSING: {
    durinCode: 'CONTEXT_MISSING',
    code: 'INTERNAL_SERVER_ERROR',
    message:
      "This app's context lacks durin's (ctx.durin): spread `...(await durin.createDurinContext(opts))` into the createContext of the server that mounts durin.router.",
  },
  COOKIE_NOT_CONFIGURED: { durinCode: 'COOKIE_NOT_CONFIGURED', code: 'BAD_REQUEST', message: 'Cookie sessions are not configured.' },
  CSRF_FAILED: { durinCode: 'CSRF_FAILED', code: 'FORBIDDEN', message: 'Cross-site request refused.' },
  ABILITY_MISSING: { durinCode: 'ABILITY_MISSING', code: 'FORBIDDEN', message: 'This token lacks the ability: {ability}.' },
  API_KEY_LIMIT: { durinCode: 'API_KEY_LIMIT', code: 'CONFLICT', message: 'You have too many API keys.' },
  API_KEY_NOT_FOUND: { durinCode: 'NOT_FOUND', code: 'NOT_FOUND', message: 'Not found.' },
  API_KEY_NAME_TAKEN: {
    durinCode: 'API_KEY_NAME_TAKEN',
    code: 'CONFLICT',
    message: 'Invalid name: you already have an API key named "{name}".',
  },
  API_KEY_INPUT_INVALID: { durinCode: 'INVALID_INPUT', code: 'BAD_REQUEST', message: 'Invalid {field}: {problem}' },
  ADMIN_NOT_CONFIGURED: { durinCode: 'ADMIN_NOT_CONFIGURED', code: 'FORBIDDEN', message: 'Administration is not configured.' },
  ADMIN_REQUIRED: { durinCode: 'ADMIN_REQUIRED', code: 'FORBIDDEN', message: 'You do not have permission to perform this action.' },
  ADMIN_NOT_FOUND: { durinCode: 'NOT_FOUND', code: 'NOT_FOUND', message: 'Not found.' },
  ADMIN_INPUT_INVALID: { durinCode: 'INVALID_INPUT', code: 'BAD_REQUEST', message: 'Invalid {field}: {problem}' },
  ADMIN_CURSOR_INVALID: { durinCode: 'INVALID_INPUT', code: 'BAD_REQUEST', message: 'Invalid cursor.' },
  CLIENT_EXISTS: { durinCode: 'CLIENT_EXISTS', code: 'CONFLICT', message: 'A client named "{name}" already exists.' },
} as const satisfies Record<string, ErrorEntry>;

export type DurinErrorId = keyof typeof DURIN_ERRORS;

/**
 * The close code of a WebSocket connection durin closes because its token was refused: in the range
 * the WebSocket protocol leaves to applications (4000-4999), read as HTTP's 401, as graphql-ws does.
 * The close reason is the refusal's message ("Invalid token.", ...).
 */
export const DURIN_WEBSOCKET_CLOSE_CODE = 4401;

/** Messages of errors that are not shown to callers as such (their durin error is), for logs and `cause`. */
export const DURIN_INTERNAL_MESSAGES = {
  rotationContended: 'trpc-durin: could not issue a token: other processes kept rotating the same (user, client) row',
  lookupTimedOut: (ms: number) => `trpc-durin: the token lookup did not answer within lookupTimeout (${ms} ms)`,
  writeTimedOut: (ms: number) => `trpc-durin: a token write did not finish within writeTimeout (${ms} ms) and was rolled back`,
  usernameColumnMissing: (table: string, column: string) =>
    `trpc-durin: the login throttle found no column "${column}" in table "${table}" (settings.usernameField names the user model's attribute)`,
  usernameCollationUnknown: (collation: string) =>
    `trpc-durin: the login throttle cannot key names by the username column's collation ${JSON.stringify(collation)}`,
  busConnectedTwice: 'trpc-durin: a redisCacheBus serves one durin instance, connected once',
  busSubscriberLost: (why: string) => `trpc-durin: the bus's subscriber connection ${why}`,
  redisNotSending: (status: string) => `trpc-durin: the Redis client is ${status}`,
  redisTimedOut: (ms: number) => `trpc-durin: Redis did not answer within ${ms} ms`,
} as const;

/** The `cause` of every TRPCError durin throws: carries the `durinCode` for `durinErrorFormatter`. */
export class DurinError extends Error {
  override readonly name = 'DurinError';
  constructor(
    readonly durinCode: DurinErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
  /** Seconds to wait before trying again (a throttled request), shown to clients as `data.retryAfter`. */
  readonly retryAfter?: number;
}

/** The message of an error id, with `{name}` placeholders filled in. */
export function durinMessage(id: DurinErrorId, params: Record<string, string | number> = {}): string {
  return DURIN_ERRORS[id].message.replace(/\{(\w+)\}/g, (_, key: string) => String(params[key] ?? `{${key}}`));
}

/** DRF's wording of a throttle wait: "1 second", "N seconds". */
export function formatWait(seconds: number): string {
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/** The TRPCError for an error id: `throw durinError('TOKEN_EXPIRED')`. */
export function durinError(id: DurinErrorId, params?: Record<string, string | number>, cause?: unknown): TRPCError {
  const entry = DURIN_ERRORS[id];
  const message = durinMessage(id, params);
  return new TRPCError({
    code: entry.code,
    message,
    cause: new DurinError(entry.durinCode, message, cause === undefined ? undefined : { cause }),
  });
}

/** THROTTLED with the wait in seconds, which `durinErrorFormatter` shows as `data.retryAfter`. */
export function throttledError(waitSeconds: number): TRPCError {
  const message = durinMessage('THROTTLED', { wait: formatWait(waitSeconds) });
  return new TRPCError({
    code: DURIN_ERRORS.THROTTLED.code,
    message,
    cause: new DurinError('THROTTLED', message, { retryAfter: waitSeconds }),
  });
}

/** The durin code behind a TRPCError durin threw, or `null` for any other error. */
export function getDurinCode(error: unknown): DurinErrorCode | null {
  const cause = error instanceof TRPCError ? error.cause : error;
  return cause instanceof DurinError ? cause.durinCode : null;
}

/**
 * A tRPC `errorFormatter` that adds `data.durinCode` to durin's errors (others are left as they are), so clients can tell "expired, log in again"
 * from the rest. Compose it with your own formatter, or pass it as is:
 * `initTRPC.create({ errorFormatter: durinErrorFormatter })`.
 */
export function durinErrorFormatter<TShape extends { data: object }>(opts: {
  shape: TShape;
  error: TRPCError;
}): TShape & { data: TShape['data'] & { durinCode?: DurinErrorCode; retryAfter?: number } } {
  const durinCode = getDurinCode(opts.error);
  // Other errors keep their shape as tRPC made it: no `durinCode: null` on every error.
  if (durinCode === null) return opts.shape;
  // A client behind a batch or a WebSocket sees no Retry-After header: the wait travels in the body too.
  const retryAfter = (opts.error.cause as DurinError).retryAfter;
  return { ...opts.shape, data: { ...opts.shape.data, durinCode, ...(retryAfter === undefined ? {} : { retryAfter }) } };
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
  got: (expected: string, got: string) => `${expected} (got ${got})`,
  duration: (forms: string) => `expected ${forms}`,
  durationGot: (forms: string, got: string) => `expected ${forms} (got ${got})`,
  rateGot: (form: string, got: string) => `expected ${form} (got ${got})`,
  nullOrRateGot: (form: string, got: string) => `expected null or ${form} (got ${got})`,
  clientNameBlank: 'it may not be blank',
  clientNameForm: (got: string) => `expected 1 to 64 characters without leading or trailing spaces (got ${got})`,
  throttleScope: (got: string) => `expected 1 to 64 letters, digits, "_", "." or "-" (got ${got})`,
  migrationName: (got: string) => `expected a non-empty name (got ${got})`,
  abilityList: (got: string) => `expected a list of abilities such as ["posts:read"] (got ${got})`,
  tooManyAbilities: (max: number) => `expected at most ${max} abilities`,
  abilityForm: (got: string) => `expected abilities of 1 to 64 printable characters without spaces (got ${got})`,
  abilityUndeclared: (got: string, declared: readonly string[]) =>
    `${got} is not one of the abilities the app declared (${declared.map((a) => JSON.stringify(a)).join(', ') || 'none'})`,
  apiKeyName: (got: string) => `expected 1 to 64 characters once trimmed (got ${got})`,
  atMostSeconds: (max: number, got: string) => `expected at most ${max} seconds, the apiKeyMaxLifetime setting (got ${got})`,
  redisPrefix: (got: string) => `expected up to 64 letters, digits, "_", ":", ".", "-", "{" or "}" (got ${got})`,
  integerRange: (min: number, max: number, got: string) => `expected an integer from ${min} to ${max} (got ${got})`,
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
