import { durinError } from '../errors.js';
import type { DurinEvents } from '../core/events.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';

/** What refresh, logout and logoutAll use. */
export interface SessionDeps<TUser> {
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly tokens: Pick<TokenLifecycle<TUser>, 'renew' | 'revoke' | 'revokeAll'>;
  readonly events: DurinEvents<TUser>;
}

/** durin's RefreshView, LogoutView and LogoutAllView. */
export function sessionProcedures<TUser>(deps: SessionDeps<TUser>) {
  const { protectedProcedure, tokens, events } = deps;
  return {
    /** Extends the calling token to now + its client's TTL; the token itself does not change. */
    refresh: protectedProcedure.mutation(async function refresh({ ctx }): Promise<{ expiry: Date }> {
      const expiry = await tokens.renew(ctx.auth);
      // The row went between verification and now (revoked meanwhile): durin answered 500 here.
      if (!expiry) throw durinError('TOKEN_INVALID');
      return { expiry };
    }),
    /** Deletes the calling token; the user's other tokens stay. */
    logout: protectedProcedure.mutation(async function logout({ ctx }): Promise<void> {
      await tokens.revoke(ctx.auth, 'logout');
      events.emit('userLoggedOut', { user: ctx.user, all: false });
    }),
    /** Deletes every token of the user, on every client (the API key too, as in durin). */
    logoutAll: protectedProcedure.mutation(async function logoutAll({ ctx }): Promise<void> {
      await tokens.revokeAll(ctx.user, 'logoutAll');
      events.emit('userLoggedOut', { user: ctx.user, all: true });
    }),
  };
}
