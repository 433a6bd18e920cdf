import type { DurinFailure, Verification, Verified } from '../core/verification.js';
import { tokenCandidate, type TokenCandidate } from './authentication.js';
import type { DurinAuthToken } from '../models/types.js';
import type { RequestFacts } from '../core/requestFacts.js';
import { AMBIGUOUS_HEADER, readRequest, type DurinContextOptions } from './request.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import {
  acceptsConnectionParams,
  isWebSocketOptions,
  readConnectionAuthorization,
  refusedConnectionCloser,
} from '../subscriptions/connection.js';
import { authOutcome, type DurinCacheUse, type DurinTelemetry } from '../core/telemetry.js';
import { readCookieSession, type DurinCookieSession } from './cookieSession.js';
import type { InvalidTokenGate } from './invalidTokenGate.js';
import { now } from '../core/time.js';
import type { DurinErrorHint } from '../errors.js';

/**
 * `createDurinContext` and `createCachedDurinContext`. They never throw for a bad
 * token: the failure is kept on the context and raised by the protected procedures, so public
 * procedures (login among them) keep working for a caller with a stale header.
 */

export type { DurinFailure } from '../core/verification.js';

/**
 * What durin keeps for later in the request. It is an own property of the context, so an app
 * that spreads durin's context into its own keeps it.
 */
export interface DurinRequestState {
  /** The verification failure, or `null` when the caller is authenticated or anonymous. */
  readonly failure: DurinFailure | null;
  /** The caller's IP (normalized): the socket's, or the one `trustProxy` picks from `X-Forwarded-For`; "unknown" when neither says. */
  readonly ip: string;
  /** Sets a response header through the adapter (used for `Retry-After`). */
  readonly setHeader: (name: string, value: string) => void;
  /**
   * On a WebSocket connection (whose context is made once): verifies the token again, so each
   * protected operation fails as that token would over HTTP once it stops working.
   */
  readonly recheck?: () => Promise<Verification<unknown>>;
  /**
   * On a WebSocket connection, unless `closeRefusedWebSockets` is off: given the error a protected
   * operation failed with, closes the connection after that answer when the error refused its token.
   */
  readonly closeIfRefused?: (error: unknown) => void;
  /** The caller's `User-Agent`, cut to 255 characters, or `null`. */
  readonly userAgent: string | null;
  /** The session cookie of this request, when `settings.cookie` is set (login sets it, logout clears it). */
  readonly cookie?: DurinCookieSession;
  /** Why an anonymous request is anonymous, when durin can tell: `HEADER_SCHEME`, an Authorization header with another scheme. */
  readonly hint?: DurinErrorHint;
}

/** The context durin's factories resolve to. */
export interface DurinContext<TUser = unknown> {
  /** The authenticated user (durin's `request.user`), or `null`. */
  user: TUser | null;
  /** The token the request came with, `client` loaded (durin's `request.auth`), or `null`. */
  auth: DurinAuthToken<TUser> | null;
  durin: DurinRequestState;
}

export type DurinContextFactory<TUser> = (options: DurinContextOptions) => Promise<DurinContext<TUser>>;

/** The context for one request; a plain function, so no closure is made per request. */
function contextFor<TUser>(facts: RequestFacts, failure: DurinFailure | null, verified?: Verified<TUser>): DurinContext<TUser> {
  const user = verified?.user ?? null;
  const auth = verified?.auth ?? null;
  return { user, auth, durin: { failure, ip: facts.ip, setHeader: facts.setHeader, userAgent: facts.userAgent } };
}

/** An anonymous request's context, with the hint of why (another header scheme) when there is one. */
function anonymous<TUser>(facts: RequestFacts, hint: DurinErrorHint | undefined): DurinContext<TUser> {
  const context = contextFor<TUser>(facts, null);
  return hint === undefined ? context : { ...context, durin: { ...context.durin, hint } };
}

export interface ContextHooks<TUser> {
  /**
   * Called with every verified token, cached or not: usage recording and renewOnUse, off the
   * response path. Returns the new expiry when it scheduled a renewal.
   */
  readonly onVerified?: ((auth: DurinAuthToken<TUser>, facts: RequestFacts) => Date | null | void) | undefined;
  /** Where each request's outcome is counted; null when the app passed no `telemetry`. */
  readonly telemetry?: DurinTelemetry | null;
  /** The cached context's answer to "where will this digest be verified"; the uncached one has none. */
  readonly cacheUse?: ((tokenHash: string) => DurinCacheUse) | undefined;
  /** The token format's check before any query (checksum, legacy tokens). */
  readonly screen?: ((token: string) => boolean) | undefined;
  /** The guessed-token throttle, when `invalidTokenThrottleRate` is set. */
  readonly gate?: InvalidTokenGate | undefined;
  /** True when this digest is cached as valid: such a request passes the guessed-token throttle. */
  readonly isCached?: ((tokenHash: string) => boolean) | undefined;
}

/** A failure that means the token itself is gone: a cookie carrying it is cleared, so the browser drops it. */
const DEAD_TOKEN = new Set<string>(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'USER_INACTIVE']);

