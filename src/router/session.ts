import { durinError } from '../errors.js';
import type { DurinEvents } from '../core/events.js';
import type { TokenLifecycle } from '../core/tokens.js';
import { traced, type DurinTelemetry } from '../core/telemetry.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';
import { clearCookie, renewCookie } from './cookieTransport.js';

/** What refresh, logout and logoutAll use. */
export interface SessionDeps<TUser> {
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly tokens: Pick<TokenLifecycle<TUser>, 'renew' | 'revoke' | 'revokeAll'>;
  readonly events: DurinEvents<TUser>;
  /** Spans around each procedure; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
}

/** durin's RefreshView, LogoutView and LogoutAllView. */
export function sessionProcedures<TUser>(deps: SessionDeps<TUser>) {
  const { protectedProcedure, tokens, events, telemetry } = deps;
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
