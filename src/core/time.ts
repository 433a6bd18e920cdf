/**
 * The only code that reads the clock ("compare times in one place (JS `Date.now()`),
 * never mixing JS and SQL clocks"). Everything that decides "expired or not" goes through here,
 * so tests can move time with `vi.setSystemTime()`.
 */

/** Milliseconds since the epoch, from the JS clock. */
export function now(): number {
  return Date.now();
}

/** `from + seconds`, as a `Date` with millisecond precision (the columns are DATETIME(3)). */
export function addSeconds(from: number, seconds: number): Date {
  return new Date(from + seconds * 1000);
}

/** durin's `has_expired`: strictly `now > expiry`, so a token is still valid at its expiry instant. */
export function isExpired(expiry: Date, at: number = now()): boolean {
  return at > expiry.getTime();
}

/**
 * Milliseconds on a monotonic clock, for timeouts (the `lookupTimeout` watch): a wall-clock jump,
 * or a test moving `Date`, neither fires nor holds back a timeout.
 */
export function monotonicNow(): number {
  return performance.now();
}
