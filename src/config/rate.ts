/**
 * Throttle rates, as a client's `throttleRate` is written: `<n>/<s|sec|second|m|min|minute|h|hour|d|day>`.
 * durin's model validator accepted only `s|m|h|d` while DRF's runtime parser accepted any word
 * starting with them; here one parser serves both, with one grammar.
 */

export interface DurinThrottleRate {
  /** Requests allowed in one window. */
  readonly count: number;
  /** The window, in seconds. */
  readonly seconds: number;
  /** The rate as it was written, e.g. "100/h". */
  readonly text: string;
}

const PERIOD_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86_400,
  day: 86_400,
};
const RATE_PATTERN = /^(\d{1,9})\/([a-z]+)$/;

/** Describes the accepted form, for error messages. */
export const RATE_FORM = '"<n>/<period>" with a period of s, sec, second, m, min, minute, h, hour, d or day (e.g. "100/h")';

/** Parses a rate; returns `null` when the input does not follow the grammar or allows zero requests. */
export function parseRate(input: unknown): DurinThrottleRate | null {
  if (typeof input !== 'string') return null;
  const text = input.trim();
  const match = RATE_PATTERN.exec(text);
  if (!match) return null;
  const count = Number(match[1]);
  const seconds = PERIOD_SECONDS[match[2]!];
  if (seconds === undefined || count < 1) return null;
  return { count, seconds, text };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinThrottleRate`. */
export type ThrottleRate = DurinThrottleRate;
