import type { TokenLiveness } from '../core/liveness.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';
import { changeFeed } from '../subscriptions/changeFeed.js';

/**
 * `auth.sessions.watch`: the caller's `sessions.list` now and on every change to that
 * user's tokens (login, rotation, refresh, revocation, expiry found at lookup), in any process when
 * a bus is configured. It is behind `protectedProcedure`, so it ends with the caller's token like
 * any subscription.
 */
export function sessionsWatchProcedure<TUser>(deps: {
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly tokens: Pick<TokenLifecycle<TUser>, 'listSessions'>;
  readonly liveness: Pick<TokenLiveness, 'watchUser'>;
}) {
  const { protectedProcedure, liveness, tokens } = deps;
  return protectedProcedure.subscription(function watchSessions({ ctx, signal }) {
    return changeFeed({
      read: () => tokens.listSessions(ctx.auth),
      listen: (changed) => liveness.watchUser(String(ctx.auth.userId), changed),
      signal,
    });
  });
}
