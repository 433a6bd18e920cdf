import { DURIN_INTERNAL_MESSAGES } from '../errors.js';
import { DURIN_CONFIG_PROBLEMS as PROBLEM, invalidConfig } from '../config/messages.js';

/** What `redisThrottleStore` and `redisCacheBus` both take. */
export interface DurinRedisOptions {
  /** Put before every key and the bus channel, so several apps can share one Redis. @default "durin:" */
  prefix?: string | undefined;
  /** How long a Redis command may take before durin falls back (memory store, cache bypass). @default 250 */
  commandTimeoutMs?: number | undefined;
}

export interface ResolvedDurinRedisOptions {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
}

const PREFIX = /^[\w:.{}-]{0,64}$/;

/** Applies the defaults; a bad option fails here, naming it. */
export function resolveRedisOptions(caller: string, options: DurinRedisOptions = {}): ResolvedDurinRedisOptions {
  const fail = (name: string, problem: string) => {
    throw invalidConfig(`${caller} option`, name, problem);
  };
  if (!options || typeof options !== 'object') fail('options', PROBLEM.got(PROBLEM.notAnObject, JSON.stringify(options)));
  const prefix = options.prefix ?? 'durin:';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) fail('prefix', PROBLEM.redisPrefix(JSON.stringify(prefix)));
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs > 60_000) {
    fail('commandTimeoutMs', PROBLEM.integerRange(1, 60_000, JSON.stringify(commandTimeoutMs)));
  }
  return { prefix, commandTimeoutMs };
}

/** Why a command was abandoned: it did not answer within `commandTimeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(DURIN_INTERNAL_MESSAGES.redisTimedOut(timeoutMs));
    this.name = 'RedisTimeoutError';
  }
}

/** `promise`, or a RedisTimeoutError after `ms`; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
