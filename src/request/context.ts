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

export function createContextFactory<TUser>(
  settings: ResolvedDurinSettings,
  verify: (tokenHash: string) => Promise<Verification<TUser>>,
  /** Called with every verified token, cached or not: usage recording and renewOnUse, off the response path. */
  onVerified?: (auth: DurinAuthToken<TUser>, facts: RequestFacts) => void,
): DurinContextFactory<TUser> {
  const closesRefused = settings.closeRefusedWebSockets;
  return async function createDurinContext(options) {
    const context = await contextOf(options);
    const closeIfRefused = closesRefused ? refusedConnectionCloser(options) : undefined;
    return closeIfRefused ? { ...context, durin: { ...context.durin, closeIfRefused } } : context;
  };

  async function contextOf(options: DurinContextOptions): Promise<DurinContext<TUser>> {
    const facts = readRequest(options, settings.trustProxy);
    // Two Authorization headers: a proxy may have read the other one; malformed, as durin refuses a bad header.
    if (facts.authorization === AMBIGUOUS_HEADER) return contextFor<TUser>(facts, { error: 'HEADER_NO_CREDENTIALS' });
    const params = readConnectionAuthorization(options);
    // A token in the URL of a plain request: refused in the header's words.
    if (params.kind !== 'absent' && !acceptsConnectionParams(options)) return contextFor<TUser>(facts, { error: 'HEADER_NO_CREDENTIALS' });
    // no Authorization header (WebSocket, SSE) → `info.connectionParams.authorization`.
    const fromParams = facts.authorization === undefined ? params : null;
    if (fromParams?.kind === 'failed') return contextFor<TUser>(facts, { error: fromParams.error });
    const authorization = fromParams?.kind === 'value' ? fromParams.value : facts.authorization;
    const candidate = tokenCandidate(authorization, settings.authHeaderPrefix);
    if (candidate.kind === 'digest' && isWebSocketOptions(options)) {
      const context = await verifyOnce(facts, candidate);
      const { tokenHash } = candidate;
      return { ...context, durin: { ...context.durin, recheck: () => verify(tokenHash) } };
    }
    return verifyOnce(facts, candidate);
  }

  async function verifyOnce(facts: RequestFacts, candidate: TokenCandidate): Promise<DurinContext<TUser>> {
    if (candidate.kind === 'anonymous') return contextFor<TUser>(facts, null);
    if (candidate.kind === 'failed') return contextFor<TUser>(facts, { error: candidate.error });
    let result: Verification<TUser>;
    try {
      result = await verify(candidate.tokenHash);
    } catch (cause) {
      // An outage is not "Invalid token.": it surfaces as INTERNAL_SERVER_ERROR and logs no one out.
      return contextFor<TUser>(facts, { error: 'AUTH_BACKEND_FAILED', cause });
    }
    if (!result.ok) return contextFor<TUser>(facts, { error: result.error });
    onVerified?.(result.value.auth, facts);
    return contextFor(facts, null, result.value);
  }
}
