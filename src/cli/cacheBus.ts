import type { Redis as RedisClient } from 'ioredis';
import type { DurinCacheBus } from '../core/bus.js';
import { CLI_ERRORS, fail } from './messages.js';

/**
 * The CLI's own bus, for `delete-client` and `remove-expired-tokens` without `--app`: with
 * REDIS_URL set, the revocation is published on the channel the app's `redisCacheBus` listens
 * on (default prefix "durin:", or REDIS_PREFIX), so running servers drop the tokens at once
 * instead of serving them from their cache. ioredis and trpc-durin/redis are imported only here,
 * and only then, so an app without Redis never needs ioredis.
 */

export interface CliCacheBus {
  readonly bus: DurinCacheBus;
  /** Ends the CLI's Redis client; call after `durin.close()`, which waits for the publish. */
  close(): void;
}

/** How long the CLI waits for Redis to take its publish before it gives up and exits. */
const PUBLISH_TIMEOUT_MS = 2000;

export async function openCliCacheBus(env: Readonly<Record<string, string | undefined>>): Promise<CliCacheBus | null> {
  const url = env.REDIS_URL?.trim();
  if (!url) return null;
  let Redis: typeof RedisClient;
  try {
    ({ Redis } = await import('ioredis'));
  } catch {
    return fail(CLI_ERRORS.redisNeedsIoredis());
  }
  const { redisCacheBus } = await import('../redis/index.js');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: PUBLISH_TIMEOUT_MS });
  redis.on('error', () => {}); // a Redis that does not answer delays nothing: the publish times out
  const prefix = env.REDIS_PREFIX;
  const bus = redisCacheBus(redis, { commandTimeoutMs: PUBLISH_TIMEOUT_MS, ...(prefix === undefined ? {} : { prefix }) });
  return { bus, close: () => redis.disconnect() };
}
