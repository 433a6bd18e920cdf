import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AUTH_TOKEN_TABLE, DURIN_ERRORS, hashToken, type DurinEventMap } from '../../src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestServer, useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * CachedTokenAuthentication: a hit costs no SQL, a miss one
 * statement; every revocation path evicts at once (durin never invalidated); a hit re-checks expiry
 * (durin served expired tokens from cache); failures are never cached; the cache stays bounded.
 */
const clock = useClock();
const INVALID = DURIN_ERRORS.TOKEN_INVALID.message;
const EXPIRED = DURIN_ERRORS.TOKEN_EXPIRED.message;
const API_CLIENT = 'cache-test-api-key';

/** Runs `fn` and reports the SQL statements it issued. */
async function sqlOf<T>(app: TestApp, fn: () => Promise<T>): Promise<{ value: T; statements: string[] }> {
  app.db.statements.length = 0;
  const value = await fn();
  return { value, statements: [...app.db.statements] };
}

describe('CachedTokenAuthentication over HTTP', () => {
  let app: TestApp;
  /** createCachedDurinContext. */
  let cached: TestServer;
  /** createDurinContext, side by side on the same durin (both may serve and share one cache). */
  let uncached: TestServer;

  // These tests count the lookup's statements; usage tracking (its off-path UPDATE) is test/usage.test.ts's.
  const env = useTestServer({ settings: { apiAccessClientName: API_CLIENT, lastUsedUpdateInterval: null }, cached: true });
  beforeAll(async () => {
    ({ app, server: cached } = env);
    await app.durin.clients.create({ name: API_CLIENT });
    // A second server on the same app: both contexts must share one durin and one cache.
    uncached = await startTestServer(app);
  });
  afterAll(() => uncached.close());

  /** A user with a token on a fresh client (logged in through the cached server) and one on a second client. */
  async function setup(tokenTtl: string | number = '1d') {
    const client = await app.durin.clients.create({ name: unique('web'), tokenTtl });
    const otherClient = await app.durin.clients.create({ name: unique('mobile') });
    const user = await app.createUser({ username: unique('john'), password: 'hunter2' });
    const creds = { username: user.username, password: 'hunter2', client: client.name };
    const { token } = await cached.client().auth.login.mutate(creds);
    const { token: other } = await cached.client().auth.login.mutate({ ...creds, client: otherClient.name });
    return { client, user, creds, token, other };
  }
  type Setup = Awaited<ReturnType<typeof setup>>;

  type Auth = Parameters<TestApp['durin']['tokens']['revoke']>[0];
  const findToken = async (token: string) =>
    (await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(token) } })) as Extract<Auth, { id: unknown }> | null;
  const me = (server: TestServer, token: string) => sqlOf(app, () => server.client(token).me.query());

  /** Looks the token up once (a miss) and checks that the next call is a hit. */
  async function warm(token: string) {
    expect((await me(cached, token)).statements).toHaveLength(1);
    expect((await me(cached, token)).statements).toHaveLength(0);
  }

  /** The next cached call is refused with "Invalid token.", through a new query (not the stale entry). */
  async function expectRefused(token: string) {
    const { value: error, statements } = await sqlOf(app, () => waitError(cached.client(token).me.query()));
    expect(error.message).toBe(INVALID);
    expect(error.data?.code).toBe('UNAUTHORIZED');
    expect(error.data?.durinCode).toBe('TOKEN_INVALID');
    expect(statements).toHaveLength(1);
  }

  function recordRevocations() {
    const seen: DurinEventMap['tokenRevoked'][0][] = [];
    const listener = (event: DurinEventMap['tokenRevoked'][0]) => seen.push(event);
    app.durin.events.on('tokenRevoked', listener);
    return {
      hashes: () => seen.flatMap((event) => event.tokenHashes),
      reasons: () => seen.map((event) => event.reason),
      stop: () => app.durin.events.off('tokenRevoked', listener),
    };
  }

  describe('SQL per request', () => {
    test('a miss issues exactly one statement, a hit none', async () => {
      const { token, user } = await setup();
      const miss = await me(cached, token);
      expect(miss.statements).toHaveLength(1);
      expect(miss.value.username).toBe(user.username);
      for (let i = 0; i < 5; i++) {
        const hit = await me(cached, token);
        expect(hit.statements).toHaveLength(0);
        expect(hit.value).toEqual(miss.value);
      }
    });

    test('the uncached context queries on every request, the cached one once', async () => {
      const { token } = await setup();
      for (let i = 0; i < 3; i++) expect((await me(uncached, token)).statements).toHaveLength(1);
      await warm(token);
    });

    test('an unknown token is refused and costs a query every time (failures are not cached)', async () => {
      const token = randomBytes(32).toString('hex');
      for (let i = 0; i < 3; i++) {
        const { value: error, statements } = await sqlOf(app, () => waitError(cached.client(token).me.query()));
        expect(error.message).toBe(INVALID);
        expect(statements).toHaveLength(1);
      }
    });

    test('a token issued after a failed attempt works at once (the failure was not cached)', async () => {
      const { user, client } = await setup();
      const { token } = await app.durin.tokens.issue(user, client.name);
      await app.durin.tokens.revoke((await findToken(token))!);
      await expectRefused(token);
      const fresh = await app.durin.tokens.issue(user, client.name);
      expect((await me(cached, fresh.token)).value.username).toBe(user.username);
    });
  });

  describe('every revocation path evicts: the very next cached call is refused', () => {
    interface RevocationCase {
      /** The token to revoke, once it is cached (defaults to the setup's token). */
      victim?: (s: Setup) => Promise<string>;
      revoke: (s: Setup, victim: string) => Promise<unknown>;
      reason: DurinEventMap['tokenRevoked'][0]['reason'];
    }
    const cases: Array<[string, RevocationCase]> = [
      ['logout', { revoke: (_, victim) => cached.client(victim).auth.logout.mutate(), reason: 'logout' }],
      [
        'logoutAll (from another session of the user)',
        { revoke: (s) => cached.client(s.other).auth.logoutAll.mutate(), reason: 'logoutAll' },
      ],
      [
        'sessions.revoke (from another session)',
        {
          revoke: async (s, victim) => {
            const { tokenId } = await cached.client(victim).me.query();
            await cached.client(s.other).auth.sessions.revoke.mutate({ id: tokenId });
          },
          reason: 'sessionRevoked',
        },
      ],
      [
        'apiAccess.revoke (the API key, revoked from a session)',
        {
          victim: async (s) => (await cached.client(s.other).auth.apiAccess.create.mutate()).token,
          revoke: (s) => cached.client(s.other).auth.apiAccess.revoke.mutate(),
          reason: 'apiAccessRevoked',
        },
      ],
      [
        'login rotation (the old token)',
        {
          revoke: async (s) => {
            const { token } = await cached.client().auth.login.mutate(s.creds);
            // The new token works; the old one is what must be refused.
            expect((await me(cached, token)).value.username).toBe(s.user.username);
          },
          reason: 'rotated',
        },
      ],
      ['tokens.issue rotation (the old token)', { revoke: (s) => app.durin.tokens.issue(s.user, s.client.name), reason: 'rotated' }],
      [
        'tokens.revoke',
        {
          revoke: async (_, victim) => {
            expect(await app.durin.tokens.revoke((await findToken(victim))!)).toBe(1);
          },
          reason: 'revoked',
        },
      ],
      ['tokens.revokeAll', { revoke: (s) => app.durin.tokens.revokeAll(s.user), reason: 'logoutAll' }],
      ["clients.delete (the token's client)", { revoke: (s) => app.durin.clients.delete(s.client.name), reason: 'clientDeleted' }],
    ];

    test.each(cases)('%s', async (_, { victim: pickVictim, revoke, reason }) => {
      const s = await setup();
      const victim = pickVictim ? await pickVictim(s) : s.token;
      await warm(victim);
      const revocations = recordRevocations();
      try {
        await revoke(s, victim);
      } finally {
        revocations.stop();
      }
      await expectRefused(victim);
      // What another process needs to evict its own copy: the digest, in tokenRevoked.
      expect(revocations.hashes()).toContain(hashToken(victim));
      expect(revocations.reasons()).toContain(reason);
    });

    test('tokens.removeExpired', async () => {
      // A cached expired token is refused by the hit's expiry check anyway; what removeExpired adds is
      // the deletion, the eviction and the event, so the refusal is "Invalid token." from a new query.
      clock.freeze();
      const s = await setup('60s');
      await warm(s.token);
      clock.travel(61_000);
      const revocations = recordRevocations();
      try {
        expect(await app.durin.tokens.removeExpired()).toBeGreaterThanOrEqual(1);
      } finally {
        revocations.stop();
      }
      await expectRefused(s.token);
      expect(revocations.hashes()).toContain(hashToken(s.token));
      expect(revocations.reasons()).toEqual(['removeExpired']);
    });

    test("revocation of one token leaves the user's other cached tokens cached", async () => {
      const s = await setup();
      await warm(s.token);
      await warm(s.other);
      await cached.client(s.token).auth.logout.mutate();
      await expectRefused(s.token);
      expect((await me(cached, s.other)).statements).toHaveLength(0);
    });
  });

  describe('createDurinContext and createCachedDurinContext side by side', () => {
    test('a logout through the uncached server is seen by the cached one', async () => {
      const s = await setup();
      await warm(s.token);
      await uncached.client(s.token).auth.logout.mutate();
      await expectRefused(s.token);
    });

    test('a logoutAll through the uncached server is seen by the cached one', async () => {
      const s = await setup();
      await warm(s.token);
      await warm(s.other);
      await uncached.client(s.other).auth.logoutAll.mutate();
      await expectRefused(s.token);
      await expectRefused(s.other);
    });

    test('a login rotation through the uncached server is seen by the cached one', async () => {
      const s = await setup();
      await warm(s.token);
      const { token } = await uncached.client().auth.login.mutate(s.creds);
      await expectRefused(s.token);
      expect((await me(cached, token)).value.username).toBe(s.user.username);
    });

    test('a logout through the cached server is seen by the uncached one', async () => {
      const s = await setup();
      await warm(s.token);
      await cached.client(s.token).auth.logout.mutate();
      const error = await waitError(uncached.client(s.token).me.query());
      expect(error.message).toBe(INVALID);
    });

    test('a refresh through the uncached server moves the cached expiry', async () => {
      const at = clock.freeze();
      const s = await setup('100s');
      await warm(s.token); // cached with expiry at + 100 s
      clock.travel(50_000);
      const { expiry } = await uncached.client(s.token).auth.refresh.mutate();
      expect(new Date(expiry).getTime()).toBe(at + 150_000);
      expect((await me(cached, s.token)).statements).toHaveLength(1); // evicted: a new lookup
      clock.travel(70_000); // at + 120 s: past the old expiry, before the new one
      const hit = await me(cached, s.token);
      expect(hit.value.username).toBe(s.user.username);
      expect(hit.statements).toHaveLength(0);
    });
  });

  describe('expiry', () => {
    test('refresh evicts, so the cached expiry is the new one', async () => {
      const at = clock.freeze();
      const s = await setup('100s');
      await warm(s.token);
      clock.travel(50_000);
      const { expiry } = await cached.client(s.token).auth.refresh.mutate();
      expect(new Date(expiry).getTime()).toBe(at + 150_000);
      expect((await me(cached, s.token)).statements).toHaveLength(1); // evicted: a new lookup
      clock.travel(70_000); // at + 120 s: past the old expiry, before the new one
      for (let i = 0; i < 2; i++) {
        const hit = await me(cached, s.token);
        expect(hit.value.username).toBe(s.user.username);
        expect(hit.statements).toHaveLength(0);
      }
      clock.travel(30_001); // past the new expiry
      const error = await waitError(cached.client(s.token).me.query());
      expect(error.message).toBe(EXPIRED);
    });

    test('an expired token is refused on a hit: the row is deleted and tokenExpired fires', async () => {
      const at = clock.freeze();
      const s = await setup('60s');
      await warm(s.token);
      clock.freeze(at + 60_000); // the expiry instant itself is still valid (now > expiry)
      expect((await me(cached, s.token)).statements).toHaveLength(0);
      clock.freeze(at + 60_001);
      const expired: DurinEventMap['tokenExpired'][0][] = [];
      const listener = (event: DurinEventMap['tokenExpired'][0]) => expired.push(event);
      app.durin.events.on('tokenExpired', listener);
      try {
        const { value: error } = await sqlOf(app, () => waitError(cached.client(s.token).me.query()));
        expect(error.message).toBe(EXPIRED);
        expect(error.data?.code).toBe('UNAUTHORIZED');
        expect(error.data?.durinCode).toBe('TOKEN_EXPIRED');
      } finally {
        app.durin.events.off('tokenExpired', listener);
      }
      expect(expired).toHaveLength(1);
      expect(Number(expired[0]!.userId)).toBe(s.user.id);
      expect(expired[0]!.clientName).toBe(s.client.name);
      expect(await app.durin.models.AuthToken.count({ where: { tokenHash: hashToken(s.token) } })).toBe(0);
      // The row is gone: from now on, "Invalid token."
      await expectRefused(s.token);
      // The user's other token is untouched.
      expect((await me(cached, s.other)).value.username).toBe(s.user.username);
    });

    test("durin's test_cached_api, translated: the expired token is refused (durin answered 200 from its cache)", async () => {
      // durin: token with delta_ttl=1s; GET /api/cached → 200; sleep(3); has_expired is True;
      // GET /api/cached → still 200, "token state was cached even though token has expired".
      // The cache re-checks expiry on a hit on purpose, so the second request is a 401 here.
      const s = await setup(1);
      clock.freeze();
      expect((await cached.client(s.token).me.query()).username).toBe(s.user.username);
      clock.travel(3000);
      const auth = await app.durin.models.AuthToken.findOne({ where: { tokenHash: hashToken(s.token) } });
      expect(auth!.expiry.getTime()).toBeLessThan(Date.now()); // instance.has_expired
      const error = await waitError(cached.client(s.token).me.query());
      expect(error.message).toBe(EXPIRED);
      expect(error.data?.httpStatus).toBe(401);
    });
  });

  describe('cache.invalidate and cache.clear', () => {
    test('cache.invalidate(hash) forces a new query for that token only', async () => {
      const a = await setup();
      const b = await setup();
      await warm(a.token);
      await warm(b.token);
      app.durin.cache.invalidate(hashToken(a.token));
      expect((await me(cached, a.token)).statements).toHaveLength(1);
      expect((await me(cached, a.token)).statements).toHaveLength(0);
      expect((await me(cached, b.token)).statements).toHaveLength(0);
    });

    test('cache.invalidate of an unknown digest is harmless', async () => {
      const a = await setup();
      await warm(a.token);
      app.durin.cache.invalidate(hashToken('not-a-token'));
      app.durin.cache.invalidate('');
      expect((await me(cached, a.token)).statements).toHaveLength(0);
    });

    test('cache.clear() forces a new query for every token', async () => {
      const a = await setup();
      const b = await setup();
      await warm(a.token);
      await warm(b.token);
      app.durin.cache.clear();
      expect((await me(cached, a.token)).statements).toHaveLength(1);
      expect((await me(cached, b.token)).statements).toHaveLength(1);
      expect((await me(cached, a.token)).statements).toHaveLength(0);
    });

    test("the multi-process pattern: another instance's tokenRevoked → cache.invalidate here", async () => {
      // Stands in for a broadcast: this durin's tokenRevoked is what another process would receive.
      // Here the local eviction already happened; invalidating again is idempotent and costs one query.
      const s = await setup();
      await warm(s.token);
      const received: string[] = [];
      const relay = (event: DurinEventMap['tokenRevoked'][0]) => {
        received.push(...event.tokenHashes);
        for (const hash of event.tokenHashes) app.durin.cache.invalidate(hash);
      };
      app.durin.events.on('tokenRevoked', relay);
      try {
        await uncached.client(s.token).auth.logout.mutate();
      } finally {
        app.durin.events.off('tokenRevoked', relay);
      }
      expect(received).toEqual([hashToken(s.token)]);
      await expectRefused(s.token);
    });
  });

  describe('database failures', () => {
    const queryInterface = () => app.db.sequelize.getQueryInterface();
    const AWAY = `${AUTH_TOKEN_TABLE}_away`;
    /** A real database error for the lookup: its table is gone until `restore()`. */
    async function breakLookups() {
      await queryInterface().renameTable(AUTH_TOKEN_TABLE, AWAY);
      return () => queryInterface().renameTable(AWAY, AUTH_TOKEN_TABLE);
    }

    test('a failure during a cached lookup is INTERNAL_SERVER_ERROR and is not cached', async () => {
      const s = await setup();
      const restore = await breakLookups();
      try {
        for (let i = 0; i < 2; i++) {
          const error = await waitError(cached.client(s.token).me.query());
          expect(error.data?.code).toBe('INTERNAL_SERVER_ERROR');
          expect(error.data?.durinCode).toBe('AUTH_BACKEND_FAILED');
          expect(error.message).toBe(DURIN_ERRORS.AUTH_BACKEND_FAILED.message);
        }
      } finally {
        await restore();
      }
      const after = await me(cached, s.token);
      expect(after.value.username).toBe(s.user.username);
      expect(after.statements).toHaveLength(1);
      expect((await me(cached, s.token)).statements).toHaveLength(0);
    });

    test('after a failure, the next in-process lookup of the same token succeeds', async () => {
      const s = await setup();
      const headers = { authorization: `Token ${s.token}` };
      const restore = await breakLookups();
      let failure;
      try {
        failure = (await app.durin.createCachedDurinContext({ headers })).durin.failure;
      } finally {
        await restore();
      }
      expect(failure?.error).toBe('AUTH_BACKEND_FAILED');
      const retry = await app.durin.createCachedDurinContext({ headers });
      expect(retry.durin.failure).toBeNull();
      expect(retry.user).not.toBeNull();
    });

    test('an outage logs no one out: a cached token keeps working without SQL', async () => {
      const s = await setup();
      await warm(s.token);
      const restore = await breakLookups();
      try {
        const hit = await me(cached, s.token);
        expect(hit.value.username).toBe(s.user.username);
        expect(hit.statements).toHaveLength(0);
      } finally {
        await restore();
      }
    });
  });
});

