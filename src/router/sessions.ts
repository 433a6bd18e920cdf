import { z } from 'zod';
import { durinError } from '../errors.js';
import type { RouterDeps } from './deps.js';
import { sessionsWatchProcedure } from './sessionsWatch.js';
import { revokeOtherSessions } from './revokeOthers.js';

/** durin's TokenSessionsViewSet: the caller's tokens by id, never a token or digest. */

export type { DurinSession } from '../core/sessions.js';

export const revokeSessionInput = z.object({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export function sessionsRouter<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { t, procedures, tokens } = deps;
  const { protectedProcedure } = procedures;

  return t.router({
    list: protectedProcedure.query(function listSessions({ ctx }) {
      return tokens.listSessions(ctx.auth);
    }),

    // `watch` yields what `list` answers (the same `tokens.listSessions`), so the two never disagree.
    watch: sessionsWatchProcedure(deps),

    revokeOthers: revokeOtherSessions(deps),

    revoke: protectedProcedure.input(revokeSessionInput).mutation(async function revokeSession({ ctx, input }): Promise<void> {
      const outcome = await tokens.revokeSession(ctx.auth, input.id);
      if (outcome === 'current') throw durinError('SESSION_IS_CURRENT');
      if (outcome === 'notFound') throw durinError('SESSION_NOT_FOUND');
    }),
  });
}
