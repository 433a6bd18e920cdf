import type { DurinAdmin } from '../../core/admin.js';
import type { DurinTelemetry } from '../../core/telemetry.js';
import { adminClientsRouter } from './clients.js';
import { createAdminProcedure, type AdminProcedureDeps } from './procedure.js';
import { adminTokensRouter } from './tokens.js';
import { adminUsersRouter } from './users.js';

/**
 * durin's Django admin as a tRPC router, mounted by the app: `admin: durin.adminRouterFor(t)`.
 * Every procedure is built from the one admin procedure, so none can be added unguarded.
 */

export interface AdminRouterDeps<TUser> extends AdminProcedureDeps<TUser> {
  readonly admin: DurinAdmin;
  readonly telemetry: DurinTelemetry | null;
}

export function createAdminRouter<TUser>(deps: AdminRouterDeps<TUser>) {
  const { t, admin, telemetry } = deps;
  const adminProcedure = createAdminProcedure(deps);
  return t.router({
    clients: adminClientsRouter({ t, adminProcedure, admin }),
    tokens: adminTokensRouter({ t, adminProcedure, admin, telemetry }),
    users: adminUsersRouter({ t, adminProcedure, admin, telemetry }),
  });
}
