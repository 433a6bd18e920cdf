import { z } from 'zod';
import { MAX_TOKEN_CHARACTER_LENGTH, MAX_TOKEN_PREFIX_LENGTH } from './tokenLimits.js';
import { DURATION_FORMS, parseDuration } from './duration.js';
import {
  DURIN_CONFIG_MESSAGES,
  DURIN_CONFIG_PROBLEMS,
  DURIN_SETTING_PROBLEMS as EXPECTED,
  DurinConfigError,
  describeValue,
  invalidConfig,
} from './messages.js';
import { RATE_FORM, parseRate, type DurinThrottleRate } from './rate.js';
import { compileTrustProxy, type DurinTrustProxySetting } from './trustProxy.js';
import { parseLookupTimeout } from './duration.js';
import { resolveCookieSetting, type DurinCookieSetting, type ResolvedDurinCookie } from './cookie.js';

/**
 * durin's REST_DURIN, camelCased. One strict zod schema whose defaults are the README's settings table;
 * durations become seconds and rates become `{ count, seconds }` here, once, so no other code reads
 * raw settings.
 */

function custom<T>(parse: (input: unknown) => T | null, expected: string) {
  return z.unknown().transform((input, ctx): T => {
    const value = parse(input);
    if (value === null) {
      ctx.addIssue({ code: 'custom', message: expected, input });
      return z.NEVER;
    }
    return value;
  });
}

/** memoizee's `maxAge` is a `setTimeout`, which takes at most 2^31 - 1 ms (24.8 days). */
const MAX_CACHE_TIMEOUT_SECONDS = 24 * 86_400;

const duration = custom(parseDuration, EXPECTED.duration(DURATION_FORMS));
const nullableRate = custom<DurinThrottleRate | 'off'>(
  (input) => (input === null ? 'off' : parseRate(input)),
  EXPECTED.nullOrRate(RATE_FORM),
);
const durationOrNull = custom<number | 'off'>(
  (input) => (input === null ? 'off' : parseDuration(input)),
  EXPECTED.nullOrDuration(DURATION_FORMS),
).transform((seconds) => (seconds === 'off' ? null : seconds));
const rateOrNull = nullableRate.transform((rate) => (rate === 'off' ? null : rate));

const schema = z.strictObject({
  defaultTokenTtl: duration.default(86_400),
  tokenCharacterLength: custom(
    (v) =>
      Number.isInteger(v) && (v as number) % 2 === 0 && (v as number) >= 32 && (v as number) <= MAX_TOKEN_CHARACTER_LENGTH
        ? (v as number)
        : null,
    EXPECTED.tokenCharacterLength(MAX_TOKEN_CHARACTER_LENGTH),
  ).default(64),
  tokenPrefix: custom(
    (v) => (typeof v === 'string' && v.length <= MAX_TOKEN_PREFIX_LENGTH && /^[\x21-\x7e]*$/.test(v) ? v : null),
    EXPECTED.tokenPrefix(MAX_TOKEN_PREFIX_LENGTH),
  ).default(''),
  authHeaderPrefix: custom((v) => (typeof v === 'string' && /^[\x21-\x7e]{1,32}$/.test(v) ? v : null), EXPECTED.authHeaderPrefix).default(
    'Token',
  ),
  tokenCacheTimeout: custom((v) => {
    const seconds = parseDuration(v);
    return seconds !== null && seconds <= MAX_CACHE_TIMEOUT_SECONDS ? seconds : null;
  }, EXPECTED.tokenCacheTimeout(DURATION_FORMS)).default(60),
  tokenCacheMax: custom((v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : null), EXPECTED.positiveInteger).default(
    10_000,
  ),
  // Boxed, so that no client name (not even "none") can stand for null.
  apiAccessClientName: custom(
    (v) => (v === null ? { name: null } : typeof v === 'string' && v.length >= 1 && v.length <= 64 ? { name: v } : null),
    EXPECTED.apiAccessClientName,
  )
    .transform((v): string | null => v.name)
    .default(null),
  apiAccessExcludeFromSessions: custom((v) => (typeof v === 'boolean' ? v : null), EXPECTED.boolean).default(false),
  defaultThrottleRate: rateOrNull.default(null),
  loginThrottleRate: rateOrNull.default(parseRate('10/m')),
  trustProxy: custom(compileTrustProxy, EXPECTED.trustProxy).default(false),
  lookupTimeout: custom(parseLookupTimeout, EXPECTED.lookupTimeout(DURATION_FORMS)).default(5000),
  writeTimeout: custom(parseLookupTimeout, EXPECTED.lookupTimeout(DURATION_FORMS)).default(5000),
  usernameField: custom((v) => (typeof v === 'string' && /^\w{1,64}$/.test(v) ? v : null), EXPECTED.usernameField).default('username'),
  // session metadata and sliding renewal.
  lastUsedUpdateInterval: durationOrNull.default(300),
  renewOnUse: custom((v) => (typeof v === 'boolean' ? v : null), EXPECTED.boolean).default(false),
  renewOnUseInterval: duration.default(60),
  maxTokenLifetime: durationOrNull.default(null),
  // Checked field by field after the schema (resolveCookieSetting), so an error names e.g. "cookie.sameSite".
  cookie: z.unknown().default(null),
  // API keys, abilities and the checksummed token format.
  tokenChecksum: custom((v) => (typeof v === 'boolean' ? v : null), EXPECTED.boolean).default(true),
  acceptLegacyTokens: custom((v) => (typeof v === 'boolean' ? v : null), EXPECTED.boolean).default(true),
  invalidTokenThrottleRate: rateOrNull.default(null),
  apiKeysPerUser: custom((v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : null), EXPECTED.positiveInteger).default(
    50,
  ),
  apiKeyMaxLifetime: durationOrNull.default(365 * 86_400),
  closeRefusedWebSockets: custom((v) => (typeof v === 'boolean' ? v : null), EXPECTED.boolean).default(true),
});

