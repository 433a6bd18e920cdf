import { DataTypes, type Model, type ModelStatic } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { createAuthenticator, type Authenticator } from './request/authentication.js';
import { createTokenCache } from './request/cache.js';
import type { DurinCacheBus, DurinComponent } from './core/bus.js';
import { createClients } from './core/clients.js';
import { createContextFactory } from './request/context.js';
import { DURIN_CONFIG_PROBLEMS as PROBLEM, DURIN_SETTING_PROBLEMS as SETTING_PROBLEM, invalidConfig } from './config/messages.js';
import { createDurinEvents, reportListenerError } from './core/events.js';
import { createTokenLiveness } from './core/liveness.js';
import { defineModels } from './models/defineModels.js';
import { createDurinTRPC, createProcedures } from './request/procedures.js';
import { createDurinRouter } from './router/index.js';
import { resolveSettings, type DurinSettings, type ResolvedDurinSettings } from './config/settings.js';
import { memoryThrottleStore, type DurinThrottleStore } from './throttle/store.js';
import { createThrottling } from './throttle/throttle.js';
import { createLoginNameKey } from './throttle/loginKey.js';
import { createTokenLookup } from './request/lookup.js';
import { withPrimaryRetry } from './request/primaryRetry.js';
import { createTokens } from './core/tokens.js';
import { checkingUserKey, createUserKeyCheck } from './core/userKeyCheck.js';
import { createTokenWatcher } from './subscriptions/tokenWatcher.js';
import type { Durin, DurinProcedures } from './types.js';
import { checkUserModel, checkUserModelFields } from './config/userModelCheck.js';
import { createUsageRecorder } from './core/usage.js';
import { sessionAttributes, timedLookup, type DurinTelemetry } from './core/telemetry.js';
import { hasAbility, parseVocabulary } from './core/abilities.js';
import { createApiKeys } from './core/apiKeys.js';
import { createTokenScreen, createWellFormedCheck } from './core/tokenFormat.js';
import { createInvalidTokenGate } from './request/invalidTokenGate.js';
import { createAdmin } from './core/admin.js';
import { createAdminRouter } from './router/admin/index.js';

/** What `createDurin` takes. */
export interface DurinOptions<TUser extends Model, TSerializedUser = never, TAbility extends string = string> {
  /** The app's Sequelize instance (sequelize-typescript's); durin adds its two models to it. */
  sequelize: Sequelize;
  /** The app's user model: any model with a primary key. */
  userModel: ModelStatic<TUser>;
  /** `login`'s credential check: the user, or `null` for wrong credentials. */
  authenticateUser: (credentials: { username: string; password: string }) => Promise<TUser | null> | TUser | null;
  /** Whether a user may authenticate. @default (user) => user.get('isActive') !== false */
  isUserActive?: ((user: TUser) => boolean | Promise<boolean>) | undefined;
  /** When set, `login` also returns `user: serializeUser(user)` (durin's USER_SERIALIZER). */
  serializeUser?: ((user: TUser) => TSerializedUser) | undefined;
  /** See the README's settings reference. */
  settings?: DurinSettings | undefined;
  /** Where throttle counters live. @default memoryThrottleStore() */
  throttleStore?: DurinThrottleStore | undefined;
  /** Tells every process of a revocation, e.g. `redisCacheBus(redis)`. @default none: this process only */
  cacheBus?: DurinCacheBus | undefined;
  /**
   * Metrics and spans, e.g. `durinTelemetry()` from `trpc-durin/otel`.
   * @default none: nothing is recorded and the request path makes no telemetry call
   * @see README "Observability"
   */
  telemetry?: DurinTelemetry | undefined;
  /**
   * The app's abilities, e.g. `['posts:read', 'posts:write'] as const`: `requireAbilities`, `can`
   * and `clients.create` are then typed by them, and an ability not in the list is refused where it
   * is named. @default none: any ability of 1 to 64 printable characters
   */
  abilities?: readonly TAbility[] | undefined;
  /**
   * Who may use `durin.adminRouterFor(t)`: only `true` lets a user in (sync or async).
   * @default none: every admin procedure answers FORBIDDEN "Administration is not configured."
   * @see README "Administration"
   */
  isAdmin?: ((user: TUser) => boolean | Promise<boolean>) | undefined;
}

