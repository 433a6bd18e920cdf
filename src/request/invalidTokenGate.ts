import type { ThrottleRate } from '../config/rate.js';

/**
 * The guessed-token throttle (`invalidTokenThrottleRate`): per client IP, requests whose token
 * turned out invalid (no such row, or refused for its shape) are counted in a sliding log, as DRF
 * counts; once `count` have failed within the window, the next request from that IP whose token
 * is not cached as valid is answered 429 before its token is looked up, so a flood of guesses
 * cannot load the database. The log lives in this process (a check before the lookup must not wait
 * on a network round trip); each process therefore allows `count` per window on its own.
 */
export interface InvalidTokenGate {
  /** Seconds until `ip` may present an unknown token again, or 0 when it may now. No I/O. */
  wait(ip: string, at: number): number;
  /** Counts one invalid token from `ip`. */
  record(ip: string, at: number): void;
}

/** Most IPs remembered: past it the least recently failing go first (a flood of spoofed addresses stays bounded). */
const MAX_IPS = 100_000;

export function createInvalidTokenGate(rate: ThrottleRate, maxIps = MAX_IPS): InvalidTokenGate {
  const windowMs = rate.seconds * 1000;
  // Insertion order = least recently failing first: a failure moves its IP to the end.
  const logs = new Map<string, number[]>();

  const live = (ip: string, at: number): number[] | undefined => {
    const stamps = logs.get(ip);
    if (!stamps) return undefined;
    let expired = 0;
    while (expired < stamps.length && stamps[expired]! <= at - windowMs) expired++;
    if (expired > 0) stamps.splice(0, expired);
    if (stamps.length === 0) {
      logs.delete(ip);
      return undefined;
    }
    return stamps;
  };

  return {
    wait(ip, at) {
      const stamps = live(ip, at);
      if (!stamps || stamps.length < rate.count) return 0;
      // Free again once all but count - 1 failures have left the window (DRF's wait, without its
      // division by zero when the log holds more than the rate).
      const freedAt = stamps[stamps.length - rate.count]! + windowMs;
      return Math.max(1, Math.ceil((freedAt - at) / 1000));
    },
    record(ip, at) {
      const stamps = live(ip, at) ?? [];
      logs.delete(ip);
      if (logs.size >= maxIps) logs.delete(logs.keys().next().value!);
      stamps.push(at);
      // Nothing older than the newest `count` ever decides a wait: keep the log that short.
      if (stamps.length > rate.count) stamps.splice(0, stamps.length - rate.count);
      logs.set(ip, stamps);
    },
  };
}
