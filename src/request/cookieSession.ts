import type { ResolvedDurinCookie } from '../config/cookie.js';
import { hashToken, isPlausibleToken } from '../core/crypto.js';
import type { RequestFacts } from '../core/requestFacts.js';
import { now } from '../core/time.js';
import type { TokenCandidate } from './authentication.js';
import { checkCsrf } from './csrf.js';
import { isWebSocketOptions } from '../subscriptions/connection.js';

/**
 * Cookie sessions: the token travels in an HttpOnly cookie the page's JavaScript cannot read,
 * instead of in `Authorization`. The header wins when both are present. A cookie token is
 * verified exactly as a header token; only the cross-site check (csrf.ts) is added.
 */

/** What durin's procedures do with the session cookie of one request. */
export interface DurinCookieSession {
  /** True when the request was authenticated (or refused) by its cookie, not by a header. */
  readonly fromCookie: boolean;
  /** Sets the cookie to `token` until `expiry` (login with `transport: 'cookie'`). */
  issue(token: string, expiry: Date): void;
  /** Sends the request's own cookie again with the new expiry (refresh, renewOnUse); nothing for a header token. */
  renew(expiry: Date): void;
  /** Clears the cookie (`Max-Age=0`) when the request came with it. */
  clear(): void;
}

export interface CookieRead {
  readonly session: DurinCookieSession;
  /** What to verify, or `null` when the cookie is not used (absent, or the request has a header token). */
  readonly candidate: TokenCandidate | null;
}

/** Longest cookie value read: far above any valid token, so no input is unbounded. */
const MAX_COOKIE_VALUE_LENGTH = 1024;

/** The value of cookie `name` in a `Cookie` header, URI-decoded; `null` when absent or undecodable. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    // An emptied cookie (what a clear leaves behind in some clients) is no cookie.
    if (raw === '' || raw === '""') return null;
    if (raw.length > MAX_COOKIE_VALUE_LENGTH) return '';
    try {
      return decodeURIComponent(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
    } catch {
      return '';
    }
  }
  return null;
}

const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const;

/** The `Set-Cookie` value for `value`, living `maxAge` seconds (0 clears it). */
export function serializeSessionCookie(cookie: ResolvedDurinCookie, value: string, maxAge: number): string {
  const parts = [`${cookie.name}=${encodeURIComponent(value)}`, 'HttpOnly'];
  if (cookie.secure) parts.push('Secure');
  parts.push(`SameSite=${SAME_SITE[cookie.sameSite]}`, `Path=${cookie.path}`);
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  parts.push(`Max-Age=${maxAge}`);
  return parts.join('; ');
}

/** Whole seconds from now to `expiry`, never negative. */
const secondsUntil = (expiry: Date) => Math.max(0, Math.floor((expiry.getTime() - now()) / 1000));

/**
 * Reads the session cookie of a request. `useCookie` is false when the request has a token in a
 * header (or in WebSocket/SSE connection params): then the cookie is neither verified nor touched.
 */
export function readCookieSession(
  facts: RequestFacts,
  cookie: ResolvedDurinCookie,
  options: { readonly useCookie: boolean; readonly options: unknown; readonly screen?: ((token: string) => boolean) | undefined },
): CookieRead {
  const token = options.useCookie ? readCookie(facts.header('cookie'), cookie.name) : null;
  const fromCookie = token !== null;
  const send = (value: string, maxAge: number) => facts.appendHeader('Set-Cookie', serializeSessionCookie(cookie, value, maxAge));
  const session: DurinCookieSession = {
    fromCookie,
    issue: (issued, expiry) => send(issued, secondsUntil(expiry)),
    renew: (expiry) => {
      if (fromCookie) send(token, secondsUntil(expiry));
    },
    clear: () => {
      if (fromCookie) send('', 0);
    },
  };
  if (!fromCookie) return { session, candidate: null };
  const csrf = checkCsrf(facts, { trustedOrigins: cookie.trustedOrigins, webSocket: isWebSocketOptions(options.options) });
  if (!csrf.ok) return { session, candidate: { kind: 'failed', error: csrf.error } };
  // The same format check as a header token: a failing checksum costs no query either.
  if (!isPlausibleToken(token) || (options.screen && !options.screen(token))) {
    return { session, candidate: { kind: 'failed', error: 'TOKEN_INVALID' } };
  }
  return { session, candidate: { kind: 'digest', tokenHash: hashToken(token) } };
}
