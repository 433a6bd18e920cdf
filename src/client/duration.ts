/**
 * Durations as the server's settings write them (seconds, or "45s" / "30m" / "12h" / "14d"), for
 * the client's own options. The client has its own copy: it imports nothing from the server side.
 */

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds, or throws naming the option. */
export function clientDuration(option: string, value: number | string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^(\d+)\s*([smhd])$/.exec(value.trim()) : null;
  if (!match)
    throw new TypeError(
      `trpc-durin/client: invalid option "${option}": expected seconds or "45s", "30m", "12h", "14d" (got ${JSON.stringify(value)})`,
    );
  return Number(match[1]) * UNITS[match[2]!]!;
}