/**
 * The settings an app passes to `createDurin` (every field optional; see the README's settings reference).
 * A field set to `undefined` takes its default, so `{ tokenPrefix: process.env.X }` compiles under exactOptionalPropertyTypes.
 */
export type DurinSettings = {
  /** TTL of a client created without one. @default "1d" */
  defaultTokenTtl?: number | string | undefined;
  /** Hex characters of a new token (even, 32..256). @default 64 */
  tokenCharacterLength?: number | undefined;
  /** Prepended to new tokens, for secret scanners, e.g. "drn_". @default "" */
  tokenPrefix?: string | undefined;
  /** The word before the token in `Authorization`, matched case-insensitively. @default "Token" */
  authHeaderPrefix?: string | undefined;
  /** Seconds a cached lookup lives. @default 60 */
  tokenCacheTimeout?: number | string | undefined;
  /** Most entries the token cache holds (least recently used go first). @default 10000 */
  tokenCacheMax?: number | undefined;
  /** The client whose token is the user's API key. @default null */
  apiAccessClientName?: string | null | undefined;
  /** Hide the API key's token from `sessions.list`. @default false */
  apiAccessExcludeFromSessions?: boolean | undefined;
  /** durin's `user_per_client` rate, e.g. "100/h"; null = no limit when the client has none. @default null */
  defaultThrottleRate?: string | null | undefined;
  /** Attempts per (IP, username) at `login`; null switches it off. @default "10/m" */
  loginThrottleRate?: string | null | undefined;
  /**
   * Which proxies may set the client IP through `X-Forwarded-For` (proxy-addr's vocabulary, as in
   * express): `false` (none: the socket's address), a hop count (`1` = the address the nearest
   * proxy saw), trusted addresses/CIDRs (`["10.0.0.0/8", "loopback"]`), or `true` (every hop:
   * spoofable). @default false
   */
  trustProxy?: DurinTrustProxySetting | undefined;
  /**
   * Longest wait for the token lookup; past it the request fails as AUTH_BACKEND_FAILED (a 500,
   * not cached, nobody logged out). Seconds, a duration, or "500ms". @default "5s"
   */
  lookupTimeout?: number | string | undefined;
  /**
   * Longest wait for one of durin's writes (login, refresh, logout, revocations, sessions, API
   * access); past it the write is rolled back and the request fails as BACKEND_FAILED (a 500).
   * Same forms as `lookupTimeout`. @default "5s"
   */
  writeTimeout?: number | string | undefined;
  /**
   * The user model's attribute `authenticateUser` finds names in: the login throttle counts every
   * spelling its column's collation equates as one name. @default "username"
   */
  usernameField?: string | undefined;
  /**
   * How often a token's `lastUsedAt`, `lastIp` and `userAgent` may be written (off the response
   * path, at most once per interval per token); null records nothing. @default "5m"
   */
  lastUsedUpdateInterval?: number | string | null | undefined;
  /** knox's AUTO_REFRESH: a request with a valid token moves its expiry to now + the client's TTL. @default false */
  renewOnUse?: boolean | undefined;
  /** At most one `renewOnUse` write per token per this interval. @default "1m" */
  renewOnUseInterval?: number | string | undefined;
  /** When set, neither `refresh` nor `renewOnUse` moves an expiry past `created` + this. @default null */
  maxTokenLifetime?: number | string | null | undefined;
  /**
   * Cookie sessions for browser apps: `login({ transport: 'cookie' })` sets the token in an
   * HttpOnly cookie, and requests without `Authorization` are authenticated by it (writes and
   * WebSockets only from a trusted origin). null = off. @default null
   * @see README "Browser apps: cookie sessions"
   */
  cookie?: DurinCookieSetting | null | undefined;
  /**
   * New tokens end with an 8-character lowercase hex CRC-32 of what precedes them, so a scanner can
   * recognize them and a mistyped or forged token is refused without a database query. @default true
   */
  tokenChecksum?: boolean | undefined;
  /**
   * Tokens without a checksum (issued before `tokenChecksum`, or imported from Django) are still
   * looked up; `false` refuses every token that is not well-formed, without a query. @default true
   */
  acceptLegacyTokens?: boolean | undefined;
  /**
   * Per client IP: once this many requests carried an invalid token within the window, the next one
   * whose token is not cached as valid answers 429 before any query, e.g. "30/m"; null = off. @default null
   */
  invalidTokenThrottleRate?: string | null | undefined;
  /** Most live API keys (`apiKeys.create`) a user may hold. @default 50 */
  apiKeysPerUser?: number | undefined;
  /** Longest `expiresIn` an API key may ask for; null = no cap. @default "365d" */
  apiKeyMaxLifetime?: number | string | null | undefined;
  /**
   * A WebSocket connection whose token is refused (invalid, expired, revoked, inactive user, a
   * malformed `authorization`) is closed (code 4401) right after its refused operation is answered;
   * false keeps it open. Anonymous connections and backend failures never close it. @default true
   */
  closeRefusedWebSockets?: boolean | undefined;
};

