import { DURIN_SETTING_PROBLEMS as EXPECTED, describeValue, invalidConfig } from './messages.js';

/**
 * The `cookie` setting: where a browser keeps its session token so that the page's JavaScript
 * never holds it. Checked field by field, so a bad value names the field it is in
 * (`invalid setting "cookie.sameSite"`).
 */

/** The `cookie` setting as an app writes it. */
export interface DurinCookieSetting {
  /** The cookie's name. @default "durin_token" */
  name?: string | undefined;
  /** The cookie's `Path`. @default "/" */
  path?: string | undefined;
  /** The cookie's `Domain` (share it with subdomains); omitted = this host only. @default undefined */
  domain?: string | undefined;
  /** The cookie's `SameSite`. @default "lax" */
  sameSite?: 'lax' | 'strict' | 'none' | undefined;
  /** The cookie's `Secure` flag (browsers treat http://localhost as secure). @default true */
  secure?: boolean | undefined;
  /**
   * Origins besides the server's own from which a cookie-authenticated write or WebSocket is
   * accepted, e.g. the public origin behind a TLS-terminating proxy. @default []
   */
  trustedOrigins?: readonly string[] | undefined;
}

/** The `cookie` setting after defaults. */
export interface ResolvedDurinCookie {
  readonly name: string;
  readonly path: string;
  readonly domain: string | null;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly secure: boolean;
  readonly trustedOrigins: readonly string[];
}

const NAME = /^[\w.-]{1,64}$/;
const PATH = /^\/[\x21-\x3a\x3c-\x7e]*$/;
const DOMAIN = /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const SAME_SITE = new Set(['lax', 'strict', 'none']);

function fail(field: string, problem: string, got: unknown): never {
  throw invalidConfig('setting', `cookie.${field}`, `${problem} (got ${describeValue(got)})`);
}

/** True when `value` is an origin as a browser sends it: scheme, host and optional port, nothing else. */
function isOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** Resolves the `cookie` setting; `null` (the default) leaves cookie sessions off. */
export function resolveCookieSetting(value: unknown): ResolvedDurinCookie | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidConfig('setting', 'cookie', `${EXPECTED.cookie} (got ${describeValue(value)})`);
  }
  const input = value as Record<string, unknown>;
  const known = new Set(['name', 'path', 'domain', 'sameSite', 'secure', 'trustedOrigins']);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) fail(key, EXPECTED.cookie, input[key]);
  }
  const { name = 'durin_token', path = '/', domain, sameSite = 'lax', secure = true, trustedOrigins = [] } = input;
  if (typeof name !== 'string' || !NAME.test(name)) fail('name', EXPECTED.cookieName, name);
  if (typeof path !== 'string' || !PATH.test(path)) fail('path', EXPECTED.cookiePath, path);
  if (domain !== undefined && (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain))) {
    fail('domain', EXPECTED.cookieDomain, domain);
  }
  if (typeof sameSite !== 'string' || !SAME_SITE.has(sameSite)) fail('sameSite', EXPECTED.cookieSameSite, sameSite);
  // Browsers drop a SameSite=None cookie that is not Secure.
  if (typeof secure !== 'boolean' || (sameSite === 'none' && !secure)) fail('secure', EXPECTED.cookieSecure, secure);
  if (!Array.isArray(trustedOrigins)) fail('trustedOrigins', EXPECTED.cookieTrustedOrigins, trustedOrigins);
  for (const origin of trustedOrigins as unknown[]) {
    if (!isOrigin(origin)) fail('trustedOrigins', EXPECTED.cookieTrustedOrigins, origin);
  }
  return Object.freeze({
    name,
    path,
    domain: (domain as string | undefined) ?? null,
    sameSite: sameSite as ResolvedDurinCookie['sameSite'],
    secure,
    trustedOrigins: Object.freeze([...(trustedOrigins as string[])]),
  });
}
