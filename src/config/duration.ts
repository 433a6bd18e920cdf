/**
 * Durations, as the settings write them: a whole number of seconds, or "45s" / "30m" / "12h" / "14d".
 * The one parser for settings, `clients.create` and the CLI's `--token-ttl`.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION_PATTERN = /^(\d{1,12})([smhd])$/;

/** The largest duration accepted: 1000 years, far beyond any TTL, far below DATETIME's range. */
export const MAX_DURATION_SECONDS = 1000 * 365 * 86_400;

/** Describes the accepted forms, for error messages. */
export const DURATION_FORMS = 'a positive number of seconds or a string such as "45s", "30m", "12h" or "14d"';

/** Parses a duration into whole seconds; returns `null` when the input is not a positive duration. */
export function parseDuration(input: unknown): number | null {
  let seconds: number;
  if (typeof input === 'number') {
    seconds = input;
  } else if (typeof input === 'string') {
    const match = DURATION_PATTERN.exec(input.trim());
    if (!match) return null;
    seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  } else {
    return null;
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_DURATION_SECONDS) return null;
  return seconds;
}

/** Renders seconds in the largest unit that divides them exactly: 86400 → "1d", 90 → "90s". */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  }
  return `${seconds}s`;
}

const MAX_TIMEOUT_MS = 10 * 60_000;
const MILLISECONDS = /^(\d{1,9})ms$/;

/** `lookupTimeout` in milliseconds: a duration (seconds, "5s", "1m") or "500ms"; `null` when invalid. */
export function parseLookupTimeout(input: unknown): number | null {
  const ms = typeof input === 'string' && MILLISECONDS.test(input.trim()) ? Number(MILLISECONDS.exec(input.trim())![1]) : null;
  const value = ms ?? (parseDuration(input) ?? 0) * 1000;
  return value >= 1 && value <= MAX_TIMEOUT_MS ? value : null;
}
