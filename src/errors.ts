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

/**
 * What `durinErrorFormatter` puts in `error.data.durinHint` beside a code, when durin knows why a
 * caller got it. `HEADER_SCHEME`: the request was anonymous because its `Authorization` header
 * used a scheme other than `authHeaderPrefix` (`Bearer x` where durin reads `Token x`), which durin
 * treats as meant for another backend.
 */
export const DURIN_ERROR_HINTS = { HEADER_SCHEME: 'HEADER_SCHEME' } as const;

export type DurinErrorHint = keyof typeof DURIN_ERROR_HINTS;

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
    options?: { cause?: unknown; retryAfter?: number; hint?: DurinErrorHint },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options?.hint !== undefined) this.hint = options.hint;
  }
  /** Seconds to wait before trying again (a throttled request), shown to clients as `data.retryAfter`. */
  readonly retryAfter?: number;
  /** Why the caller got this error, when durin knows more than the message says; shown as `data.durinHint`. */
  readonly hint?: DurinErrorHint;
}

/** The message of an error id, with `{name}` placeholders filled in. */
export function durinMessage(id: DurinErrorId, params?: Record<string, string | number>): string {
  // Without params every placeholder would be kept as written: the message is the table's text.
  if (params === undefined) return DURIN_ERRORS[id].message;
  return DURIN_ERRORS[id].message.replace(/\{(\w+)\}/g, (_, key: string) => String(params[key] ?? `{${key}}`));
}

/** DRF's wording of a throttle wait: "1 second", "N seconds". */
export function formatWait(seconds: number): string {
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

/** The refusals of a caller's credentials or rights (401, 403, 429): see `refusal`. */
const REFUSAL_CODES: ReadonlySet<TRPC_ERROR_CODE_KEY> = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS']);

/**
 * Builds the TRPCError (and its DurinError cause) of a refusal the caller brought on itself (a bad
 * or expired token, a missing right, throttling) without stack traces. Such a stack always points
 * at the durin middleware that refused, so it tells no one anything, and capturing the two traces
 * costs more than the rest of the refusal: a flood of forged tokens should be cheap to turn away.
 * Every other error (a backend failure above all) keeps its stack, which is what its log needs.
 */
function refusal(code: TRPC_ERROR_CODE_KEY, build: () => TRPCError): TRPCError {
  if (!REFUSAL_CODES.has(code)) return build();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The TRPCError for an error id: `throw durinError('TOKEN_EXPIRED')`. */
export function durinError(id: DurinErrorId, params?: Record<string, string | number>, cause?: unknown): TRPCError {
  const entry = DURIN_ERRORS[id];
  const message = durinMessage(id, params);
  return refusal(
    entry.code,
    () =>
      new TRPCError({
        code: entry.code,
        message,
        cause: new DurinError(entry.durinCode, message, cause === undefined ? undefined : { cause }),
      }),
  );
}

/** THROTTLED with the wait in seconds, which `durinErrorFormatter` shows as `data.retryAfter`. */
export function throttledError(waitSeconds: number): TRPCError {
  const message = durinMessage('THROTTLED', { wait: formatWait(waitSeconds) });
  return refusal(
    DURIN_ERRORS.THROTTLED.code,
    () =>
      new TRPCError({
        code: DURIN_ERRORS.THROTTLED.code,
        message,
        cause: new DurinError('THROTTLED', message, { retryAfter: waitSeconds }),
      }),
  );
}

/**
 * NOT_AUTHENTICATED, with the hint that the request's Authorization header used another scheme.
 * The message stays durin's: an app reading it sees what it always saw.
 */
export function notAuthenticatedError(hint: DurinErrorHint | undefined): TRPCError {
  if (hint === undefined) return durinError('NOT_AUTHENTICATED');
  const message = durinMessage('NOT_AUTHENTICATED');
  return refusal(
    DURIN_ERRORS.NOT_AUTHENTICATED.code,
    () =>
      new TRPCError({
        code: DURIN_ERRORS.NOT_AUTHENTICATED.code,
        message,
        cause: new DurinError(DURIN_ERRORS.NOT_AUTHENTICATED.durinCode, message, { hint }),
      }),
  );
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
}): TShape & { data: TShape['data'] & { durinCode?: DurinErrorCode; retryAfter?: number; durinHint?: DurinErrorHint } } {
  const durinCode = getDurinCode(opts.error);
  // Other errors keep their shape as tRPC made it: no `durinCode: null` on every error.
  if (durinCode === null) return opts.shape;
  // A client behind a batch or a WebSocket sees no Retry-After header: the wait travels in the body too.
  const { retryAfter, hint } = opts.error.cause as DurinError;
  return {
    ...opts.shape,
    data: {
      ...opts.shape.data,
      durinCode,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(hint === undefined ? {} : { durinHint: hint }),
    },
  };
}
