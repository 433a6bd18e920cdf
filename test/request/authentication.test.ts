import { QueryTypes } from 'sequelize';
import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS, hashToken } from '../../src/index.js';
import { startTestAppServer, useTestServer, waitError } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * TokenAuthentication, over HTTP with a real tRPC client, on both adapters.
 * durin's test_auth and ViewsTestCase, plus a case for every improvement.
 */
const clock = useClock();

describe.each(['standalone', 'fetch'] as const)('TokenAuthentication (%s adapter)', (adapter) => {
  // These tests count the lookup's statements; usage tracking (its off-path UPDATE) is test/usage.test.ts's.
  const env = useTestServer({ settings: { lastUsedUpdateInterval: null }, adapter });

  async function issue(options: { isActive?: boolean; ttl?: string } = {}) {
    const client = await env.app.durin.clients.create({ name: unique('client'), tokenTtl: options.ttl ?? '1d' });
    const user = await env.app.createUser({ isActive: options.isActive });
    const { token, auth } = await env.app.durin.tokens.issue(user, client.name);
    return { client, user, token, auth };
  }

  async function meError(headers: Record<string, string>) {
    const response = await env.server.raw('me', { headers });
    const body = await response.json();
    const { data } = body.error.json ?? body.error;
    return {
      status: response.status,
      message: body.error.json?.message ?? body.error.message,
      durinCode: data.durinCode,
      // Present only when durin knows why: absent, not undefined, everywhere else.
      ...('durinHint' in data ? { durinHint: data.durinHint } : {}),
    };
  }

  describe('step 7: a valid token', () => {
    test('sets ctx.user and ctx.auth with its client', async () => {
      const { user, client, token, auth } = await issue();
      const me = await env.server.client(token).me.query();
      expect(me).toMatchObject({ id: user.id, username: user.username, client: client.name, tokenId: Number(auth.id) });
    });

    test('is verified with one SQL statement (token joined with user and client)', async () => {
      const { token } = await issue();
      env.app.db.statements.length = 0;
      await env.server.client(token).me.query();
      expect(env.app.db.statements).toHaveLength(1);
      expect(env.app.db.statements[0]).toMatch(/JOIN/);
    });

    test('is one statement for the driver too (no hidden PRAGMA on SQLite)', async () => {
      const { token } = await issue();
      if (env.app.db.dialect !== 'sqlite') return expect(env.app.db.dialect).toBe('mysql');
      const connection = (await (
        env.app.db.sequelize.connectionManager as unknown as {
          getConnection(o: object): Promise<Record<string, (...a: unknown[]) => unknown>>;
        }
      ).getConnection({})) as Record<string, (...a: unknown[]) => unknown>;
      const calls: string[] = [];
      const originals = { all: connection.all!, run: connection.run!, get: connection.get!, exec: connection.exec! };
      for (const [name, original] of Object.entries(originals)) {
        connection[name] = function (this: unknown, sql: unknown, ...rest: unknown[]) {
          calls.push(String(sql));
          return original.call(this, sql, ...rest);
        };
      }
      try {
        await env.server.client(token).me.query();
      } finally {
        Object.assign(connection, originals);
      }
      expect(calls).toHaveLength(1);
    });

    test('gives the user model its real attribute types (booleans, dates) and its virtual attributes', async () => {
      const joinedAt = new Date('2024-02-03T04:05:06.789Z');
      const client = await env.app.durin.clients.create({ name: unique('client') });
      const user = await env.app.createUser({ joinedAt });
      const { token } = await env.app.durin.tokens.issue(user, client.name);
      const me = await env.server.client(token).me.query();
      expect(me.isActive).toBe(true);
      expect(me.joinedAt).toEqual(joinedAt);
      expect(me.handle).toBe(`@${user.username}`);
    });

    test('prefix is matched case-insensitively and whitespace runs are one separator', async () => {
      const { token, user } = await issue();
      for (const header of [`token ${token}`, `TOKEN   ${token}  `, `Token\t${token}`]) {
        const me = await env.server.client(null, { authorization: header }).me.query();
        expect(me.username).toBe(user.username);
      }
    });
  });

  describe('steps 1–3: the header', () => {
    test('no header is anonymous: protected procedures say credentials were not provided', async () => {
      const error = await waitError(env.server.client().me.query());
      expect(error.data?.code).toBe('UNAUTHORIZED');
      expect(error.message).toBe(DURIN_ERRORS.NOT_AUTHENTICATED.message);
      expect(await env.server.client().hello.query()).toEqual({ user: null });
    });

    test('another scheme is anonymous, never an error (durin: Baerer → 401 not provided)', async () => {
      const { token } = await issue();
      expect(await env.server.client(null, { authorization: `Baerer ${token}` }).hello.query()).toEqual({ user: null });
      const failure = await meError({ authorization: `Baerer ${token}` });
      expect(failure).toStrictEqual({
        status: 401,
        message: DURIN_ERRORS.NOT_AUTHENTICATED.message,
        durinCode: 'NOT_AUTHENTICATED',
        durinHint: 'HEADER_SCHEME',
      });
    });

    test("a Bearer header keeps durin's message and code, with the hint that the scheme is not Token", async () => {
      const { token } = await issue();
      expect(await meError({ authorization: `Bearer ${token}` })).toStrictEqual({
        status: 401,
        message: 'Authentication credentials were not provided.',
        durinCode: 'NOT_AUTHENTICATED',
        durinHint: 'HEADER_SCHEME',
      });
      // Public procedures see an anonymous caller, as before.
      expect(await env.server.client(null, { authorization: `Bearer ${token}` }).hello.query()).toEqual({ user: null });
    });

    test('no header, and a Token header with a bad token, carry no hint', async () => {
      expect(await meError({})).toStrictEqual({
        status: 401,
        message: 'Authentication credentials were not provided.',
        durinCode: 'NOT_AUTHENTICATED',
      });
      expect(await meError({ authorization: `Token ${'0'.repeat(64)}` })).toStrictEqual({
        status: 401,
        message: 'Invalid token.',
        durinCode: 'TOKEN_INVALID',
      });
    });

    test('"Token" alone: no credentials provided', async () => {
      expect(await meError({ authorization: 'Token' })).toEqual({
        status: 401,
        message: 'Invalid token header. No credentials provided.',
        durinCode: 'HEADER_MALFORMED',
      });
    });

    test('a token with spaces: should not contain spaces', async () => {
      const { token } = await issue();
      expect(await meError({ authorization: `Token ${token} typo` })).toEqual({
        status: 401,
        message: 'Invalid token header. Token string should not contain spaces.',
        durinCode: 'HEADER_MALFORMED',
      });
    });
  });

  describe('step 4: unknown tokens', () => {
    test('a 63-character token is "Invalid token."', async () => {
      expect(await meError({ authorization: `Token ${'1'.repeat(63)}` })).toEqual({
        status: 401,
        message: 'Invalid token.',
        durinCode: 'TOKEN_INVALID',
      });
    });

    test('a valid token with a character appended is "Invalid token."', async () => {
      const { token } = await issue();
      expect((await meError({ authorization: `Token ${token}1` })).message).toBe('Invalid token.');
    });

    test('a 10 000-character token is refused before any query', async () => {
      env.app.db.statements.length = 0;
      expect(await meError({ authorization: `Token ${'a'.repeat(10_000)}` })).toEqual({
        status: 401,
        message: 'Invalid token.',
        durinCode: 'TOKEN_INVALID',
      });
      expect(env.app.db.statements).toHaveLength(0);
    });
  });

  describe('step 5: expired tokens', () => {
    test('are deleted, fire tokenExpired and answer "The given token has expired."', async () => {
      const { token, user, client } = await issue({ ttl: '1h' });
      const expired: unknown[] = [];
      env.app.durin.events.on('tokenExpired', (event) => expired.push(event));
      clock.travel(3600_000 + 1);
      expect(await meError({ authorization: `Token ${token}` })).toEqual({
        status: 401,
        message: 'The given token has expired.',
        durinCode: 'TOKEN_EXPIRED',
      });
      expect(expired).toEqual([{ userId: user.id, clientName: client.name }]);
      expect(await env.app.durin.models.AuthToken.count({ where: { tokenHash: hashToken(token) } })).toBe(0);
      // Once deleted, it is simply unknown.
      expect((await meError({ authorization: `Token ${token}` })).message).toBe('Invalid token.');
      env.app.durin.events.removeAllListeners('tokenExpired');
    });

    test('are still valid at the exact expiry instant (durin: now > expiry)', async () => {
      const { token, auth } = await issue({ ttl: '1h' });
      clock.freeze(auth.expiry.getTime());
      expect((await env.server.client(token).me.query()).tokenId).toBe(Number(auth.id));
      clock.freeze(auth.expiry.getTime() + 1);
      expect((await meError({ authorization: `Token ${token}` })).message).toBe('The given token has expired.');
    });

    test('an expired token of an inactive user reports the expiry first', async () => {
      const { token } = await issue({ ttl: '1h', isActive: false });
      clock.travel(3600_000 + 1);
      expect((await meError({ authorization: `Token ${token}` })).message).toBe('The given token has expired.');
    });
  });

  describe('step 6: inactive users', () => {
    test('are refused with "User inactive or deleted."', async () => {
      const { token } = await issue({ isActive: false });
      expect(await meError({ authorization: `Token ${token}` })).toEqual({
        status: 401,
        message: 'User inactive or deleted.',
        durinCode: 'USER_INACTIVE',
      });
    });
  });

  test('only the digest is stored: no column holds the token', async () => {
    const { token, auth } = await issue();
    const rows = await env.app.db.sequelize.query<Record<string, unknown>>('SELECT * FROM durin_authtoken', { type: QueryTypes.SELECT });
    const row = rows.find((r) => Number(r.id) === Number(auth.id))!;
    expect(row.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('a database failure', () => {
  test('is INTERNAL_SERVER_ERROR, not "Invalid token.", and public procedures stay anonymous', async () => {
    const running = await startTestAppServer();
    const { app, server } = running;
    try {
      const client = await app.durin.clients.create({ name: 'web' });
      const { token } = await app.durin.tokens.issue(await app.createUser(), client.name);
      await app.db.sequelize.close();
      const response = await server.raw('me', { headers: { authorization: `Token ${token}` } });
      expect(response.status).toBe(500);
      const body = await response.json();
      expect(body.error.json.message).toBe(DURIN_ERRORS.AUTH_BACKEND_FAILED.message);
      expect(body.error.json.data.durinCode).toBe('AUTH_BACKEND_FAILED');
      expect(await server.client(token).hello.query()).toEqual({ user: null });
    } finally {
      // Closing the app throws once the test has closed its database on purpose.
      await Promise.resolve(running[Symbol.asyncDispose]()).catch(() => {});
    }
  });
});
