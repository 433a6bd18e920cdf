import type { RouterDeps } from './deps.js';
import { apiAccessRouter } from './apiAccess.js';
import { loginProcedure } from './login.js';
import { sessionProcedures } from './session.js';
import { sessionsRouter } from './sessions.js';

/**
 * durin's views as one tRPC router (DESIGN §8), to mount anywhere: `t.router({ auth: durin.router })`.
 */
export function createDurinRouter<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  return deps.t.router({
    login: loginProcedure(deps),
    ...sessionProcedures(deps),
    sessions: sessionsRouter(deps),
    apiAccess: apiAccessRouter(deps),
  });
}
