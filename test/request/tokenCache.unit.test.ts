import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Authenticator, Verification, Verified } from '../../src/request/authentication.js';
import { createTokenCache } from '../../src/request/cache.js';
import { createTokenLiveness } from '../../src/core/liveness.js';
import { resolveSettings } from '../../src/config/settings.js';

/**
 * CachedTokenAuthentication's memoizee wrapper on a scripted authenticator: what is
 * cached, what is not, eviction and in-flight revocations. The database-backed behaviour (SQL
 * counts, every revocation path) is in test/cache.test.ts.
 */
interface Row {
  expiry: number;
}

function scriptedAuthenticator() {
  const rows = new Map<string, Row>();
  const calls: string[] = [];
  let gate: Promise<void> | null = null;
  let failure: Error | null = null;
  const authenticator: Authenticator<{ name: string }> = {
    async verifyDigest(tokenHash): Promise<Verification<{ name: string }>> {
      calls.push(tokenHash);
      // The query reads the row now; its answer arrives after a round trip (and after `gate`).
      const row = rows.get(tokenHash);
      const failed = failure;
      const held = gate;
      await new Promise((resolve) => setImmediate(resolve));
      if (held) await held;
      if (failed) throw failed;
      if (!row) return { ok: false, error: 'TOKEN_INVALID' };
      if (Date.now() > row.expiry) {
        rows.delete(tokenHash);
        return { ok: false, error: 'TOKEN_EXPIRED' };
      }
      const auth = { tokenHash, expiry: new Date(row.expiry) };
      return { ok: true, value: { user: { name: tokenHash }, auth } as unknown as Verified<{ name: string }> };
    },
    isStillValid(verified) {
      return Date.now() <= verified.auth.expiry.getTime();
    },
  };
  return {
    authenticator,
    rows,
    calls,
    /** Holds every lookup until the returned function is called. */
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
    failWith(error: Error | null) {
      failure = error;
    },
  };
}

const settings = (overrides: Parameters<typeof resolveSettings>[0] = {}) => resolveSettings(overrides);
const HOUR = 3600_000;

afterEach(() => {
  vi.useRealTimers();
});

const fail = (error: unknown) => {
  throw error;
};