/** Settings after defaults and parsing: no `undefined`, durations in seconds, rates parsed. */
export type ResolvedDurinSettings = Readonly<Omit<z.output<typeof schema>, 'cookie'> & { cookie: ResolvedDurinCookie | null }>;

/** Edit distance between two names (insertions, deletions, substitutions), for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known setting an unknown name most likely meant: the same up to case, else one that ends with
 * it ("tokenTTL" for defaultTokenTtl, a client's field name), else one a typo or two away.
 */
function closestSetting(name: string): string | undefined {
  const known = Object.keys(schema.shape);
  const lower = name.toLowerCase();
  const sameCase = known.find((key) => key.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const ending = lower.length >= 4 ? known.find((key) => key.toLowerCase().endsWith(lower)) : undefined;
  if (ending) return ending;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(name.toLowerCase(), key.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** Validates and resolves settings; throws a `DurinConfigError` naming the first bad setting. */
export function resolveSettings(settings: DurinSettings = {}): ResolvedDurinSettings {
  if (settings === null || typeof settings !== 'object') {
    throw invalidConfig('option', 'settings', DURIN_CONFIG_PROBLEMS.notAnObject);
  }
  const result = schema.safeParse(settings);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const name = String(issue.keys[0]);
      throw new DurinConfigError(DURIN_CONFIG_MESSAGES.unknownSetting(name, closestSetting(name)), { field: name });
    }
    const name = String(issue.path[0]);
    const got = (settings as Record<string, unknown>)[name];
    throw invalidConfig('setting', name, DURIN_CONFIG_PROBLEMS.got(issue.message, describeValue(got)));
  }
  const resolved = result.data;
  // Without checksums nothing new would be well-formed: refusing every other token would lock everyone out.
  if (!resolved.acceptLegacyTokens && !resolved.tokenChecksum) {
    throw invalidConfig('setting', 'acceptLegacyTokens', DURIN_CONFIG_PROBLEMS.got(EXPECTED.legacyNeedsChecksum, 'false'));
  }
  return Object.freeze({ ...resolved, cookie: resolveCookieSetting(resolved.cookie) });
}
