import { findClientByName } from '../core/clientName.js';
import type { DurinClients } from '../core/clients.js';
import type { DurinEvents } from '../core/events.js';
import type { TokenLiveness } from '../core/liveness.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinTelemetry } from '../core/telemetry.js';
import type { DurinApiKeys } from '../core/apiKeys.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import type { DurinModels } from '../models/types.js';
import type { DurinProcedures, DurinTRPC } from '../request/procedures.js';
import { backendErrorsHidden } from './hideBackendErrors.js';
import { apiAccessRouter } from './apiAccess.js';
import { apiKeysRouter } from './apiKeys.js';
import { loginProcedure, type LoginDeps } from './login.js';
import { sessionProcedures } from './session.js';
import { sessionsRouter } from './sessions.js';

/** What durin's router is assembled from; each view group is handed only the part it uses. */
export interface DurinRouterParts<TUser, TSerializedUser> {
  readonly t: DurinTRPC<TUser>;
  readonly protectedProcedure: DurinProcedures<TUser>['protectedProcedure'];
  readonly models: Pick<DurinModels, 'Client'>;
  readonly settings: Pick<ResolvedDurinSettings, 'apiAccessClientName'>;
  readonly tokens: TokenLifecycle<TUser>;
  readonly clients: DurinClients;
  readonly events: DurinEvents<TUser>;
  readonly liveness: TokenLiveness;
  readonly enforceLogin: LoginDeps<TUser, TSerializedUser>['enforceLogin'];
  readonly authenticateUser: LoginDeps<TUser, TSerializedUser>['authenticateUser'];
  readonly isUserActive: LoginDeps<TUser, TSerializedUser>['isUserActive'];
  readonly serializeUser: LoginDeps<TUser, TSerializedUser>['serializeUser'];
  /** Spans around login, refresh, logout and revocations; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
  /** Named API keys (`apiKeys.*`). */
  readonly apiKeys: DurinApiKeys<TUser>;
}

/**
 * durin's views as one tRPC router, to mount anywhere: `t.router({ auth: durin.router })`.
 */
export function createDurinRouter<TUser, TSerializedUser>(parts: DurinRouterParts<TUser, TSerializedUser>) {
  const { t, models, settings, tokens, clients, events, liveness, telemetry, apiKeys } = parts;
  const { procedure, protectedProcedure } = backendErrorsHidden(t, parts.protectedProcedure);
  const { enforceLogin, authenticateUser, isUserActive, serializeUser } = parts;
  return t.router({
    login: loginProcedure<TUser, TSerializedUser>({
      procedure,
      findClient: (name) => findClientByName(models.Client, name),
      tokens,
      events,
      enforceLogin,
      authenticateUser,
      isUserActive,
      serializeUser,
      telemetry,
    }),
    ...sessionProcedures({ protectedProcedure, tokens, events, telemetry }),
    sessions: sessionsRouter({ router: t.router, protectedProcedure, tokens, liveness, telemetry }),
    apiAccess: apiAccessRouter({
      router: t.router,
      protectedProcedure,
      clientName: settings.apiAccessClientName,
      clients,
      tokens,
      telemetry,
    }),
    apiKeys: apiKeysRouter({ router: t.router, protectedProcedure, apiKeys }),
  });
}
