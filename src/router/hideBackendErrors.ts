import { durinError, getDurinCode } from '../errors.js';
import type { DurinProcedures, DurinTRPC } from '../request/procedures.js';

/**
 * durin's own procedures never show a driver's text: an unexpected failure in
 * them (`connect ECONNREFUSED 127.0.0.1:33917`, `SQLITE_BUSY`...) reaches the client as durin's
 * BACKEND_FAILED message, with the original error kept as `cause` for the app's `onError`.
 * Only durin's router gets this: `protectedProcedure` as the app concats it leaves the app's errors alone.
 * The router's procedures are built from the two returned here, so `t` itself stays as tRPC made it.
 */
export function backendErrorsHidden<TUser>(t: DurinTRPC<TUser>, protectedProcedure: DurinProcedures<TUser>['protectedProcedure']) {
  const procedure = t.procedure.use(async function durinHideBackendErrors({ next }) {
    const result = await next();
    if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && getDurinCode(result.error) === null) {
      throw durinError('BACKEND_FAILED', undefined, result.error.cause ?? result.error);
    }
    return result;
  });
  return { procedure, protectedProcedure: procedure.concat(protectedProcedure) };
}

/** The procedures durin's views are built from: `procedure` (login) and `protectedProcedure`, both hiding backend errors. */
export type DurinRouterProcedures<TUser> = ReturnType<typeof backendErrorsHidden<TUser>>;
