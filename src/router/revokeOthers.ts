import type { TokenLifecycle } from '../core/tokens.js';
import { traced, type DurinTelemetry } from '../core/telemetry.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';

/**
 * `sessions.revokeOthers` (better-auth's "revoke other sessions"): revokes every session
 * `sessions.list` shows except the caller's, through the revocation funnel (reason `sessionRevoked`),
 * so the cache, the liveness hub and the cross-process bus see it. The API key stays when
 * `apiAccessExcludeFromSessions` hides it from the list, since the user never saw it there; named
 * API keys are not sessions and stay too.
 */
export function revokeOtherSessions<TUser>(deps: {
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly tokens: Pick<TokenLifecycle<TUser>, 'revokeOthers'>;
  readonly telemetry: DurinTelemetry | null;
}) {
  const { protectedProcedure, tokens } = deps;
  return protectedProcedure.mutation(
    traced(deps.telemetry, 'durin.revoke', async function revokeOthers({ ctx }): Promise<{ revoked: number }> {
      return { revoked: await tokens.revokeOthers(ctx.auth) };
    }),
  );
}