describe('a bounded cache (tokenCacheMax: 5)', () => {
  let app: TestApp;
  const lookup = (token: string) => app.durin.createCachedDurinContext({ headers: { authorization: `Token ${token}` } });

  beforeAll(async () => {
    // An hour-long cache, so that no entry times out during the spray (about a minute on SQLite).
    app = await createTestApp({ settings: { tokenCacheMax: 5, tokenCacheTimeout: '1h', lastUsedUpdateInterval: null } });
  });
  afterAll(() => app.close());

  /** `count` users, each with a token on a fresh client. */
  async function tokens(count: number) {
    const client = await app.durin.clients.create({ name: unique('web') });
    const issued: string[] = [];
    for (let i = 0; i < count; i++) {
      const user = await app.createUser({ username: unique('user') });
      issued.push((await app.durin.tokens.issue(user, client.name)).token);
    }
    return issued;
  }

  async function statementsOf(token: string) {
    const { value: ctx, statements } = await sqlOf(app, () => lookup(token));
    return { ok: ctx.durin.failure === null && ctx.user !== null, failure: ctx.durin.failure?.error ?? null, count: statements.length };
  }

  test('after 6 valid tokens, the first is evicted (a new query) while the last ones still hit', async () => {
    const issued = await tokens(6);
    for (const token of issued) expect(await statementsOf(token)).toEqual({ ok: true, failure: null, count: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // memoizee's LRU bookkeeping runs on the next tick
    for (const token of issued.slice(1)) expect(await statementsOf(token)).toEqual({ ok: true, failure: null, count: 0 });
    expect(await statementsOf(issued[0]!)).toEqual({ ok: true, failure: null, count: 1 });
  });

  // The cache holds 5 entries, so a random token that took a slot would evict a valid one within 5
  // misses: 2 000 (400 times the cache) proves none does, on both databases, in about a second.
  // Memory under a long flood (200 000 requests over HTTP) is measured by the bench's spray
  // (`npm run bench`, bench/RESULTS.md), not here: tests check behaviour, not resources over time.
  const SPRAY = 2_000;

  test(`${SPRAY} random tokens: each costs a query, none is cached, the cached valid tokens keep hitting`, async () => {
    const issued = await tokens(5); // fills the cache: any random entry kept in it would evict one
    for (const token of issued) await lookup(token);
    await new Promise((resolve) => setImmediate(resolve));
    for (const token of issued) expect((await statementsOf(token)).count).toBe(0);

    const BATCH = 100; // concurrent lookups, to keep the run short
    let failures = 0;
    let statements = 0;
    for (let done = 0; done < SPRAY; done += BATCH) {
      app.db.statements.length = 0;
      const contexts = await Promise.all(Array.from({ length: BATCH }, () => lookup(randomBytes(32).toString('hex'))));
      failures += contexts.filter((ctx) => ctx.durin.failure?.error === 'TOKEN_INVALID' && ctx.user === null).length;
      statements += app.db.statements.length;
    }
    expect(failures).toBe(SPRAY);
    expect(statements).toBe(SPRAY); // one query each: no negative caching
    await new Promise((resolve) => setImmediate(resolve));

    // Every valid token is still cached (zero SQL): the spray took no place in the LRU.
    for (const token of issued) expect(await statementsOf(token)).toEqual({ ok: true, failure: null, count: 0 });
    // And a random token looked up again still costs a query each time.
    const again = randomBytes(32).toString('hex');
    for (let i = 0; i < 3; i++) expect(await statementsOf(again)).toEqual({ ok: false, failure: 'TOKEN_INVALID', count: 1 });
  });
});
