import type { RouterDeps } from './deps.js';
import { withBackendErrorsHidden } from './hideBackendErrors.js';
import { apiAccessRouter } from './apiAccess.js';
import { apiKeysRouter } from './apiKeys.js';
import { loginProcedure } from './login.js';
import { sessionProcedures } from './session.js';
import { sessionsRouter } from './sessions.js';

/**
 * durin's views as one tRPC router, to mount anywhere: `t.router({ auth: durin.router })`.
 */
export function createDurinRouter<TUser, TSerializedUser>(routerDeps: RouterDeps<TUser, TSerializedUser>) {
  const deps = withBackendErrorsHidden(routerDeps);
  return deps.t.router({
    login: loginProcedure(deps),
    ...sessionProcedures(deps),
    sessions: sessionsRouter(deps),
    apiAccess: apiAccessRouter(deps),
    apiKeys: apiKeysRouter(deps),
  });
}
