import { Op, type WhereOptions } from 'sequelize';
import type { DurinAuthTokenAttributes } from '../models/types.js';
import type { RouterDeps } from './deps.js';
import { traced } from '../core/telemetry.js';

/**
 * `sessions.revokeOthers` (better-auth's "revoke other sessions"): revokes every session
 * `sessions.list` shows except the caller's, through the revocation funnel (reason `sessionRevoked`),
 * so the cache, the liveness hub and the cross-process bus see it. The API key stays when
 * `apiAccessExcludeFromSessions` hides it from the list, since the user never saw it there.
 */
export function revokeOtherSessions<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { procedures, models, settings, tokens } = deps;
  const hiddenClient = settings.apiAccessExcludeFromSessions ? settings.apiAccessClientName : null;

  return procedures.protectedProcedure.mutation(
    traced(deps.telemetry, 'durin.revoke', async function revokeOthers({ ctx }): Promise<{ revoked: number }> {
      // Named API keys are not sessions: they stay (apiKeys.revoke or logoutAll removes them).
      const where: WhereOptions<DurinAuthTokenAttributes> = { userId: ctx.auth.userId, kind: 'session', id: { [Op.ne]: ctx.auth.id } };
      if (hiddenClient) {
        const hidden = await models.Client.findOne({ where: { name: hiddenClient }, attributes: ['id'] });
        if (hidden) Object.assign(where, { clientId: { [Op.ne]: hidden.id } });
      }
      return { revoked: await tokens.revokeWhere(where, 'sessionRevoked') };
    }),
  );
}
