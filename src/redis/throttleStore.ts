import type { Cluster, Redis } from 'ioredis';
import type { DurinHealthReporter } from '../core/bus.js';
import { DURIN_INTERNAL_MESSAGES } from '../errors.js';
import { memoryThrottleStore, type DurinThrottleDecision, type DurinThrottleStore, type DurinThrottleWindow } from '../throttle/store.js';
import { resolveRedisOptions, withTimeout, type DurinRedisOptions } from './options.js';
import { SLIDING_LOG_SCRIPT, SLIDING_LOG_SHA } from './slidingLogScript.js';

/**
 * `redisThrottleStore`: the throttle-store contract on Redis, shared by every process. One hit is
 * one EVALSHA (EVAL only the first time a server lacks the script). When Redis fails or does not
 * answer within `commandTimeoutMs`, the store counts in this process's memory instead (a request
 * never fails, nor waits longer than one timeout, because of Redis) and reports `degraded`; it
 * asks Redis (PTTL of the key that failed, so that on a Cluster the node that failed answers)
 * until it answers, then reports `recovered` and counts in Redis again.
 */

export interface DurinRedisThrottleStore extends DurinThrottleStore {
  hit(key: string, window: DurinThrottleWindow, at: number): Promise<DurinThrottleDecision>;
  connect(reporter: DurinHealthReporter): void;
  close(): void;
  /** False while the store counts in memory because Redis failed. */
  readonly healthy: boolean;
}

/** How often a degraded store asks Redis whether it is back. */
const PROBE_EVERY_MS = 250;
/** ioredis states in which a command is sent, or sent once the first connection is made. */
const SENDING = new Set(['ready', 'connect', 'connecting', 'wait']);
const ALLOWED: DurinThrottleDecision = Object.freeze({ allowed: true });

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/** `redis` is the app's client (a `Redis` or a `Cluster`); the store never closes it. @see README "Running several processes" */
export function redisThrottleStore(redis: Redis | Cluster, options?: DurinRedisOptions): DurinRedisThrottleStore {
  const { prefix, commandTimeoutMs } = resolveRedisOptions('redisThrottleStore', options);
  const fallback = memoryThrottleStore();
  const reporters = new Set<DurinHealthReporter>();
  let healthy = true;
  let probing: NodeJS.Timeout | null = null;
  let probeInFlight = false;
  /** The key whose hit failed: the probe asks the node that holds it (on a Cluster, the one that failed). */
  let probeKey = prefix;
  let closed = false;

  const run = async (key: string, window: DurinThrottleWindow, at: number): Promise<number> => {
    const args = [1, prefix + key, window.count, window.seconds * 1000, at] as const;
    try {
      return Number(await redis.evalsha(SLIDING_LOG_SHA, ...args));
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return Number(await redis.eval(SLIDING_LOG_SCRIPT, ...args));
    }
  };

  const stopProbing = () => {
    if (probing) clearInterval(probing);
    probing = null;
  };

  const probe = () => {
    if (healthy || probeInFlight || !SENDING.has(redis.status)) return;
    probeInFlight = true;
    withTimeout(redis.pttl(probeKey), commandTimeoutMs)
      .then(() => {
        if (healthy || !probing) return;
        healthy = true;
        stopProbing();
        for (const reporter of reporters) reporter.recovered('throttleStore');
      })
      .catch(() => {}) // still down: the next probe asks again
      .finally(() => {
        probeInFlight = false;
      });
  };

  const fail = (error: unknown, key: string) => {
    if (!healthy) return;
    probeKey = key;
    healthy = false;
    for (const reporter of reporters) reporter.degraded('throttleStore', error);
    if (closed) return;
    probing = setInterval(probe, PROBE_EVERY_MS);
    probing.unref();
  };

  return {
    get healthy() {
      return healthy;
    },
    async hit(key, window, at) {
      if (healthy) {
        try {
          if (!SENDING.has(redis.status)) throw new Error(DURIN_INTERNAL_MESSAGES.redisNotSending(redis.status));
          const wait = await withTimeout(run(key, window, at), commandTimeoutMs);
          return wait > 0 ? { allowed: false, waitSeconds: wait } : ALLOWED;
        } catch (error) {
          fail(error, prefix + key);
        }
      }
      return fallback.hit(key, window, at);
    },
    connect(reporter) {
      reporters.add(reporter);
    },
    close() {
      closed = true;
      stopProbing();
      reporters.clear();
    },
  };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinRedisThrottleStore`. */
export type RedisThrottleStore = DurinRedisThrottleStore;
