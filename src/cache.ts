import memoize from 'memoizee';
import type { Authenticator, Verification, Verified } from './authentication.js';
import type { DurinErrorId } from './errors.js';
import type { ResolvedDurinSettings } from './settings.js';

/**
 * CachedTokenAuthentication, DESIGN §6: `memoizee` around the digest check, keyed by the digest.
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
}

/** Carries a token failure through memoizee as a rejection, so it is not kept. */
class Rejection extends Error {
  constructor(readonly error: DurinErrorId) {
    super(error);
  }
}

export function createTokenCache<TUser>(
  authenticator: Authenticator<TUser>,
  settings: Pick<ResolvedDurinSettings, 'tokenCacheTimeout' | 'tokenCacheMax'>,
): TokenCache<TUser> {
  const memoized = memoize(
    async (tokenHash: string): Promise<Verified<TUser>> => {
      const result = await authenticator.verifyDigest(tokenHash);
      if (!result.ok) throw new Rejection(result.error);
      return result.value;
    },
    {
      promise: true,
      primitive: true,
      length: 1,
      maxAge: settings.tokenCacheTimeout * 1000,
      max: settings.tokenCacheMax,
    },
  );
  // Bumped by every eviction: a lookup that was in flight when its token was revoked must not
  // put the revoked state back into the cache when it lands.
  let generation = 0;

  return {
    async verify(tokenHash) {
      const startedAt = generation;
      let value: Verified<TUser>;
      try {
        value = await memoized(tokenHash);
      } catch (error) {
        if (error instanceof Rejection) return { ok: false, error: error.error };
        throw error; // a database failure: memoizee has already dropped it
      }
      if (startedAt !== generation) memoized.delete(tokenHash);
      if (!authenticator.isStillValid(value)) {
        // durin serves expired tokens from cache; §6 re-checks, and the uncached path deletes the
        // row and fires tokenExpired.
        memoized.delete(tokenHash);
        return authenticator.verifyDigest(tokenHash);
      }
      return { ok: true, value };
    },
    invalidate(tokenHash) {
      generation++;
      memoized.delete(tokenHash);
    },
    clear() {
      generation++;
      memoized.clear();
    },
  };
}
