import type { Model } from 'sequelize';
import type { DurinCache } from './request/cache.js';
import type { DurinClients } from './core/clients.js';
import type { DurinContext, DurinContextFactory } from './request/context.js';
import type { DurinEvents } from './core/events.js';
import type { DurinModels } from './models/types.js';
import type { DurinProcedures } from './request/procedures.js';
import type { createDurinRouter } from './router/index.js';
import type { createAdminRouter } from './router/admin/index.js';
import type { DurinAdmin } from './core/admin.js';
import type { ResolvedDurinSettings } from './config/settings.js';
import type { createThrottling } from './throttle/throttle.js';
import type { TokenLifecycle } from './core/tokens.js';
import type { CreateApiKeyInput, DurinApiKey, DurinCreatedApiKey, UpdateApiKeyInput } from './core/apiKeys.js';

/**
 * The public types of what `createDurin` returns, declared rather than inferred, so
 * that an app can name them (`Durin<User>`, `DurinTokens<User>`) and the declaration files stay
 * readable. A member added to `createDurin`'s result is added here too: one line per member.
 */

export type { DurinProcedures } from './request/procedures.js';
/** `durin.throttle(options?)`: durin's UserClientRateThrottle as a concat-able procedure. */
export type DurinThrottle<TUser> = ReturnType<typeof createThrottling<TUser>>['throttle'];
/** `durin.router`: durin's views (login, refresh, logout, logoutAll, sessions, apiAccess). */
export type DurinRouter<TUser, TSerializedUser = never> = ReturnType<typeof createDurinRouter<TUser, TSerializedUser>>;

/** `durin.adminRouterFor(t)`: durin's Django admin as procedures (clients, tokens, users). */
export type DurinAdminRouter<TUser> = ReturnType<typeof createAdminRouter<TUser>>;

/** `durin.tokens`: issue, renew and revoke tokens from the app's own code. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so the public type has a name of its own in hovers and errors
export interface DurinTokens<TUser> extends Pick<TokenLifecycle<TUser>, 'issue' | 'renew' | 'revoke' | 'revokeAll' | 'removeExpired'> {}

/** The object `createDurin` returns. */
export interface Durin<TUser extends Model = Model, TSerializedUser = never, TAbility extends string = string> {
  /** The resolved settings (frozen). */
  readonly settings: ResolvedDurinSettings;
  /** TokenAuthentication as a tRPC context factory: resolves to `{ user, auth, durin }`. */
  readonly createDurinContext: DurinContextFactory<TUser>;
  /** CachedTokenAuthentication: the same, with the lookup memoized. */
  readonly createCachedDurinContext: DurinContextFactory<TUser>;
  /** `t.procedure.concat(durin.protectedProcedure)`: UNAUTHORIZED unless authenticated; narrows `ctx.user` and `ctx.auth`. */
  readonly protectedProcedure: DurinProcedures<TUser>['protectedProcedure'];
  /** durin's AllowSpecificClients. */
  readonly allowClients: DurinProcedures<TUser>['allowClients'];
  /** durin's DisallowSpecificClients. */
  readonly disallowClients: DurinProcedures<TUser>['disallowClients'];
  /** durin's UserClientRateThrottle. */
  readonly throttle: DurinThrottle<TUser>;
  /**
   * Sanctum's `abilities` middleware as a concat-able procedure: anonymous → UNAUTHORIZED; a token
   * lacking one → FORBIDDEN ABILITY_MISSING. An ability the app did not declare throws DurinConfigError.
   */
  readonly requireAbilities: DurinProcedures<TUser, TAbility>['requireAbilities'];
  /** Whether `auth` (a `ctx.auth`) carries `ability`: Sanctum's `tokenCan`. `null` auth → false. */
  can(auth: { readonly abilities: readonly string[] | null } | null | undefined, ability: TAbility): boolean;
  /**
   * True when `token` has the format new tokens have (prefix, hex body, a matching CRC-32), for
   * secret scanners and clients. Needs no database.
   */
  isWellFormedToken(token: string): boolean;
  /** Named API keys from the app's own code (no escalation check: the app acts with every ability). */
  readonly apiKeys: DurinApiKeysApi<TUser>;
  /** durin's views, to mount anywhere: `t.router({ auth: durin.router })`. */
  readonly router: DurinRouter<TUser, TSerializedUser>;
  /**
   * `durin.router`, checked against the app's `t`: `t.router({ auth: durin.routerFor(t) })` does not
   * compile when `t`'s context lacks durin's (tRPC does not check a nested router's context).
   */
  routerFor(t: DurinRouterHost<TUser>): DurinRouter<TUser, TSerializedUser>;
  /**
   * The admin procedures, checked against the app's `t` as `routerFor` is:
   * `t.router({ admin: durin.adminRouterFor(t) })`. Every one requires the `isAdmin` option to say yes.
   */
  adminRouterFor(t: DurinRouterHost<TUser>): DurinAdminRouter<TUser>;
  /** What the admin router does, from the app's own code or a script (the CLI uses it). */
  readonly admin: DurinAdmin;
  /** `{ Client, AuthToken }` on the app's Sequelize instance. */
  readonly models: DurinModels;
  readonly clients: DurinClients<TAbility>;
  readonly tokens: DurinTokens<TUser>;
  readonly events: DurinEvents<TUser>;
  readonly cache: DurinCache;
  /** What open subscriptions hold: for tests and metrics; all zero once every stream ended. */
  readonly subscriptions: DurinSubscriptionStats;
  /**
   * Ends what durin started (the bus's subscriber and timers, the cache's entries) so the process
   * can exit; the app's own Redis client and Sequelize stay the app's to close. Safe to call twice.
   */
  close(): Promise<void>;
  /** Creates durin's tables if they do not exist (development and tests; production uses the migrations). */
  sync(): Promise<void>;
}

/** `durin.apiKeys`: what the `apiKeys` router does, for a given user. */
export interface DurinApiKeysApi<TUser> {
  create(user: TUser, input: CreateApiKeyInput): Promise<DurinCreatedApiKey>;
  list(user: TUser): Promise<DurinApiKey[]>;
  update(user: TUser, input: UpdateApiKeyInput): Promise<DurinApiKey>;
  revoke(user: TUser, id: number): Promise<void>;
}

/** The part of an app's `t` (`initTRPC.context<...>().create()`) that `routerFor` checks: its context type includes durin's. */
export interface DurinRouterHost<TUser> {
  readonly _config: { readonly $types: { readonly ctx: DurinContext<TUser> } };
}

/** `durin.subscriptions`: counts of what open subscriptions hold. */
export interface DurinSubscriptionStats {
  /** Open protected subscriptions watching their token. */
  readonly open: number;
  /** Digests watched, each with one listener and one timer. */
  readonly watchedTokens: number;
  /** Listeners on the liveness hub (the cache's one included). */
  readonly listeners: number;
}
