import type { DurinFailure, Verification, Verified } from '../core/verification.js';
import { tokenCandidate, type TokenCandidate } from './authentication.js';
import type { DurinAuthToken } from '../models/types.js';
import type { RequestFacts } from '../core/requestFacts.js';
import { readRequest, type DurinContextOptions } from './request.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { isWebSocketOptions, readConnectionAuthorization } from '../subscriptions/connection.js';
import type { InvalidTokenGate } from './invalidTokenGate.js';
import { now } from '../core/time.js';

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
  /** The caller's `User-Agent`, cut to 255 characters, or `null`. */
  readonly userAgent: string | null;
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

/** What a context factory does around the lookup, beyond verifying. */
export interface ContextHooks<TUser> {
  /** Called with every verified token, cached or not: usage recording and renewOnUse, off the response path. */
  readonly onVerified?: ((auth: DurinAuthToken<TUser>, facts: RequestFacts) => void) | undefined;
  /** The token format's check before any query (checksum, legacy tokens). */
  readonly screen?: ((token: string) => boolean) | undefined;
  /** The guessed-token throttle, when `invalidTokenThrottleRate` is set. */
  readonly gate?: InvalidTokenGate | undefined;
  /** True when this digest is cached as valid: such a request passes the guessed-token throttle. */
  readonly isCached?: ((tokenHash: string) => boolean) | undefined;
}

export function createContextFactory<TUser>(
  settings: ResolvedDurinSettings,
  verify: (tokenHash: string) => Promise<Verification<TUser>>,
  hooks: ContextHooks<TUser> = {},
): DurinContextFactory<TUser> {
  const { onVerified, screen, gate, isCached } = hooks;
  return async function createDurinContext(options) {
    const facts = readRequest(options, settings.trustProxy);
    // no Authorization header (WebSocket, SSE) → `info.connectionParams.authorization`.
    const fromParams = facts.authorization === undefined ? readConnectionAuthorization(options) : null;
    if (fromParams?.kind === 'failed') return contextFor<TUser>(facts, { error: fromParams.error });
    const authorization = fromParams?.kind === 'value' ? fromParams.value : facts.authorization;
    const candidate = tokenCandidate(authorization, settings.authHeaderPrefix, screen);
    if (candidate.kind === 'digest' && isWebSocketOptions(options)) {
      const context = await verifyOnce(facts, candidate);
      const { tokenHash } = candidate;
      return { ...context, durin: { ...context.durin, recheck: () => verify(tokenHash) } };
    }
    return verifyOnce(facts, candidate);
  };

  async function verifyOnce(facts: RequestFacts, candidate: TokenCandidate): Promise<DurinContext<TUser>> {
    if (candidate.kind === 'anonymous') return contextFor<TUser>(facts, null);
    if (gate && (candidate.kind === 'digest' ? !isCached?.(candidate.tokenHash) : candidate.error === 'TOKEN_INVALID')) {
      const retryAfter = gate.wait(facts.ip, now());
      if (retryAfter > 0) return contextFor<TUser>(facts, { error: 'THROTTLED', retryAfter });
    }
    if (candidate.kind === 'failed') {
      if (gate && candidate.error === 'TOKEN_INVALID') gate.record(facts.ip, now());
      return contextFor<TUser>(facts, { error: candidate.error });
    }
    let result: Verification<TUser>;
    try {
      result = await verify(candidate.tokenHash);
    } catch (cause) {
      // An outage is not "Invalid token.": it surfaces as INTERNAL_SERVER_ERROR and logs no one out.
      return contextFor<TUser>(facts, { error: 'AUTH_BACKEND_FAILED', cause });
    }
    if (!result.ok) {
      if (gate && result.error === 'TOKEN_INVALID') gate.record(facts.ip, now());
      return contextFor<TUser>(facts, { error: result.error });
    }
    onVerified?.(result.value.auth, facts);
    return contextFor(facts, null, result.value);
  }
}
