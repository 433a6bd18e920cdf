import { durinError } from '../errors.js';
import type { RouterDeps } from './deps.js';
import { traced } from '../core/telemetry.js';
import { clearCookie, renewCookie } from './cookieTransport.js';

/** durin's RefreshView, LogoutView and LogoutAllView. */
export function sessionProcedures<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { procedures, tokens, events, telemetry } = deps;
  const { protectedProcedure } = procedures;
  return {
    /** Extends the calling token to now + its client's TTL; the token itself does not change. */
    refresh: protectedProcedure.mutation(
      traced(telemetry, 'durin.refresh', async function refresh({ ctx }): Promise<{ expiry: Date }> {
        const expiry = await tokens.renew(ctx.auth);
        // The row went between verification and now (revoked meanwhile): durin answered 500 here.
        if (!expiry) throw durinError('TOKEN_INVALID');
        renewCookie(ctx, expiry);
        return { expiry };
      }),
    ),
    /** Deletes the calling token; the user's other tokens stay. */
    logout: protectedProcedure.mutation(
      traced(telemetry, 'durin.logout', async function logout({ ctx }): Promise<void> {
        await tokens.revoke(ctx.auth, 'logout');
        clearCookie(ctx);
        events.emit('userLoggedOut', { user: ctx.user, all: false });
      }),
    ),
    /** Deletes every token of the user, on every client (the API key too, as in durin). */
    logoutAll: protectedProcedure.mutation(
      traced(telemetry, 'durin.logout', async function logoutAll({ ctx }): Promise<void> {
        await tokens.revokeAll(ctx.user, 'logoutAll');
        clearCookie(ctx);
        events.emit('userLoggedOut', { user: ctx.user, all: true });
      }),
    ),
  };
}
