import { createHash } from 'node:crypto';

/**
 * The memory store's sliding log (src/throttle/store.ts) as one Lua script, so a hit decides and
 * records atomically in one round trip. The log is a list of request times, oldest
 * first; the same steps in the same order give the same decisions for the same (key, window, at):
 * drop the expired times from the front, refuse when `count` remain (the wait runs until the one at
 * `length - count` leaves the window), else append `at`. The key expires with its window, so Redis
 * holds only live keys.
 *
 * KEYS[1] the log; ARGV: count, window (ms), at (ms, as the caller's clock has it).
 * Returns 0 when allowed, else the whole seconds to wait (≥ 1).
 */
export const SLIDING_LOG_SCRIPT = `
local key = KEYS[1]
local count = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local at = tonumber(ARGV[3])
local limit = at - windowMs
while true do
  local oldest = redis.call('LINDEX', key, 0)
  if not oldest or tonumber(oldest) > limit then break end
  redis.call('LPOP', key)
end
local length = redis.call('LLEN', key)
if length >= count then
  local freedAt = tonumber(redis.call('LINDEX', key, length - count)) + windowMs
  local newest = tonumber(redis.call('LINDEX', key, -1))
  local ttl = newest + windowMs - at
  if ttl < 1 then ttl = windowMs end
  redis.call('PEXPIRE', key, math.ceil(ttl))
  return math.max(1, math.ceil((freedAt - at) / 1000))
end
redis.call('RPUSH', key, ARGV[3])
redis.call('PEXPIRE', key, windowMs)
return 0
`;

/** The script's SHA-1, as EVALSHA names it. */
export const SLIDING_LOG_SHA = createHash('sha1').update(SLIDING_LOG_SCRIPT).digest('hex');
