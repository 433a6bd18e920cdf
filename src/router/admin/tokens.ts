import { z } from 'zod';
import { MAX_PAGE_SIZE, type DurinAdmin, type DurinTokenPage } from '../../core/admin.js';
import { traced, type DurinTelemetry } from '../../core/telemetry.js';
import type { DurinTRPC } from '../../request/procedures.js';
import { actorOf, type AdminProcedure } from './procedure.js';

/** durin's AuthTokenAdmin: any user's tokens, a page at a time (never a token or digest), and revoking one. */

export const adminTokenId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const adminUserId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(255)]);

export const adminListTokensInput = z
  .object({
    userId: adminUserId.optional(),
    client: z.string().min(1).max(64).optional(),
    kind: z.enum(['session', 'apiKey']).optional(),
    expired: z.boolean().optional(),
    cursor: z.string().min(1).max(512).nullish(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  })
  .optional();

export interface AdminTokensDeps<TUser> {
  readonly t: DurinTRPC<TUser>;
  readonly adminProcedure: AdminProcedure<TUser>;
  readonly admin: DurinAdmin;
  readonly telemetry: DurinTelemetry | null;
}

export function adminTokensRouter<TUser>(deps: AdminTokensDeps<TUser>) {
  const { t, adminProcedure, admin } = deps;
  return t.router({
    list: adminProcedure.input(adminListTokensInput).query(function listTokens({ input }): Promise<DurinTokenPage> {
      return admin.listTokens(input ?? {});
    }),
    revoke: adminProcedure.input(z.object({ id: adminTokenId })).mutation(
      traced(deps.telemetry, 'durin.revoke', async function revokeToken({ ctx, input }): Promise<void> {
        await admin.revokeToken(actorOf(ctx), input.id);
      }),
    ),
  });
}
