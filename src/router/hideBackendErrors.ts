import { durinError, getDurinCode } from '../errors.js';
import type { RouterDeps } from './deps.js';

/**
 * durin's own procedures never show a driver's text: an unexpected failure in
 * them (`connect ECONNREFUSED 127.0.0.1:33917`, `SQLITE_BUSY`...) reaches the client as durin's
 * BACKEND_FAILED message, with the original error kept as `cause` for the app's `onError`.
 * Only durin's router gets this: `protectedProcedure` as the app concats it leaves the app's errors alone.
 */
export function withBackendErrorsHidden<TUser, TSerializedUser>(
  deps: RouterDeps<TUser, TSerializedUser>,
): RouterDeps<TUser, TSerializedUser> {
  const { t, procedures } = deps;
  const procedure = t.procedure.use(async function durinHideBackendErrors({ next }) {
    const result = await next();
    if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && getDurinCode(result.error) === null) {
      throw durinError('BACKEND_FAILED', undefined, result.error.cause ?? result.error);
    }
    return result;
  });
  return {
    ...deps,
    t: { ...t, procedure } as typeof t,
    procedures: { ...procedures, protectedProcedure: procedure.concat(procedures.protectedProcedure) },
  };
}
