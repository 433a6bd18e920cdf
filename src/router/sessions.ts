import { z } from 'zod';
import { durinError } from '../errors.js';
import type { TokenLiveness } from '../core/liveness.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinTRPC } from '../request/procedures.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';
import { sessionsWatchProcedure } from './sessionsWatch.js';
import { revokeOtherSessions } from './revokeOthers.js';
import { traced, type DurinTelemetry } from '../core/telemetry.js';

/** durin's TokenSessionsViewSet: the caller's tokens by id, never a token or digest. */

export type { DurinSession } from '../core/sessions.js';

export const revokeSessionInput = z.object({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** What the `sessions` views use. */
export interface SessionsDeps<TUser> {
  readonly router: DurinTRPC<TUser>['router'];
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly tokens: Pick<TokenLifecycle<TUser>, 'listSessions' | 'revokeSession' | 'revokeOthers'>;
  /** Changes to tokens, local and remote (`sessions.watch` listens). */
  readonly liveness: Pick<TokenLiveness, 'watchUser'>;
  /** Spans around the revocations; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
}

export function sessionsRouter<TUser>(deps: SessionsDeps<TUser>) {
  const { router, protectedProcedure, tokens } = deps;

  return router({
    list: protectedProcedure.query(function listSessions({ ctx }) {
      return tokens.listSessions(ctx.auth);
    }),

    // `watch` yields what `list` answers (the same `tokens.listSessions`), so the two never disagree.
    watch: sessionsWatchProcedure(deps),

    revokeOthers: revokeOtherSessions(deps),

    revoke: protectedProcedure.input(revokeSessionInput).mutation(
      traced(deps.telemetry, 'durin.revoke', async function revokeSession({ ctx, input }): Promise<void> {
        const outcome = await tokens.revokeSession(ctx.auth, input.id);
        if (outcome === 'current') throw durinError('SESSION_IS_CURRENT');
        if (outcome === 'notFound') throw durinError('SESSION_NOT_FOUND');
      }),
    ),
  });
}
