/**
 * How far a renewal may move a token's expiry: now + the client's TTL, but never past
 * `created + maxTokenLifetime` when that setting is on. `refresh` (tokens.renew) and `renewOnUse`
 * (usage.ts) both ask here, so the cap has one definition.
 */

/** The expiry a renewal at `at` (ms) gives a token of `created` on a client of `ttlSeconds`. */
export function renewalExpiry(at: number, ttlSeconds: number, cap: { created: Date; maxTokenLifetime: number | null }): Date {
  const { created, maxTokenLifetime } = cap;
  const renewed = at + ttlSeconds * 1000;
  if (maxTokenLifetime === null) return new Date(renewed);
  return new Date(Math.min(renewed, created.getTime() + maxTokenLifetime * 1000));
}
