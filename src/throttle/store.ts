import type { DurinHealthReporter } from '../core/bus.js';

/**
 * Where throttle counters live. The default keeps them in this process's memory;
 * a shared store (Redis, a table) implements the same one-method contract to serve several
 * processes. `hit` must be atomic per key: decide and record in one step.
 */

/** A window of `count` requests per `seconds`. */
export interface DurinThrottleWindow {
  readonly count: number;
  readonly seconds: number;
}

export type DurinThrottleDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; /** Whole seconds until a request would be allowed (≥ 1). */ readonly waitSeconds: number };

export interface DurinThrottleStore {
  /**
   * Records one request under `key` at time `at` (ms) if `window` still allows it, and says so.
   * A refused request is not recorded (DRF's sliding log).
   */
  hit(key: string, window: DurinThrottleWindow, at: number): DurinThrottleDecision | Promise<DurinThrottleDecision>;
  /** A shared store reports losing and regaining its backend here (`degraded` / `recovered`). durin calls it once, from `createDurin`. */
  connect?(reporter: DurinHealthReporter): void;
  /** Ends what the store started (timers, listeners); `durin.close()` calls it. The app's own client stays open. */
  close?(): void | Promise<void>;
}

export interface DurinMemoryThrottleStoreOptions {
  /** Most keys kept; past it, idle keys are dropped, then the least recently hit ones (1% at a time). @default 100000 */
  maxKeys?: number | undefined;
}

/** The default store: synchronous, and it tells how many keys it holds. */
export interface DurinMemoryThrottleStore extends DurinThrottleStore {
  hit(key: string, window: DurinThrottleWindow, at: number): DurinThrottleDecision;
  /** Keys currently held (at most `maxKeys`). */
  readonly size: number;
}

interface Log {
  windowMs: number;
  /** Request times, oldest first. */
  stamps: number[];
}

const ALLOWED: DurinThrottleDecision = Object.freeze({ allowed: true });
const SWEEP_EVERY = 1000;

const isIdle = (log: Log, at: number) => {
  const newest = log.stamps[log.stamps.length - 1];
  return newest === undefined || newest <= at - log.windowMs;
};

/**
 * The default store: a sliding log per key in a `Map`, bounded by `maxKeys`. The map is kept in
 * least-recently-hit order (a hit moves its key to the end), so making room for a new key looks
 * only at the front: idle keys there go first, then the least recently hit live ones. A full store
 * therefore costs amortized O(1) per new key, never a scan of every key (an attacker can mint keys:
 * random usernames at login, addresses behind `trustProxy`).
 */
export function memoryThrottleStore(options: DurinMemoryThrottleStoreOptions = {}): DurinMemoryThrottleStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const logs = new Map<string, Log>();
  let hitsSinceSweep = 0;

  // Forget every idle key once per max(SWEEP_EVERY, keys) hits: amortized O(1) per hit.
  const sweep = (at: number) => {
    hitsSinceSweep = 0;
    for (const [key, log] of logs) if (isIdle(log, at)) logs.delete(key);
  };

  // Room for new keys: idle keys at the front go, then the least recently hit live ones, down to
  // 99% of maxKeys. One pass serves many new keys: each pass must step over the slots the Map
  // keeps for deleted entries, which a pass per new key would do over and over.
  const makeRoom = (at: number) => {
    const target = maxKeys - Math.max(1, Math.floor(maxKeys / 100));
    for (const [key, log] of logs) {
      if (logs.size <= target && !isIdle(log, at)) break;
      logs.delete(key);
    }
  };

  return {
    get size() {
      return logs.size;
    },
    hit(key, window, at) {
      if (++hitsSinceSweep >= SWEEP_EVERY && hitsSinceSweep >= logs.size) sweep(at);
      const windowMs = window.seconds * 1000;
      let log = logs.get(key);
      if (log) {
        logs.delete(key); // re-inserted below, at the most recently hit end
      } else {
        if (logs.size >= maxKeys) makeRoom(at);
        log = { windowMs, stamps: [] };
      }
      logs.set(key, log);
      log.windowMs = windowMs;
      const stamps = log.stamps;
      let expired = 0;
      while (expired < stamps.length && stamps[expired]! <= at - windowMs) expired++;
      if (expired > 0) stamps.splice(0, expired);
      if (stamps.length >= window.count) {
        // Allowed again once all but count - 1 requests have left the window, i.e. when the one at
        // stamps[length - count] does. With a full log (length === count) this is DRF's
        // (duration - (now - oldest)) / (num_requests - len(history) + 1); DRF's formula divides by
        // zero or a negative number when the log holds more than the rate (a lowered rate, or two
        // throttles sharing a scope with different rates), this does not.
        const freedAt = stamps[stamps.length - window.count]! + windowMs;
        return { allowed: false, waitSeconds: Math.max(1, Math.ceil((freedAt - at) / 1000)) };
      }
      stamps.push(at);
      return ALLOWED;
    },
  };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinThrottleWindow`. */
export type ThrottleWindow = DurinThrottleWindow;
/** @deprecated Use `DurinThrottleDecision`. */
export type ThrottleDecision = DurinThrottleDecision;
/** @deprecated Use `DurinThrottleStore`. */
export type ThrottleStore = DurinThrottleStore;
/** @deprecated Use `DurinMemoryThrottleStoreOptions`. */
export type MemoryThrottleStoreOptions = DurinMemoryThrottleStoreOptions;
/** @deprecated Use `DurinMemoryThrottleStore`. */
export type MemoryThrottleStore = DurinMemoryThrottleStore;
