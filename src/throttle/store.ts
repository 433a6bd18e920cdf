/**
 * Where throttle counters live (DESIGN §7). The default keeps them in this process's memory;
 * a shared store (Redis, a table) implements the same one-method contract to serve several
 * processes. `hit` must be atomic per key: decide and record in one step.
 */

/** A window of `count` requests per `seconds`. */
export interface ThrottleWindow {
  readonly count: number;
  readonly seconds: number;
}

export type ThrottleDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; /** Whole seconds until a request would be allowed (≥ 1). */ readonly waitSeconds: number };

export interface ThrottleStore {
  /**
   * Records one request under `key` at time `at` (ms) if `window` still allows it, and says so.
   * A refused request is not recorded (DRF's sliding log).
   */
  hit(key: string, window: ThrottleWindow, at: number): ThrottleDecision | Promise<ThrottleDecision>;
}

export interface MemoryThrottleStoreOptions {
  /** Most keys kept; past it, expired keys are swept, then the oldest dropped. @default 100000 */
  maxKeys?: number;
}

interface Log {
  windowMs: number;
  /** Request times, oldest first. */
  stamps: number[];
}

const ALLOWED: ThrottleDecision = Object.freeze({ allowed: true });
const SWEEP_EVERY = 1000;

/** The default store: a sliding log per key in a `Map`, bounded by `maxKeys`. */
export function memoryThrottleStore(options: MemoryThrottleStoreOptions = {}): ThrottleStore & { readonly size: number } {
  const maxKeys = options.maxKeys ?? 100_000;
  const logs = new Map<string, Log>();
  let hitsSinceSweep = 0;

  const sweep = (at: number) => {
    hitsSinceSweep = 0;
    for (const [key, log] of logs) {
      const newest = log.stamps[log.stamps.length - 1];
      if (newest === undefined || newest <= at - log.windowMs) logs.delete(key);
    }
    // Still full of live keys: drop the oldest (Map keeps insertion order).
    for (const key of logs.keys()) {
      if (logs.size < maxKeys) break;
      logs.delete(key);
    }
  };

  return {
    get size() {
      return logs.size;
    },
    hit(key, window, at) {
      if (++hitsSinceSweep >= SWEEP_EVERY || (logs.size >= maxKeys && !logs.has(key))) sweep(at);
      const windowMs = window.seconds * 1000;
      let log = logs.get(key);
      if (!log) {
        log = { windowMs, stamps: [] };
        logs.set(key, log);
      }
      log.windowMs = windowMs;
      const stamps = log.stamps;
      let expired = 0;
      while (expired < stamps.length && stamps[expired]! <= at - windowMs) expired++;
      if (expired > 0) stamps.splice(0, expired);
      if (stamps.length >= window.count) {
        // DRF: (duration - (now - oldest)) / (num_requests - len(history) + 1), rounded up.
        const remainingMs = windowMs - (at - stamps[0]!);
        const available = window.count - stamps.length + 1;
        return { allowed: false, waitSeconds: Math.max(1, Math.ceil(remainingMs / available / 1000)) };
      }
      stamps.push(at);
      return ALLOWED;
    },
  };
}
