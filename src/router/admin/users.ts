import { z } from 'zod';
import type { DurinAdmin } from '../../core/admin.js';
import { traced, type DurinTelemetry } from '../../core/telemetry.js';
import type { DurinTRPC } from '../../request/procedures.js';
import { actorOf, type AdminProcedure } from './procedure.js';
import { adminUserId } from './tokens.js';

/** What support staff do for a lost phone or a leaked key: end every session and key of one user. */

export interface AdminUsersDeps<TUser> {
  readonly t: DurinTRPC<TUser>;
  readonly adminProcedure: AdminProcedure<TUser>;
  readonly admin: DurinAdmin;
  readonly telemetry: DurinTelemetry | null;
}

export function adminUsersRouter<TUser>(deps: AdminUsersDeps<TUser>) {
  const { t, adminProcedure, admin } = deps;
  return t.router({
    revokeAll: adminProcedure.input(z.object({ userId: adminUserId })).mutation(
      traced(deps.telemetry, 'durin.revoke', function revokeAll({ ctx, input }): Promise<{ revoked: number }> {
        return admin.revokeUser(actorOf(ctx), input.userId);
      }),
    ),
  });
}