/** The context with the cookie session added (when cookie sessions are on). */
function withCookie<TUser>(context: DurinContext<TUser>, cookie: DurinCookieSession | undefined): DurinContext<TUser> {
  if (!cookie) return context;
  if (context.durin.failure && DEAD_TOKEN.has(context.durin.failure.error)) cookie.clear();
  return { ...context, durin: { ...context.durin, cookie } };
}

export function createContextFactory<TUser>(
  settings: ResolvedDurinSettings,
  verify: (tokenHash: string) => Promise<Verification<TUser>>,
  hooks: ContextHooks<TUser> = {},
): DurinContextFactory<TUser> {
  const { onVerified, cacheUse, screen, gate, isCached } = hooks;
  const telemetry = hooks.telemetry ?? null;
  const closesRefused = settings.closeRefusedWebSockets;
  return async function createDurinContext(options) {
    const context = await contextOf(options);
    const closeIfRefused = closesRefused ? refusedConnectionCloser(options) : undefined;
    return closeIfRefused ? { ...context, durin: { ...context.durin, closeIfRefused } } : context;
  };

  async function contextOf(options: DurinContextOptions): Promise<DurinContext<TUser>> {
    const facts = readRequest(options, settings.trustProxy);
    // Two Authorization headers: a proxy may have read the other one; malformed, as durin refuses a bad header.
    if (facts.authorization === AMBIGUOUS_HEADER) return reported(contextFor<TUser>(facts, { error: 'HEADER_NO_CREDENTIALS' }), 'none');
    const params = readConnectionAuthorization(options);
    // A token in the URL of a plain request: refused in the header's words.
    if (params.kind !== 'absent' && !acceptsConnectionParams(options)) {
      return reported(contextFor<TUser>(facts, { error: 'HEADER_NO_CREDENTIALS' }), 'none');
    }
    // no Authorization header (WebSocket, SSE) → `info.connectionParams.authorization`.
    const fromParams = facts.authorization === undefined ? params : null;
    if (fromParams?.kind === 'failed') return reported(contextFor<TUser>(facts, { error: fromParams.error }), 'none');
    const authorization = fromParams?.kind === 'value' ? fromParams.value : facts.authorization;
    // neither → the session cookie, when cookie sessions are on.
    const cookie = settings.cookie
      ? readCookieSession(facts, settings.cookie, { useCookie: authorization === undefined, options, screen })
      : null;
    const candidate = cookie?.candidate ?? tokenCandidate(authorization, settings.authHeaderPrefix, screen);
    if (candidate.kind === 'digest' && isWebSocketOptions(options)) {
      const context = await verifyOnce(facts, candidate, cookie?.session);
      const { tokenHash } = candidate;
      return { ...context, durin: { ...context.durin, recheck: () => verify(tokenHash) } };
    }
    return verifyOnce(facts, candidate, cookie?.session);
  }

  async function verifyOnce(facts: RequestFacts, candidate: TokenCandidate, cookie?: DurinCookieSession): Promise<DurinContext<TUser>> {
    if (!telemetry) return settle(facts, candidate, cookie);
    // Asked before the lookup: a hit is a digest the cache already holds (or is fetching).
    const cache = candidate.kind === 'digest' && cacheUse ? cacheUse(candidate.tokenHash) : 'none';
    return reported(await settle(facts, candidate, cookie), cache);
  }

  /** The one place a request's authentication outcome is counted: every context passes here once. */
  function reported(context: DurinContext<TUser>, cache: DurinCacheUse): DurinContext<TUser> {
    const failure = context.durin.failure?.error ?? null;
    telemetry?.authDecided({ outcome: authOutcome(failure, context.auth !== null), client: context.auth?.client.name ?? null, cache });
    return context;
  }

  async function settle(facts: RequestFacts, candidate: TokenCandidate, cookie?: DurinCookieSession): Promise<DurinContext<TUser>> {
    if (candidate.kind === 'anonymous') return withCookie(anonymous(facts, candidate.hint), cookie);
    if (gate && (candidate.kind === 'digest' ? !isCached?.(candidate.tokenHash) : candidate.error === 'TOKEN_INVALID')) {
      const retryAfter = gate.wait(facts.ip, now());
      if (retryAfter > 0) return withCookie(contextFor<TUser>(facts, { error: 'THROTTLED', retryAfter }), cookie);
    }
    if (candidate.kind === 'failed') {
      if (gate && candidate.error === 'TOKEN_INVALID') gate.record(facts.ip, now());
      return withCookie(contextFor<TUser>(facts, { error: candidate.error }), cookie);
    }
    let result: Verification<TUser>;
    try {
      result = await verify(candidate.tokenHash);
    } catch (cause) {
      // An outage is not "Invalid token.": it surfaces as INTERNAL_SERVER_ERROR and logs no one out.
      return withCookie(contextFor<TUser>(facts, { error: 'AUTH_BACKEND_FAILED', cause }), cookie);
    }
    if (!result.ok) {
      if (gate && result.error === 'TOKEN_INVALID') gate.record(facts.ip, now());
      return withCookie(contextFor<TUser>(facts, { error: result.error }), cookie);
    }
    const renewed = onVerified?.(result.value.auth, facts);
    // A renewOnUse renewal moves the expiry: the cookie's Max-Age follows it.
    if (renewed) cookie?.renew(renewed);
    return withCookie(contextFor(facts, null, result.value), cookie);
  }
}
