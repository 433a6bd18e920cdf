import { initTRPC } from '@trpc/server';
import type { DurinContext } from './context.js';
import { durinError, formatWait, notAuthenticatedError } from '../errors.js';
import { DURIN_CONFIG_MESSAGES, DurinConfigError } from '../config/messages.js';
import { hasAbility, parseAbilities, type AbilityVocabulary } from '../core/abilities.js';
import type { DurinAuthToken } from '../models/types.js';
import { endWithToken } from '../subscriptions/endWithToken.js';
import { authenticateAgain } from '../subscriptions/recheck.js';
import type { TokenWatcher } from '../subscriptions/tokenWatcher.js';

/**
 * The concat-able procedures: `t.procedure.concat(durin.protectedProcedure)`.
 * durin has its own `initTRPC` for them, as tRPC's docs prescribe for libraries; `concat` checks
 * at compile time that the app's context includes durin's.
 */

export function createDurinTRPC<TUser>() {
  return initTRPC.context<DurinContext<TUser>>().create();
}

export type DurinTRPC<TUser> = ReturnType<typeof createDurinTRPC<TUser>>;

/** The authenticated part of the context: what `protectedProcedure` narrows to. */
export interface DurinAuthenticatedContext<TUser> {
  user: TUser;
  auth: DurinAuthToken<TUser>;
}

/**
 * Throws CONTEXT_MISSING when the app mounted durin's router or procedures without spreading
 * durin's context into its own: a clear server error naming the fix, not a TypeError in login.
 * (tRPC does not check a nested router's context type, so this cannot be a compile error.)
 */
export function requireDurinContext(ctx: DurinContext<unknown> | undefined): void {
  if (typeof (ctx?.durin as Partial<DurinContext['durin']> | undefined)?.setHeader !== 'function') throw durinError('CONTEXT_MISSING');
}

/** Throws the request's verification failure, or NOT_AUTHENTICATED when it is anonymous. */
export function requireAuthenticated<TUser>(ctx: DurinContext<TUser>): DurinAuthenticatedContext<TUser> {
  requireDurinContext(ctx);
  const failure = ctx.durin?.failure;
  if (failure?.retryAfter !== undefined) {
    // Too many invalid tokens from this IP: the token was not looked up at all.
    ctx.durin.setHeader('Retry-After', String(failure.retryAfter));
    throw durinError(failure.error, { wait: formatWait(failure.retryAfter) });
  }
  if (failure) throw durinError(failure.error, undefined, failure.cause);
  if (ctx.user === null || ctx.user === undefined || !ctx.auth) throw notAuthenticatedError(ctx.durin.hint);
  return { user: ctx.user, auth: ctx.auth };
}

/**
 * `watcher` ends every subscription behind `protectedProcedure` when its token stops working;
 * a WebSocket context (`durin.recheck`) is verified again on every protected operation, and its
 * connection closed (`durin.closeIfRefused`) once an operation's token is refused.
 */
export function createProcedures<TUser, TAbility extends string = string>(
  t: DurinTRPC<TUser>,
  watcher?: TokenWatcher,
  vocabulary: AbilityVocabulary = null,
) {
  const protectedProcedure = t.procedure.use(async function durinIsAuthenticated({ ctx, type, signal, next }) {
    const recheck = ctx.durin?.recheck;
    let authenticated: AuthenticatedContext<TUser>;
    try {
      authenticated = recheck ? await authenticateAgain<TUser>(recheck) : requireAuthenticated(ctx);
    } catch (error) {
      // A WebSocket whose token is refused is closed once this answer has gone out.
      ctx.durin?.closeIfRefused?.(error);
      throw error;
    }
    const result = await next({ ctx: authenticated });
    if (type !== 'subscription' || !watcher || !result.ok) return result;
    const { auth } = authenticated;
    return { ...result, data: endWithToken(result.data, (onEnd) => watcher.watch(auth, onEnd), signal) };
  });

  const clientList = (helper: string, names: string[]): ReadonlySet<string> => {
    if (names.length === 0) throw new DurinConfigError(DURIN_CONFIG_MESSAGES.noClientNames(helper));
    for (const name of names) {
      if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
        throw new DurinConfigError(DURIN_CONFIG_MESSAGES.invalidClientName(helper, name));
      }
    }
    return new Set(names);
  };

  /** durin's AllowSpecificClients: only tokens of these clients pass. */
  function allowClients(...names: string[]) {
    const allowed = clientList('allowClients', names);
    return protectedProcedure.use(async function durinAllowClients({ ctx, next }) {
      if (!allowed.has(ctx.auth.client.name)) throw durinError('CLIENT_FORBIDDEN');
      return next();
    });
  }

  /** durin's DisallowSpecificClients: tokens of these clients are refused. */
  function disallowClients(...names: string[]) {
    const disallowed = clientList('disallowClients', names);
    return protectedProcedure.use(async function durinDisallowClients({ ctx, next }) {
      if (disallowed.has(ctx.auth.client.name)) throw durinError('CLIENT_FORBIDDEN');
      return next();
    });
  }

  /**
   * Sanctum's `abilities` middleware: the token must carry every one of `abilities` (checked in
   * memory on the row the lookup read). An ability the app did not declare is a mistake in the
   * app's code, refused here, at start-up, rather than on every request.
   */
  function requireAbilities(...abilities: [TAbility, ...TAbility[]]) {
    const required = parseAbilities(abilities, vocabulary, { subject: 'requireAbilities() option', field: 'abilities' });
    if (!required || required.length === 0) {
      throw new DurinConfigError(DURIN_CONFIG_MESSAGES.noAbilities('requireAbilities'));
    }
    return protectedProcedure.use(async function durinRequireAbilities({ ctx, next }) {
      for (const ability of required) {
        if (!hasAbility(ctx.auth.abilities, ability)) throw durinError('ABILITY_MISSING', { ability });
      }
      return next();
    });
  }

  return { protectedProcedure, allowClients, disallowClients, requireAbilities };
}

/** durin's concat-able procedures (`protectedProcedure`, `allowClients`, `disallowClients`). */
export type DurinProcedures<TUser, TAbility extends string = string> = ReturnType<typeof createProcedures<TUser, TAbility>>;

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinAuthenticatedContext`. */
export type AuthenticatedContext<TUser> = DurinAuthenticatedContext<TUser>;
