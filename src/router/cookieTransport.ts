import { durinError } from '../errors.js';
import type { DurinContext } from '../request/context.js';
import type { DurinCookieSession } from '../request/cookieSession.js';

/**
 * The router's side of cookie sessions: login sets the cookie, refresh re-sends it, logout and
 * logoutAll clear it. Each view calls one of these, so the views stay as they are for header tokens.
 */

/** The request's cookie session, or COOKIE_NOT_CONFIGURED when `settings.cookie` is not set. */
export function cookieSessionOf(ctx: DurinContext<unknown>): DurinCookieSession {
  const cookie = ctx.durin.cookie;
  if (!cookie) throw durinError('COOKIE_NOT_CONFIGURED');
  return cookie;
}

/** After a refresh: a cookie-authenticated caller gets its cookie back with the new Max-Age. */
export function renewCookie(ctx: DurinContext<unknown>, expiry: Date): void {
  ctx.durin.cookie?.renew(expiry);
}

/** After the calling session was revoked: a cookie-authenticated caller's cookie is cleared. */
export function clearCookie(ctx: DurinContext<unknown>): void {
  ctx.durin.cookie?.clear();
}
