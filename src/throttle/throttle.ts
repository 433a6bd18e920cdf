import type { DurinContext } from '../request/context.js';
import { durinError, throttledError } from '../errors.js';
import { DURIN_CONFIG_PROBLEMS, invalidConfig } from '../config/messages.js';
import { requireDurinContext, type DurinTRPC } from '../request/procedures.js';
import { RATE_FORM, parseRate, type DurinThrottleRate } from '../config/rate.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { UNKNOWN_IP } from '../core/requestFacts.js';
import { now } from '../core/time.js';
import { boundedKey, type LoginNameKey } from './loginKey.js';
import type { DurinThrottleStore, DurinThrottleWindow } from './store.js';
import type { DurinTelemetry, DurinThrottleScope } from '../core/telemetry.js';

/**
 * durin's UserClientRateThrottle: key `user-<userId>.client-<clientId>`, rate from
 * the client, else `defaultThrottleRate`, else no limit; anonymous callers by IP at the default.
 * Over the limit: TOO_MANY_REQUESTS and `Retry-After`, set through the adapter's response.
 */

export interface DurinThrottleOptions {
  /** Counter namespace: procedures with different scopes count separately. @default "user_per_client" */
  scope?: string | undefined;
  /** Rate for tokens whose client has none, and for anonymous callers. @default settings.defaultThrottleRate */
  defaultRate?: string | null | undefined;
}

export interface ThrottlingDeps {
  readonly store: DurinThrottleStore;
  /** The login name as the username column compares it. */
  readonly loginNameKey: LoginNameKey;
  /** Where each decision is counted; null when the app passed no `telemetry`. */
  readonly telemetry?: DurinTelemetry | null;
}

export function createThrottling<TUser>(t: DurinTRPC<TUser>, settings: ResolvedDurinSettings, deps: ThrottlingDeps) {
  const { store, loginNameKey } = deps;
  const telemetry = deps.telemetry ?? null;
  // Client rates are validated when clients are created; parse each distinct text once.
  const parsedRates = new Map<string, DurinThrottleRate | null>();
  const clientRate = (text: string): DurinThrottleRate | null => {
    let rate = parsedRates.get(text);
    if (rate === undefined) {
      rate = parseRate(text);
      if (parsedRates.size > 1000) parsedRates.clear();
      parsedRates.set(text, rate);
    }
    return rate;
  };

  /**
   * The caller's IP for a key counted per IP. Without one (fetch with neither `ip` nor a trusted
   * proxy header), every caller would share one bucket and anyone could lock anyone out:
   * refuse loudly instead, naming the fix.
   */
  function knownIp(ctx: DurinContext<TUser>, window: DurinThrottleWindow | null): string {
    if (window && ctx.durin.ip === UNKNOWN_IP) throw durinError('CLIENT_IP_UNKNOWN');
    return ctx.durin.ip;
  }

  /** Records a request and throws THROTTLED (with `Retry-After`) when it is over `window`. */
  async function enforce(
    ctx: DurinContext<TUser>,
    counter: { key: string; scope: DurinThrottleScope },
    window: DurinThrottleWindow | null,
  ): Promise<void> {
    if (!window) return;
    const decision = await store.hit(boundedKey(counter.key), window, now());
    telemetry?.throttleDecision({ scope: counter.scope, result: decision.allowed ? 'allowed' : 'throttled' });
    if (decision.allowed) return;
    ctx.durin.setHeader('Retry-After', String(decision.waitSeconds));
    throw throttledError(decision.waitSeconds);
  }

  function throttle(options: DurinThrottleOptions = {}) {
    const scope = options.scope ?? 'user_per_client';
    if (typeof scope !== 'string' || !/^[\w.-]{1,64}$/.test(scope)) {
      throw invalidConfig('throttle option', 'scope', DURIN_CONFIG_PROBLEMS.throttleScope(JSON.stringify(scope)));
    }
    let defaultRate = settings.defaultThrottleRate;
    if (options.defaultRate !== undefined) {
      defaultRate = options.defaultRate === null ? null : parseRate(options.defaultRate);
      if (options.defaultRate !== null && defaultRate === null) {
        const got = JSON.stringify(options.defaultRate);
        throw invalidConfig('throttle option', 'defaultRate', DURIN_CONFIG_PROBLEMS.nullOrRateGot(RATE_FORM, got));
      }
    }
    return t.procedure.use(async function durinThrottle({ ctx, next }) {
      requireDurinContext(ctx);
      const auth = ctx.auth;
      if (auth && ctx.user) {
        const rate = (auth.client.throttleRate && clientRate(auth.client.throttleRate)) || defaultRate;
        const key = `throttle_${scope}_user-${String(auth.userId)}.client-${auth.clientId}`;
        await enforce(ctx, { key, scope: 'user_client' }, rate);
      } else {
        await enforce(ctx, { key: `throttle_${scope}_${knownIp(ctx, defaultRate)}`, scope: 'anonymous' }, defaultRate);
      }
      return next();
    });
  }

  /** The login throttle: attempts per (IP, username) at `loginThrottleRate`. */
  async function enforceLogin(ctx: DurinContext<TUser>, username: string): Promise<void> {
    requireDurinContext(ctx);
    const rate = settings.loginThrottleRate;
    if (!rate) return;
    const ip = knownIp(ctx, rate);
    await enforce(ctx, { key: `throttle_login_${ip}_${await loginNameKey(username)}`, scope: 'login' }, rate);
  }

  return { throttle, enforceLogin };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinThrottleOptions`. */
export type ThrottleOptions = DurinThrottleOptions;
