import memoize from 'memoizee';
import type { Authenticator, Verification, Verified } from './authentication.js';
import type { DurinErrorId } from '../errors.js';
import type { TokenLiveness } from '../core/liveness.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import type { DurinCacheUse } from '../core/telemetry.js';

/**
 * CachedTokenAuthentication: `memoizee` around the digest check, keyed by the digest.
 * Better than durin on purpose: failures are never cached (`promise: true` drops rejections, so a
 * flood of random tokens cannot fill memory), a hit re-checks expiry in memory, and revocations in
 * this process evict at once through `invalidate`.
 */

/** What a multi-process deployment calls from its own broadcast of `tokenRevoked`. */
export interface DurinCache {
  /** Forgets the cached lookup of one token digest, in this process. */
  invalidate(tokenHash: string): void;
  /** Forgets every cached lookup, in this process. */
  clear(): void;
}

export interface TokenCache<TUser> extends DurinCache {
  /** The digest check through the cache. */
  verify(tokenHash: string): Promise<Verification<TUser>>;
  /** Where `verify(tokenHash)` would be answered right now: the cache (`hit`), the database (`miss`), or the database past the cache (`bypass`). */
  use(tokenHash: string): DurinCacheUse;
  /** How many verified tokens the cache holds (0 unless created with `countEntries`). */
  entries(): number;
  /** True when a lookup of this digest is cached (or in flight) and the cache is trusted now. No I/O. */
  has(tokenHash: string): boolean;
}

/** Carries a token failure through memoizee as a rejection, so it is not kept. */
class Rejection extends Error {
  constructor(readonly error: DurinErrorId) {
    super(error);
  }
}

export interface TokenCacheDeps<TUser> {
  readonly authenticator: Authenticator<TUser>;
  readonly settings: Pick<ResolvedDurinSettings, 'tokenCacheTimeout' | 'tokenCacheMax'>;
  /** Revocations and renewals, local and remote, evict here. */
  readonly liveness: TokenLiveness;
  /** True while the cache must not be trusted (the cross-process bus is not known healthy): every lookup goes to the database. */
  readonly bypass?: () => boolean;
  /** Keep the digests cached, so `entries()` can count them (for a gauge); off unless telemetry asks. */
  readonly countEntries?: boolean;
}

export function createTokenCache<TUser>(deps: TokenCacheDeps<TUser>): TokenCache<TUser> {
  const { authenticator, settings, liveness, bypass } = deps;
  // memoizee does not say how many entries it holds: the digests it was given, pruned at each count
  // (maxAge and max drop entries without telling), bounded by the scrapes in between.
  const cached = deps.countEntries ? new Set<string>() : null;
  // One Rejection per error id, made on first use: a flood of random tokens then allocates no Error
  // and captures no stack trace per miss. They carry nothing but the id and are never mutated.
  const rejections = new Map<DurinErrorId, Rejection>();
  const rejection = (error: DurinErrorId) => {
    let found = rejections.get(error);
    if (!found) rejections.set(error, (found = new Rejection(error)));
    return found;
  };
  const memoized = memoize(
    async (tokenHash: string): Promise<Verified<TUser>> => {
      const result = await authenticator.verifyDigest(tokenHash);
      if (!result.ok) throw rejection(result.error);
      cached?.add(tokenHash);
      return result.value;
    },
    {
      promise: true,
      primitive: true,
      length: 1,
      // settings.ts caps the timeout at 24 days: memoizee's timers are setTimeouts.
      maxAge: settings.tokenCacheTimeout * 1000,
      max: settings.tokenCacheMax,
    },
  );
  // memoizee's own membership test (not in its typings): true for a settled or an in-flight entry.
  const has = (tokenHash: string) => (memoized as unknown as { _has(key: string): boolean })._has(tokenHash);
  // A lookup in flight when its token is revoked does not put the revoked state back: memoizee's
  // promise mode drops a result whose entry was deleted before it resolved.
  liveness.subscribe(function evictChangedTokens(message) {
    if (message.type === 'revoked') for (const tokenHash of message.tokenHashes) memoized.delete(tokenHash);
    else if (message.type === 'renewed') memoized.delete(message.tokenHash);
  });
  return {
    async verify(tokenHash) {
      if (bypass?.()) return authenticator.verifyDigest(tokenHash);
      let value: Verified<TUser>;
      try {
        value = await memoized(tokenHash);
      } catch (error) {
        // memoizee drops a rejected promise only on the next tick: until then a caller that goes on
        // without I/O (a retry, a loop) would get the same failure back. Drop it now.
        memoized.delete(tokenHash);
        if (error instanceof Rejection) return { ok: false, error: error.error };
        throw error; // a database failure: never cached, so an outage logs no one out
      }
      if (!authenticator.isStillValid(value)) {
        // durin serves expired tokens from cache; this re-checks, and the uncached path deletes the
        // row and fires tokenExpired.
        memoized.delete(tokenHash);
        return authenticator.verifyDigest(tokenHash);
      }
      return { ok: true, value };
    },
    use(tokenHash) {
      if (bypass?.()) return 'bypass';
      return has(tokenHash) ? 'hit' : 'miss';
    },
    entries() {
      if (!cached) return 0;
      for (const tokenHash of cached) if (!has(tokenHash)) cached.delete(tokenHash);
      return cached.size;
    },
    has(tokenHash) {
      // memoizee's own check; failures never stay, so what is there is valid or being looked up.
      return !bypass?.() && has(tokenHash);
    },
    invalidate(tokenHash) {
      memoized.delete(tokenHash);
    },
    clear() {
      memoized.clear();
      cached?.clear();
    },
  };
}
