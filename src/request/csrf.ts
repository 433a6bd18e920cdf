import type { RequestFacts } from '../core/requestFacts.js';

/**
 * The cross-site check of cookie sessions. A browser attaches the cookie to a request another site
 * makes it send (a form post, a WebSocket), so a request that changes state on the cookie alone
 * must show it comes from a page of this app: its `Origin` (else its `Referer`'s origin) is the
 * server's own origin or one the app trusts. `Sec-Fetch-Site: cross-site`, which a page cannot
 * forge, refuses it even then. Reads (GET, HEAD) are not checked: a cross-site page cannot read
 * their answers, and SameSite keeps the cookie off most of them anyway. A request that carries its
 * token in a header was sent by code that holds the token, so it is never checked.
 */

/** Why a cookie-authenticated request was refused (telemetry counts `CSRF_FAILED` as outcome `csrf`). */
export type CsrfRefusal = 'crossSite' | 'noOrigin' | 'untrustedOrigin';

export type CsrfDecision = { readonly ok: true } | { readonly ok: false; readonly error: 'CSRF_FAILED'; readonly reason: CsrfRefusal };

const PASSED: CsrfDecision = Object.freeze({ ok: true });
const refuse = (reason: CsrfRefusal): CsrfDecision => ({ ok: false, error: 'CSRF_FAILED', reason });

/** Methods a browser may send cross-site without the result being readable: not checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The origin the request says it came from: `Origin`, else the `Referer`'s origin. */
function claimedOrigin(facts: Pick<RequestFacts, 'header'>): string | undefined {
  const origin = facts.header('origin');
  if (origin) return origin;
  const referer = facts.header('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/** Whether a cookie-authenticated request may use the cookie; `webSocket` for a ws upgrade. */
export function checkCsrf(
  facts: Pick<RequestFacts, 'header' | 'method' | 'ownOrigin'>,
  options: { readonly trustedOrigins: readonly string[]; readonly webSocket: boolean },
): CsrfDecision {
  // A WebSocket upgrade is a GET, yet the socket then carries writes: always checked.
  if (!options.webSocket && facts.method !== undefined && SAFE_METHODS.has(facts.method)) return PASSED;
  if (facts.header('sec-fetch-site')?.trim().toLowerCase() === 'cross-site') return refuse('crossSite');
  const origin = claimedOrigin(facts);
  // "null" (a sandboxed frame, a redirect across sites) matches nothing.
  if (!origin || origin === 'null') return refuse('noOrigin');
  const normalized = origin.toLowerCase();
  if (normalized === facts.ownOrigin() || options.trustedOrigins.includes(normalized)) return PASSED;
  return refuse('untrustedOrigin');
}
