import { durinError, getDurinCode } from '../../errors.js';
import type { createProcedures, DurinTRPC } from '../../request/procedures.js';

/**
 * The one procedure every admin procedure is built from: authenticated as `protectedProcedure`
 * answers (anonymous → UNAUTHORIZED), then the app's `isAdmin(user)`. Without that option nothing
 * is an administrator: Django's admin likewise lets no one in until someone is made staff.
 */

/** The app's `isAdmin` option: only `true` lets the user in, so a truthy role name is not enough. */
export type DurinIsAdmin<TUser> = (user: TUser) => boolean | Promise<boolean>;

export interface AdminProcedureDeps<TUser> {
  readonly t: DurinTRPC<TUser>;
  readonly protectedProcedure: ReturnType<typeof createProcedures<TUser>>['protectedProcedure'];
  readonly isAdmin: DurinIsAdmin<TUser> | undefined;
}

export function createAdminProcedure<TUser>(deps: AdminProcedureDeps<TUser>) {
  const { t, protectedProcedure, isAdmin } = deps;
  // As in durin's own views: a driver's text never reaches the client, its error stays the cause.
  const hidden = t.procedure.use(async function durinHideBackendErrors({ next }) {
    const result = await next();
    if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && getDurinCode(result.error) === null) {
      throw durinError('BACKEND_FAILED', undefined, result.error.cause ?? result.error);
    }
    return result;
  });
  return hidden.concat(protectedProcedure).use(async function durinIsAdmin({ ctx, next }) {
    if (!isAdmin) throw durinError('ADMIN_NOT_CONFIGURED');
    if ((await isAdmin(ctx.user)) !== true) throw durinError('ADMIN_REQUIRED');
    return next();
  });
}

export type AdminProcedure<TUser> = ReturnType<typeof createAdminProcedure<TUser>>;

/** Who acts, as `adminAction` reports it: the administrator's user id. */
export const actorOf = (ctx: { auth: { userId: unknown } }) => ({ id: ctx.auth.userId });
