import { Op, type WhereOptions } from 'sequelize';
import { z } from 'zod';
import { durinError } from '../errors.js';
import type { DurinAuthToken, DurinAuthTokenAttributes } from '../models/types.js';
import { isExpired } from '../core/time.js';
import type { RouterDeps } from './deps.js';
import { sessionsWatchProcedure } from './sessionsWatch.js';
import { revokeOtherSessions } from './revokeOthers.js';
import { traced } from '../core/telemetry.js';

/** durin's TokenSessionsViewSet: the caller's tokens by id, never a token or digest. */

export interface DurinSession {
  id: number;
  /** The client's name. */
  client: string;
  created: Date;
  expiry: Date;
  hasExpired: boolean;
  /** True for the token this request came with. */
  isCurrent: boolean;
  /** The name given at login ("Firefox on Linux"), or null. */
  name: string | null;
  /** When the token was last used (recorded at most once per `lastUsedUpdateInterval`), or null. */
  lastUsedAt: Date | null;
  /** The client IP of that use, or null. */
  lastIp: string | null;
  /** The User-Agent of that use, or null. */
  userAgent: string | null;
}

export const revokeSessionInput = z.object({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export function sessionsRouter<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { t, procedures, models, settings, tokens } = deps;
  const { protectedProcedure } = procedures;
  const hiddenClient = settings.apiAccessExcludeFromSessions ? settings.apiAccessClientName : null;

  const sessions = t.router({
    list: protectedProcedure.query(async function listSessions({ ctx }): Promise<DurinSession[]> {
      // Named API keys are listed by apiKeys.list, never as sessions.
      const where: WhereOptions = { userId: ctx.auth.userId, kind: 'session' };
      if (hiddenClient) Object.assign(where, { '$client.name$': { [Op.ne]: hiddenClient } });
      const rows = (await models.AuthToken.findAll({
        where,
        include: [{ model: models.Client, as: 'client', attributes: ['name'] }],
        order: [['id', 'ASC']],
      })) as DurinAuthToken[];
      return rows.map((row) => ({
        id: Number(row.id),
        client: row.client.name,
        created: row.created,
        expiry: row.expiry,
        hasExpired: isExpired(row.expiry),
        isCurrent: Number(row.id) === Number(ctx.auth.id),
        name: row.name ?? null,
        lastUsedAt: row.lastUsedAt ?? null,
        lastIp: row.lastIp ?? null,
        userAgent: row.userAgent ?? null,
      }));
    }),

    revokeOthers: revokeOtherSessions(deps),

    revoke: protectedProcedure.input(revokeSessionInput).mutation(
      traced(deps.telemetry, 'durin.revoke', async function revokeSession({ ctx, input }): Promise<void> {
        if (input.id === Number(ctx.auth.id)) throw durinError('SESSION_IS_CURRENT');
        const where: WhereOptions<DurinAuthTokenAttributes> = { id: input.id, userId: ctx.auth.userId };
        const row = (await models.AuthToken.findOne({ where })) as DurinAuthToken<TUser> | null;
        if (!row) throw durinError('SESSION_NOT_FOUND');
        await tokens.revoke(row, 'sessionRevoked');
      }),
    ),
  });
  // `watch` yields what `list` answers, through a caller, so the two never disagree.
  const caller = t.createCallerFactory(sessions);
  return t.mergeRouters(sessions, t.router({ watch: sessionsWatchProcedure(deps, (ctx) => caller(ctx).list()) }));
}