describe('createTokenCache', () => {
  test('a success is looked up once, then served from memory', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const first = await cache.verify('a');
    const second = await cache.verify('a');
    expect(first.ok && second.ok).toBe(true);
    expect(s.calls).toEqual(['a']);
  });

  test('concurrent lookups of one digest share one query', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.verify('a')));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.calls).toEqual(['a']);
  });

  test('failures are never cached: each one is looked up again', async () => {
    const s = scriptedAuthenticator();
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    expect(await cache.verify('nope')).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    expect(await cache.verify('nope')).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    expect(s.calls).toEqual(['nope', 'nope']);
    // ...so a token that appears later (issued after a failed attempt) works at once.
    s.rows.set('nope', { expiry: Date.now() + HOUR });
    expect((await cache.verify('nope')).ok).toBe(true);
  });

  test('a backend failure is thrown, not cached, and not a token failure', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const outage = new Error('connection lost');
    s.failWith(outage);
    await expect(cache.verify('a')).rejects.toBe(outage);
    s.failWith(null);
    expect((await cache.verify('a')).ok).toBe(true);
    expect(s.calls).toEqual(['a', 'a']);
  });

  test('a hit past the cached expiry is looked up again (durin served it from cache)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + 1000 });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    expect((await cache.verify('a')).ok).toBe(true);
    vi.setSystemTime(Date.now() + 1001);
    expect(await cache.verify('a')).toEqual({ ok: false, error: 'TOKEN_EXPIRED' });
    expect(s.calls).toEqual(['a', 'a']);
  });

  test('a hit past the cached expiry of a token renewed elsewhere succeeds and caches the new expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + 1000 });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    await cache.verify('a');
    s.rows.set('a', { expiry: Date.now() + HOUR }); // another process refreshed it
    vi.setSystemTime(Date.now() + 2000);
    expect((await cache.verify('a')).ok).toBe(true);
    expect((await cache.verify('a')).ok).toBe(true);
    expect((await cache.verify('a')).ok).toBe(true);
    expect(s.calls).toEqual(['a', 'a', 'a']); // the stale hit, then one miss that caches the new expiry
  });

  test('invalidate and clear forget cached successes', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    s.rows.set('b', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    await cache.verify('a');
    await cache.verify('b');
    cache.invalidate('a');
    await cache.verify('a');
    await cache.verify('b');
    expect(s.calls).toEqual(['a', 'b', 'a']);
    cache.clear();
    await cache.verify('a');
    await cache.verify('b');
    expect(s.calls).toEqual(['a', 'b', 'a', 'a', 'b']);
  });

  test('a lookup in flight when its token is revoked does not put it back in the cache', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const release = s.hold();
    const inFlight = cache.verify('a'); // has read the row; its answer is held
    s.rows.delete('a');
    cache.invalidate('a');
    release();
    expect((await inFlight).ok).toBe(true); // raced the revocation: it read the row before
    expect(await cache.verify('a')).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    expect(await cache.verify('a')).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    expect(s.calls).toEqual(['a', 'a', 'a']);
  });

  test('a stale answer landing after a fresh lookup of the revoked token serves neither from cache', async () => {
    // memoizee lets the older answer take the newer lookup's slot; whatever lands, the next call
    // after both must look the token up again and refuse it.
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const release = s.hold();
    const stale = cache.verify('a'); // reads the row before the revocation
    s.rows.delete('a');
    cache.invalidate('a');
    const fresh = cache.verify('a'); // reads after it
    release();
    expect((await stale).ok).toBe(true);
    expect(await fresh).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.verify('a')).toEqual({ ok: false, error: 'TOKEN_INVALID' });
    expect(s.calls).toEqual(['a', 'a', 'a']);
  });

  test('a refresh racing a lookup leaves the new expiry cached, not the old one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const at = vi.getMockedSystemTime()?.getTime() ?? Date.now();
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: at + 1000 });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const release = s.hold();
    const old = cache.verify('a'); // reads the old expiry
    s.rows.set('a', { expiry: at + HOUR }); // refreshed
    cache.invalidate('a');
    const renewed = cache.verify('a'); // reads the new one
    release();
    await old;
    await renewed;
    await new Promise((resolve) => setImmediate(resolve));
    vi.setSystemTime(at + 2000); // past the old expiry
    s.calls.length = 0;
    expect((await cache.verify('a')).ok).toBe(true);
    expect((await cache.verify('a')).ok).toBe(true);
    expect(s.calls.length).toBeLessThanOrEqual(1); // at most one lookup to get the new expiry in
  });

  test('a lookup in flight across a revocation does not leave a later failure cached', async () => {
    const s = scriptedAuthenticator();
    s.rows.set('a', { expiry: Date.now() + HOUR });
    const cache = createTokenCache({ authenticator: s.authenticator, settings: settings(), liveness: createTokenLiveness(fail) });
    const release = s.hold();
    const first = cache.verify('a');
    cache.invalidate('a');
    // A second lookup starts after the eviction and fails with an outage.
    s.failWith(new Error('connection lost'));
    const second = cache.verify('a');
    s.failWith(null);
    release();
    await first;
    await expect(second).rejects.toThrow('connection lost');
    expect((await cache.verify('a')).ok).toBe(true);
  });

  test('holds at most tokenCacheMax successes, least recently used out first', async () => {
    const s = scriptedAuthenticator();
    for (const name of ['a', 'b', 'c', 'd']) s.rows.set(name, { expiry: Date.now() + HOUR });
    const cache = createTokenCache({
      authenticator: s.authenticator,
      settings: settings({ tokenCacheMax: 3 }),
      liveness: createTokenLiveness(fail),
    });
    for (const name of ['a', 'b', 'c', 'd']) await cache.verify(name);
    await new Promise((resolve) => setImmediate(resolve)); // memoizee's LRU catches up on the next tick
    s.calls.length = 0;
    for (const name of ['b', 'c', 'd']) await cache.verify(name);
    expect(s.calls).toEqual([]);
    await cache.verify('a');
    expect(s.calls).toEqual(['a']);
  });

  test('failed lookups take no place in the LRU: a full cache keeps its entries through a spray', async () => {
    const s = scriptedAuthenticator();
    for (const name of ['a', 'b', 'c']) s.rows.set(name, { expiry: Date.now() + HOUR });
    const cache = createTokenCache({
      authenticator: s.authenticator,
      settings: settings({ tokenCacheMax: 3 }),
      liveness: createTokenLiveness(fail),
    });
    for (const name of ['a', 'b', 'c']) await cache.verify(name);
    for (let i = 0; i < 2000; i++) await cache.verify(`random-${i}`);
    s.calls.length = 0;
    for (const name of ['a', 'b', 'c']) expect((await cache.verify(name)).ok).toBe(true);
    expect(s.calls).toEqual([]);
  });

  test('a successful entry leaves after tokenCacheTimeout', async () => {
    // memoizee's maxAge is a setTimeout: fake timers move it without waiting a real second.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const s = scriptedAuthenticator();
      s.rows.set('a', { expiry: Date.now() + HOUR });
      const cache = createTokenCache({
        authenticator: s.authenticator,
        settings: settings({ tokenCacheTimeout: 1 }),
        liveness: createTokenLiveness(fail),
      });
      await cache.verify('a');
      await new Promise((resolve) => setImmediate(resolve)); // memoizee starts the maxAge timer once the promise has settled
      vi.advanceTimersByTime(999);
      await cache.verify('a');
      expect(s.calls).toEqual(['a']);
      vi.advanceTimersByTime(2);
      await cache.verify('a');
      expect(s.calls).toEqual(['a', 'a']);
    } finally {
      vi.useRealTimers();
    }
  });
});
