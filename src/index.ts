/**
 * trpc-durin: per-client, expiring token authentication for tRPC v11 on Sequelize.
 * The public surface is this list; nothing else is exported.
 */
export { createDurin, type Durin, type DurinOptions } from './createDurin.js';
export type { DurinContext, DurinFailure, DurinRequestState } from './request/context.js';
export type { DurinContextOptions } from './request/request.js';
export type { DurinAuthenticatedContext, AuthenticatedContext } from './request/procedures.js';
export {
  DURIN_ERROR_CODES,
  DURIN_ERROR_HINTS,
  DURIN_ERRORS,
  DURIN_WEBSOCKET_CLOSE_CODE,
  DurinError,
  durinErrorFormatter,
  getDurinCode,
  type DurinErrorCode,
  type DurinErrorHint,
  type DurinErrorId,
} from './errors.js';
export { DurinConfigError, isDurinConfigError } from './config/messages.js';
export { hashToken } from './core/crypto.js';
export { parseDuration } from './config/duration.js';
export { parseRate, type DurinThrottleRate, type ThrottleRate } from './config/rate.js';
export type { DurinSettings, ResolvedDurinSettings } from './config/settings.js';
export type { DurinEvents, DurinEventMap, DurinRevokeReason } from './core/events.js';
export type { DurinCache } from './request/cache.js';
export type { DurinCacheBusLink, DurinCacheBus, DurinComponent, DurinHealthReporter, CacheBusLink } from './core/bus.js';
export type { DurinLivenessMessage, LivenessMessage } from './core/liveness.js';
export type { DurinClients, DurinCreateClientInput, CreateClientInput } from './core/clients.js';
export type { DurinIssuedToken, IssuedToken } from './core/tokens.js';
export type {
  DurinAuthOutcome,
  DurinCacheUse,
  DurinGaugeSources,
  DurinSpan,
  DurinSpanAttributes,
  DurinSpanName,
  DurinTelemetry,
  DurinThrottleScope,
} from './core/telemetry.js';
export type { DurinTokens, DurinProcedures, DurinRouter, DurinThrottle, DurinSubscriptionStats } from './types.js';
export type { DurinIssueOptions, IssueOptions } from './core/tokens.js';
export type { DurinRouterHost, DurinAdminRouter } from './types.js';
export type {
  DurinAdmin,
  DurinAdminActor,
  DurinAdminClient,
  DurinAdminToken,
  DurinTokenFilter,
  DurinTokenPage,
  ListTokensInput,
  UpdateClientInput,
} from './core/admin.js';
export type { DurinAdminAction, DurinAdminActionName } from './core/events.js';
export {
  memoryThrottleStore,
  type DurinMemoryThrottleStore,
  type DurinMemoryThrottleStoreOptions,
  type DurinThrottleDecision,
  type DurinThrottleStore,
  type DurinThrottleWindow,
  type MemoryThrottleStore,
  type MemoryThrottleStoreOptions,
  type ThrottleDecision,
  type ThrottleStore,
  type ThrottleWindow,
} from './throttle/store.js';
export type { DurinThrottleOptions, ThrottleOptions } from './throttle/throttle.js';
export type { DurinLoginOutput, LoginOutput } from './router/login.js';
export type { DurinSession } from './core/sessions.js';
export type { DurinApiAccess } from './router/apiAccess.js';
export type { CreateApiKeyInput, DurinApiKey, DurinCreatedApiKey, UpdateApiKeyInput } from './core/apiKeys.js';
export type { DurinApiKeysApi } from './types.js';
export { AUTH_TOKEN_TABLE, CLIENT_TABLE } from './models/defineModels.js';
export type {
  DurinAuthToken,
  DurinAuthTokenAttributes,
  DurinAuthTokenModel,
  DurinClient,
  DurinClientAttributes,
  DurinClientModel,
  DurinModels,
  DurinTokenKind,
} from './models/types.js';
export { DurinLookupTimeoutError } from './request/lookupTimeout.js';
export { DurinRotationError } from './core/rotation.js';
export type { DurinProxyTrust, DurinTrustProxySetting } from './config/trustProxy.js';
