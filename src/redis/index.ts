/**
 * `trpc-durin/redis`: a throttle store and a cache bus shared by every process of an
 * app through Redis. The only module that uses ioredis, so an app without Redis never loads it.
 * @see README "Running several processes"
 */
export { redisThrottleStore, type DurinRedisThrottleStore, type RedisThrottleStore } from './throttleStore.js';
export {
  redisCacheBus,
  type DurinRedisCacheBus,
  type DurinRedisCacheBusOptions,
  type RedisCacheBus,
  type RedisCacheBusOptions,
} from './cacheBus.js';
export type { DurinRedisOptions } from './options.js';
