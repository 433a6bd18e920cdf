import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDurin, DurinConfigError } from '../../src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestServer, useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** Abilities, many named API keys and the checksummed token format, over HTTP with a real tRPC client. */
const API_CLIENT = 'api';
const ABILITIES = ['posts:read', 'posts:write', 'billing'] as const;

async function sqlOf<T>(app: TestApp, fn: () => Promise<T>): Promise<{ value: T; statements: string[] }> {
  app.db.statements.length = 0;
  const value = await fn();
  return { value, statements: [...app.db.statements] };
}

describe('abilities and API keys', () => {
  let app: TestApp;
  let server: TestServer;
  let cached: TestServer;

  const env = useTestServer({
    abilities: ABILITIES,
    settings: { apiAccessClientName: API_CLIENT, apiKeysPerUser: 3, apiKeyMaxLifetime: '90d', lastUsedUpdateInterval: null },
  });
  beforeAll(async () => {
    ({ app, server } = env);
    await app.durin.clients.create({ name: API_CLIENT, tokenTtl: '365d' });
    await app.durin.clients.create({ name: 'web' });
    await app.durin.clients.create({ name: 'reader', abilities: ['posts:read'] });
    // A second, cached server on the same app.
    cached = await startTestServer(app, { cached: true });
  });
  afterAll(() => cached.close());

  async function session(client = 'web') {
    const user = await app.createUser({ username: unique('john') });
    const { token, auth } = await app.durin.tokens.issue(user, client);
    return { user, token, auth, keys: server.client(token).auth.apiKeys };
  }

  describe('abilities', () => {
    test("a client's default abilities go to every token it issues; requireAbilities refuses the rest", async () => {
      const { token, auth } = await session('reader');
      expect(auth.abilities).toEqual(['posts:read']);
      expect(await server.client(token).postsRead.query()).toBe('posts');
      const error = await waitError(server.client(token).postsWrite.mutate());
      expect(error.data?.code).toBe('FORBIDDEN');
      expect(error.message).toBe('This token lacks the ability: posts:write.');
      expect(error.data).toMatchObject({ durinCode: 'ABILITY_MISSING' });
      expect(app.durin.can(auth, 'posts:read')).toBe(true);
      expect(app.durin.can(auth, 'posts:write')).toBe(false);
      expect(app.durin.can(null, 'posts:read')).toBe(false);
    });

    test('anonymous is UNAUTHORIZED as protectedProcedure answers; a login token has every ability', async () => {
      const error = await waitError(server.client().postsRead.query());
      expect(error.data?.code).toBe('UNAUTHORIZED');
      expect(error.message).toBe('Authentication credentials were not provided.');
      const { token, auth } = await session();
      expect(auth.abilities).toBeNull();
      expect(await server.client(token).postsWrite.mutate()).toBe('written');
    });

    test('checked in memory: a cache hit costs no SQL, a miss one statement', async () => {
      const { token } = await session('reader');
      expect((await sqlOf(app, () => cached.client(token).postsRead.query())).statements).toHaveLength(1);
      expect((await sqlOf(app, () => cached.client(token).postsRead.query())).statements).toHaveLength(0);
      const refused = await sqlOf(app, () => waitError(cached.client(token).postsWrite.mutate()));
      expect(refused.value.message).toBe('This token lacks the ability: posts:write.');
      expect(refused.statements).toHaveLength(0);
    });

    test('an undeclared ability is refused where it is named', async () => {
      expect(() => app.durin.requireAbilities('posts:raed' as never)).toThrow(DurinConfigError);
      expect(() => app.durin.requireAbilities('posts:raed' as never)).toThrow(
        'trpc-durin: invalid requireAbilities() option "abilities": "posts:raed" is not one of the abilities the app declared ("posts:read", "posts:write", "billing")',
      );
      await expect(app.durin.clients.create({ name: unique('bad'), abilities: ['nope' as never] })).rejects.toThrow(
        'trpc-durin: invalid client "abilities": "nope" is not one of the abilities the app declared',
      );
      expect(() =>
        createDurin({ sequelize: app.db.sequelize, userModel: app.User, authenticateUser: () => null, abilities: ['a b'] }),
      ).toThrow('trpc-durin: invalid option "abilities": expected abilities of 1 to 64 printable characters without spaces (got "a b")');
    });
  });

  describe('apiKeys', () => {
    test('create shows the token once with its start; the key authenticates with its abilities', async () => {
      const { keys } = await session();
      const created = await keys.create.mutate({ name: '  CI deploy  ', abilities: ['posts:read'], expiresIn: '30d' });
      expect(created).toMatchObject({ name: 'CI deploy', abilities: ['posts:read'], token: expect.stringMatching(/^[0-9a-f]{72}$/) });
      expect(created.start).toBe(created.token.slice(0, 8));
      expect(new Date(created.expiry).getTime() - new Date(created.created).getTime()).toBe(30 * 86_400_000);
      expect(app.durin.isWellFormedToken(created.token)).toBe(true);
      expect(await server.client(created.token).postsRead.query()).toBe('posts');
      expect((await waitError(server.client(created.token).postsWrite.mutate())).data?.code).toBe('FORBIDDEN');
      const [listed] = await keys.list.query();
      expect(listed).toEqual({
        id: created.id,
        name: 'CI deploy',
        abilities: ['posts:read'],
        created: created.created,
        expiry: created.expiry,
        hasExpired: false,
        start: created.start,
        lastUsedAt: null,
        lastIp: null,
      });
      expect(JSON.stringify(await keys.list.query())).not.toContain(created.token);
    });

    test('no escalation: a key cannot mint or widen a broader key', async () => {
      const { keys } = await session();
      const reader = await keys.create.mutate({ name: 'reader', abilities: ['posts:read'] });
      const asReader = server.client(reader.token).auth.apiKeys;
      const error = await waitError(asReader.create.mutate({ name: 'writer', abilities: ['posts:write'] }));
      expect(error.data?.code).toBe('FORBIDDEN');
      expect(error.message).toBe('This token lacks the ability: posts:write.');
      expect((await waitError(asReader.create.mutate({ name: 'all', abilities: null }))).message).toBe('This token lacks the ability: *.');
      // Omitted abilities are the creating token's: never more.
      expect((await asReader.create.mutate({ name: 'inherits' })).abilities).toEqual(['posts:read']);
      expect((await waitError(asReader.update.mutate({ id: reader.id, abilities: ['billing'] }))).data?.code).toBe('FORBIDDEN');
    });

    test('names, durations and abilities are validated naming the field', async () => {
      const { keys } = await session();
      const blank = await waitError(keys.create.mutate({ name: '   ' }));
      expect(blank.data?.code).toBe('BAD_REQUEST');
      expect(blank.message).toBe('Invalid name: expected 1 to 64 characters once trimmed (got "   ")');
      expect((await waitError(keys.create.mutate({ name: 'x'.repeat(65) }))).message).toMatch(/^Invalid name: /);
      const duration = await waitError(keys.create.mutate({ name: 'k', expiresIn: '1 year' }));
      expect(duration.data?.code).toBe('BAD_REQUEST');
      expect(duration.message).toMatch(/^Invalid expiresIn: expected a positive number of seconds/);
      const tooLong = await waitError(keys.create.mutate({ name: 'k', expiresIn: '91d' }));
      expect(tooLong.message).toBe('Invalid expiresIn: expected at most 7776000 seconds, the apiKeyMaxLifetime setting (got "91d")');
      const undeclared = await waitError(keys.create.mutate({ name: 'k', abilities: ['posts:raed'] }));
      expect(undeclared.data?.code).toBe('BAD_REQUEST');
      expect(undeclared.message).toMatch(/^Invalid abilities: "posts:raed" is not one of the abilities the app declared/);
      // Without expiresIn: the client's TTL, capped by apiKeyMaxLifetime.
      const capped = await keys.create.mutate({ name: 'k' });
      expect(new Date(capped.expiry).getTime() - new Date(capped.created).getTime()).toBe(90 * 86_400_000);
      const taken = await waitError(keys.create.mutate({ name: ' k ' }));
      expect(taken.data?.code).toBe('CONFLICT');
      expect(taken.message).toBe('Invalid name: you already have an API key named "k".');
    });

    test('apiKeysPerUser live keys at most: CONFLICT "You have too many API keys."', async () => {
      const { keys } = await session();
      for (const name of ['a', 'b', 'c']) await keys.create.mutate({ name });
      const error = await waitError(keys.create.mutate({ name: 'd' }));
      expect(error.data?.code).toBe('CONFLICT');
      expect(error.message).toBe('You have too many API keys.');
      expect(error.data).toMatchObject({ durinCode: 'API_KEY_LIMIT' });
    });

    test("another user's key is NOT_FOUND for update and revoke", async () => {
      const mine = await session();
      const theirs = await session();
      const key = await theirs.keys.create.mutate({ name: 'theirs' });
      // One call at a time: a second promise made up front would reject while nothing awaits it yet.
      for (const call of [() => mine.keys.update.mutate({ id: key.id, name: 'mine' }), () => mine.keys.revoke.mutate({ id: key.id })]) {
        const error = await waitError(call());
        expect(error.data?.code).toBe('NOT_FOUND');
        expect(error.message).toBe('Not found.');
      }
    });

    test('narrowed abilities hold at once on a cached context; revoke stops the key', async () => {
      const { keys } = await session();
      const key = await keys.create.mutate({ name: 'bot', abilities: ['posts:read', 'posts:write'] });
      expect(await cached.client(key.token).postsWrite.mutate()).toBe('written');
      expect(await cached.client(key.token).postsWrite.mutate()).toBe('written'); // a cache hit
      const updated = await keys.update.mutate({ id: key.id, name: 'read-only bot', abilities: ['posts:read'] });
      expect(updated).toMatchObject({ name: 'read-only bot', abilities: ['posts:read'] });
      expect((await waitError(cached.client(key.token).postsWrite.mutate())).data?.code).toBe('FORBIDDEN');
      expect(await cached.client(key.token).postsRead.query()).toBe('posts');
      await keys.revoke.mutate({ id: key.id });
      expect((await waitError(cached.client(key.token).postsRead.query())).message).toBe('Invalid token.');
      expect(await keys.list.query()).toEqual([]);
    });

    test('keys are not sessions: login never rotates them, sessions.list and revokeOthers skip them, logoutAll takes them', async () => {
      const { user, token, keys } = await session(API_CLIENT);
      const key = await keys.create.mutate({ name: 'cron' });
      // A login on the key's own client rotates the session only.
      const login = await server.client().auth.login.mutate({ username: user.username, password: 'hunter2', client: API_CLIENT });
      expect((await waitError(server.client(token).me.query())).message).toBe('Invalid token.');
      expect((await server.client(key.token).me.query()).username).toBe(user.username);
      const sessions = await server.client(login.token).auth.sessions.list.query();
      expect(sessions.map((s) => s.client)).toEqual([API_CLIENT]);
      // The session on the API client is durin's apiAccess key: apiKeys.list shows it as "API access".
      expect((await server.client(login.token).auth.apiKeys.list.query()).map((k) => k.name)).toEqual(['API access', 'cron']);
      const other = await app.durin.tokens.issue(user, 'web');
      expect(await server.client(other.token).auth.sessions.revokeOthers.mutate()).toEqual({ revoked: 1 });
      expect((await server.client(key.token).me.query()).username).toBe(user.username);
      await server.client(other.token).auth.logoutAll.mutate();
      expect((await waitError(server.client(key.token).me.query())).message).toBe('Invalid token.');
    });

    test('durin.tokens.revokeAll revokes keys too; apiAccess keeps one key per user', async () => {
      const { user, keys, token } = await session();
      const key = await keys.create.mutate({ name: 'k1' });
      const access = await server.client(token).auth.apiAccess.create.mutate();
      expect((await waitError(server.client(token).auth.apiAccess.create.mutate())).data?.code).toBe('CONFLICT');
      expect((await server.client(token).auth.apiAccess.get.query()).client).toBe(API_CLIENT);
      expect((await keys.list.query()).map((k) => k.name)).toEqual(['k1', 'API access']);
      expect(await app.durin.tokens.revokeAll(user)).toBe(3);
      for (const gone of [key.token, access.token]) {
        expect((await waitError(server.client(gone).me.query())).message).toBe('Invalid token.');
      }
    });
  });

  describe('token format', () => {
    test('a failing checksum is "Invalid token." without any SQL', async () => {
      const { keys } = await session();
      const { token } = await keys.create.mutate({ name: 'typo' });
      const forged = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
      for (const target of [server, cached]) {
        const { value: error, statements } = await sqlOf(app, () => waitError(target.client(forged).me.query()));
        expect(error.message).toBe('Invalid token.');
        expect(statements).toEqual([]);
      }
    });

    test('legacy tokens keep working by default and are refused without SQL when acceptLegacyTokens is false', async () => {
      const { auth } = await session();
      const legacy = 'a'.repeat(64);
      await app.durin.models.AuthToken.update(
        { tokenHash: (await import('../../src/index.js')).hashToken(legacy) },
        { where: { id: auth.id } },
      );
      expect(await server.client(legacy).hello.query()).toEqual({ user: expect.any(String) });
      expect((await server.client(legacy).me.query()).tokenId).toBe(Number(auth.id));

      const strict = await createTestApp({ db: app.db, settings: { acceptLegacyTokens: false, lastUsedUpdateInterval: null } });
      const strictServer = await startTestServer(strict);
      try {
        const { value: error, statements } = await sqlOf(app, () => waitError(strictServer.client(legacy).me.query()));
        expect(error.message).toBe('Invalid token.');
        expect(statements).toEqual([]);
      } finally {
        await strictServer.close();
      }
    });
  });
});