const defaultIsUserActive = (user: Model) => user.get('isActive') !== false;

function checkOptions(options: DurinOptions<Model, unknown>): void {
  const fail = (name: string, problem: string) => {
    throw invalidConfig('option', name, problem);
  };
  if (!options || typeof options !== 'object') fail('options', PROBLEM.notAnObject);
  const { sequelize, userModel } = options;
  if (!sequelize || typeof (sequelize as { addModels?: unknown }).addModels !== 'function') {
    fail('sequelize', PROBLEM.sequelize);
  }
  if (typeof userModel !== 'function' || typeof userModel.getAttributes !== 'function' || !userModel.primaryKeyAttribute) {
    fail('userModel', PROBLEM.userModel);
  }
  if (userModel.sequelize !== sequelize) fail('userModel', PROBLEM.userModelSequelize);
  checkUserModel(userModel);
  if (typeof options.authenticateUser !== 'function') fail('authenticateUser', PROBLEM.authenticateUser);
  for (const name of ['isUserActive', 'serializeUser', 'isAdmin'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(name, PROBLEM.aFunction);
  }
  if (options.throttleStore !== undefined && typeof options.throttleStore?.hit !== 'function') {
    fail('throttleStore', PROBLEM.throttleStore);
  }
  const bus = options.cacheBus;
  if (options.abilities !== undefined && !Array.isArray(options.abilities))
    fail('abilities', PROBLEM.abilityList(String(options.abilities)));
  if (bus !== undefined && (typeof bus?.connect !== 'function' || typeof bus.publish !== 'function' || typeof bus.close !== 'function')) {
    fail('cacheBus', PROBLEM.cacheBus);
  }
  const telemetry = options.telemetry;
  if (
    telemetry !== undefined &&
    (typeof telemetry?.authDecided !== 'function' || typeof telemetry.span !== 'function' || typeof telemetry.observe !== 'function')
  ) {
    fail('telemetry', PROBLEM.telemetry);
  }
}

/** The login throttle keys names by the username column's collation: that column must exist. */
function checkUsernameField(userModel: ModelStatic<Model>, settings: ResolvedDurinSettings): void {
  if (!settings.loginThrottleRate) return;
  const attribute = userModel.getAttributes()[settings.usernameField];
  if (!attribute || attribute.type instanceof DataTypes.VIRTUAL) {
    const got = JSON.stringify(settings.usernameField);
    throw invalidConfig('setting', 'usernameField', PROBLEM.got(SETTING_PROBLEM.usernameField, got));
  }
}

/**
 * Where a durin object keeps its bus, out of the public API: the CLI asks whether `--app`'s durin
 * publishes revocations. A registered symbol, because the app module may load another copy of
 * trpc-durin than the CLI's (its own install, or the sources through tsx).
 */
const CACHE_BUS = Symbol.for('trpc-durin.cacheBus');

/** The bus `durin` was created with, if any (for the CLI). */
export function cacheBusOf(durin: object): DurinCacheBus | undefined {
  return (durin as { [CACHE_BUS]?: DurinCacheBus })[CACHE_BUS];
}

/**
 * Builds durin for one app: models on its Sequelize instance, the context factories, the
 * procedures to concat, the router to mount. Nothing is shared between two `createDurin` calls.
 */
export function createDurin<TUser extends Model, TSerializedUser = never, const TAbility extends string = string>(
  options: DurinOptions<TUser, TSerializedUser, TAbility>,
): Durin<TUser, TSerializedUser, TAbility> {
  checkOptions(options as unknown as DurinOptions<Model, unknown>);
  checkUserModelFields(options.userModel as unknown as ModelStatic<Model>);
  const settings = resolveSettings(options.settings);
  checkUsernameField(options.userModel as unknown as ModelStatic<Model>, settings);
  const vocabulary = parseVocabulary(options.abilities);
  const { sequelize, userModel } = options;
  const isUserActive = options.isUserActive ?? (defaultIsUserActive as (user: TUser) => boolean);
  const userPk = userModel.primaryKeyAttribute;
  const userId = (user: TUser) => user.get(userPk);

  const models = defineModels(sequelize, userModel as unknown as ModelStatic<Model>);
  const events = createDurinEvents<TUser>();
  const liveness = createTokenLiveness((error) => reportListenerError(events, 'liveness', error));
  const bus = options.cacheBus;
  const telemetry = options.telemetry ?? null;
  const userKeyCheck = createUserKeyCheck(models, userModel as unknown as ModelStatic<Model>);
  const tokens = checkingUserKey(createTokens<TUser>({ models, settings, events, liveness, userId, telemetry }), userKeyCheck);
  const lookup = withPrimaryRetry(sequelize, createTokenLookup(sequelize, models, userModel));
  const authenticator = createAuthenticator<TUser>({
    lookup: telemetry ? timedLookup(telemetry, lookup) : lookup,
    tokens,
    isUserActive,
    lookupTimeoutMs: settings.lookupTimeout,
  });
  // With telemetry, every database verification (a cache miss, a bypass, the uncached context) is a span.
  if (telemetry) authenticator.verifyDigest = tracedVerification(telemetry, authenticator.verifyDigest);
  const cache = createTokenCache({
    authenticator,
    settings,
    liveness,
    ...(bus ? { bypass: () => !bus.healthy } : {}),
    countEntries: telemetry !== null,
  });

  // Health of the shared components: `degraded` once per outage, `recovered` once after it.
  const down = new Set<DurinComponent>();
  const health = {
    degraded(component: DurinComponent, error: unknown) {
      if (down.has(component)) return;
      down.add(component);
      telemetry?.degraded({ component });
      events.emit('degraded', { component, error });
    },
    recovered(component: DurinComponent) {
      if (!down.delete(component)) return;
      events.emit('recovered', { component });
    },
  };
  if (bus) {
    liveness.setPublisher(bus);
    bus.connect({
      ...health,
      deliver: (message) => liveness.deliver(message),
      // Messages may have been missed while the bus was down: nothing cached before is trusted.
      healthChanged: (healthy) => {
        if (healthy) cache.clear();
      },
    });
  }
  // usage recording and renewOnUse, off the response path (null when both are off).
  const usage = createUsageRecorder<TUser>({ tokens, settings, health });
  const recordUse = usage ? usage.record : undefined;
  let closed: Promise<void> | null = null;
  const clients = createClients(models, settings, { tokens, vocabulary });
  const apiKeys = createApiKeys<TUser>({ models, settings, tokens, vocabulary, userId });

  const t = createDurinTRPC<TUser>();
  // subscriptions end when their token stops working (revocation, expiry), here or elsewhere.
  const watcher = createTokenWatcher({ liveness, verify: authenticator.verifyDigest });
  const procedures = createProcedures<TUser>(t, watcher, vocabulary);
  const throttleStore = options.throttleStore ?? memoryThrottleStore();
  throttleStore.connect?.(health);
  const loginNameKey = createLoginNameKey(userModel as unknown as ModelStatic<Model>, settings.usernameField);
  const throttling = createThrottling(t, settings, { store: throttleStore, loginNameKey, telemetry });
  const router = createDurinRouter<TUser, TSerializedUser>({
    t,
    protectedProcedure: procedures.protectedProcedure,
    models,
    settings,
    tokens,
    clients,
    events,
    liveness,
    enforceLogin: throttling.enforceLogin,
    authenticateUser: options.authenticateUser,
    isUserActive,
    serializeUser: options.serializeUser,
    telemetry,
    apiKeys,
  });
  const admin = createAdmin<TUser>({ models, settings, tokens, clients, events, vocabulary });
  const adminRouter = createAdminRouter<TUser>({
    t,
    protectedProcedure: procedures.protectedProcedure,
    isAdmin: options.isAdmin,
    admin,
    telemetry,
  });
  const stopObserving = telemetry?.observe({ cacheEntries: () => cache.entries(), openSubscriptions: () => watcher.watchers }) ?? null;
  // The token format, checked before any query; and the guessed-token throttle, when it is on.
  const screen = createTokenScreen(settings);
  const gate = settings.invalidTokenThrottleRate ? createInvalidTokenGate(settings.invalidTokenThrottleRate) : undefined;

  const durin: Durin<TUser, TSerializedUser, TAbility> = {
    /** The resolved settings (frozen). */
    settings,
    /** TokenAuthentication as a tRPC context factory: resolves to `{ user, auth, durin }`. */
    createDurinContext: createContextFactory<TUser>(settings, authenticator.verifyDigest, {
      onVerified: recordUse,
      telemetry,
      screen,
      gate,
    }),
    /** CachedTokenAuthentication: the same, with the lookup memoized. */
    createCachedDurinContext: createContextFactory<TUser>(settings, cache.verify, {
      onVerified: recordUse,
      telemetry,
      cacheUse: cache.use,
      screen,
      gate,
      isCached: cache.has,
    }),
    protectedProcedure: procedures.protectedProcedure,
    allowClients: procedures.allowClients,
    disallowClients: procedures.disallowClients,
    // Typed by the app's vocabulary here; the router's own procedures need none of it.
    requireAbilities: procedures.requireAbilities as DurinProcedures<TUser, TAbility>['requireAbilities'],
    can: (auth, ability) => (auth ? hasAbility(auth.abilities, ability) : false),
    isWellFormedToken: createWellFormedCheck(settings),
    apiKeys: {
      create: (user, input) => apiKeys.create({ user, abilities: null }, input),
      list: (user) => apiKeys.list({ user, abilities: null }),
      update: (user, input) => apiKeys.update({ user, abilities: null }, input),
      revoke: (user, id) => apiKeys.revoke({ user, abilities: null }, id),
    },
    throttle: throttling.throttle,
    router,
    routerFor: () => router,
    admin,
    adminRouterFor: () => adminRouter,
    models,
    clients,
    tokens: {
      issue: tokens.issue,
      renew: tokens.renew,
      revoke: tokens.revoke,
      revokeAll: tokens.revokeAll,
      removeExpired: tokens.removeExpired,
    },
    events,
    cache: { invalidate: cache.invalidate, clear: cache.clear },
    /** What open subscriptions hold: for tests and metrics; all zero once every stream ended. */
    subscriptions: {
      /** Open protected subscriptions watching their token. */
      get open(): number {
        return watcher.watchers;
      },
      /** Digests watched, each with one listener and one timer. */
      get watchedTokens(): number {
        return watcher.watchedTokens;
      },
      /** Listeners on the liveness hub (the cache's one included). */
      get listeners(): number {
        return liveness.listenerCount;
      },
    },
    /**
     * Ends what durin started (the bus's subscriber and timers, the cache's entries; pending usage
     * writes are awaited first) so the process can exit; the app's own Redis client and Sequelize
     * stay the app's to close. Safe to call twice.
     */
    close(): Promise<void> {
      closed ??= (async () => {
        stopObserving?.();
        await usage?.close();
        liveness.setPublisher(null);
        watcher.close();
        liveness.clear();
        cache.clear();
        await bus?.close();
        await throttleStore.close?.();
      })();
      return closed;
    },
    /** Creates durin's tables if they do not exist (development and tests; production uses the migrations). */
    async sync(): Promise<void> {
      await models.Client.sync();
      await models.AuthToken.sync();
    },
  };
  if (bus) Object.defineProperty(durin, CACHE_BUS, { value: bus });
  return durin;
}

/** A database verification inside a `durin.authenticate` span, with the session it found. */
function tracedVerification<TUser>(
  telemetry: DurinTelemetry,
  verifyDigest: Authenticator<TUser>['verifyDigest'],
): Authenticator<TUser>['verifyDigest'] {
  return (tokenHash) =>
    telemetry.span('durin.authenticate', {}, async (span) => {
      const result = await verifyDigest(tokenHash);
      if (result.ok) span.setAttributes(sessionAttributes(result.value.auth));
      return result;
    });
}

/** The object `createDurin` returns: declared in types.ts. */
export type { Durin } from './types.js';
