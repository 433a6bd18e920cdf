import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS, hashToken } from '../../src/index.js';
import { startTestAppServer, useTestServer, waitError } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * login, refresh, logout, logoutAll: durin's AuthViewsTestCase and ViewsTestCase,
 * with superjson and without a transformer.
 */
const clock = useClock();

describe.each(['superjson', 'none'] as const)('auth router (transformer: %s)', (transformer) => {
  const env = useTestServer({ transformer });
  const asDate = (value: Date | string) => (transformer === 'superjson' ? value : new Date(value));

  async function setup(ttl = '1d') {
    const client = await env.app.durin.clients.create({ name: unique('web'), tokenTtl: ttl });
    const user = await env.app.createUser({ username: unique('john'), password: 'hunter2' });
    const creds = { username: user.username, password: 'hunter2', client: client.name };
    return { client, user, creds };
  }
  const tokensOf = (user: { id: number }) => env.app.durin.models.AuthToken.count({ where: { userId: user.id } });

  describe('login', () => {
    test('returns a token and its expiry, and no user without serializeUser', async () => {
      const { creds, user } = await setup();
      const result = await env.server.client().auth.login.mutate(creds);
      expect(result.token).toMatch(/^[0-9a-f]{72}$/);
      expect(result).not.toHaveProperty('user');
      const row = await env.app.durin.models.AuthToken.findOne({ where: { userId: user.id } });
      expect(row!.tokenHash).toBe(hashToken(result.token));
      const expiry = asDate(result.expiry as Date | string) as Date;
      if (transformer === 'superjson') expect(result.expiry).toBeInstanceOf(Date);
      else expect(typeof result.expiry).toBe('string');
      expect(expiry.getTime()).toBe(row!.expiry.getTime());
    });

    test('expiry is now + the client TTL', async () => {
      const { creds } = await setup('2h');
      const at = clock.freeze();
      const result = await env.server.client().auth.login.mutate(creds);
      expect((asDate(result.expiry as Date | string) as Date).getTime()).toBe(at + 2 * 3600_000);
    });

    test('creates one token per (user, client) for each user', async () => {
      const clients = await Promise.all(['web', 'mobile', 'cli'].map((n) => env.app.durin.clients.create({ name: unique(n) })));
      const john = await env.app.createUser({ username: unique('john'), password: 'pw' });
      const jane = await env.app.createUser({ username: unique('jane'), password: 'pw' });
      for (const client of clients) {
        for (const user of [john, jane]) {
          const { token } = await env.server.client().auth.login.mutate({ username: user.username, password: 'pw', client: client.name });
          expect(token).not.toBe('');
        }
      }
      expect(await tokensOf(john)).toBe(3);
      expect(await tokensOf(jane)).toBe(3);
    });

    test('on a client that already has a token rotates it: the old token is "Invalid token."', async () => {
      const { creds, user } = await setup();
      const first = await env.server.client().auth.login.mutate(creds);
      const second = await env.server.client().auth.login.mutate(creds);
      expect(second.token).not.toBe(first.token);
      expect(await tokensOf(user)).toBe(1);
      expect((await env.server.client(second.token).me.query()).username).toBe(user.username);
      const error = await waitError(env.server.client(first.token).me.query());
      expect(error.message).toBe('Invalid token.');
    });

    test('rotation keeps the row and moves the expiry', async () => {
      const { creds, user } = await setup('1h');
      clock.freeze();
      await env.server.client().auth.login.mutate(creds);
      const before = await env.app.durin.models.AuthToken.findOne({ where: { userId: user.id } });
      clock.travel(60_000);
      const second = await env.server.client().auth.login.mutate(creds);
      const after = await env.app.durin.models.AuthToken.findOne({ where: { userId: user.id } });
      expect(Number(after!.id)).toBe(Number(before!.id));
      expect(after!.expiry.getTime()).toBe(before!.expiry.getTime() + 60_000);
      expect((asDate(second.expiry as Date | string) as Date).getTime()).toBe(after!.expiry.getTime());
    });

    test('fires tokenCreated, tokenRevoked (rotated) and userLoggedIn', async () => {
      const { creds } = await setup();
      const seen: string[] = [];
      const onCreated = () => seen.push('tokenCreated');
      const onRevoked = ({ reason }: { reason: string }) => seen.push(`tokenRevoked:${reason}`);
      const onLoggedIn = () => seen.push('userLoggedIn');
      env.app.durin.events.on('tokenCreated', onCreated).on('tokenRevoked', onRevoked).on('userLoggedIn', onLoggedIn);
      await env.server.client().auth.login.mutate(creds);
      await env.server.client().auth.login.mutate(creds);
      env.app.durin.events.off('tokenCreated', onCreated).off('tokenRevoked', onRevoked).off('userLoggedIn', onLoggedIn);
      expect(seen).toEqual(['tokenCreated', 'userLoggedIn', 'tokenRevoked:rotated', 'tokenCreated', 'userLoggedIn']);
    });

    test.each([
      ['missing username', { password: 'hunter2' }, /username: This field is required\./],
      ['blank username', { username: '   ', password: 'hunter2' }, /username: This field may not be blank\./],
      ['missing password', { username: 'john' }, /password: This field is required\./],
      ['blank password', { username: 'john', password: '' }, /password: This field may not be blank\./],
    ])('%s is BAD_REQUEST', async (_, input, message) => {
      const { client } = await setup();
      const error = await waitError(env.server.client().auth.login.mutate({ client: client.name, ...input } as never));
      expect(error.data?.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
    });

    test('a missing or blank client is "No client specified."', async () => {
      const { creds } = await setup();
      for (const client of [undefined, '', '   ']) {
        const error = await waitError(env.server.client().auth.login.mutate({ ...creds, client }));
        expect(error.data?.code).toBe('BAD_REQUEST');
        expect(error.message).toBe('No client specified.');
        expect(error.data?.durinCode).toBe('CLIENT_NOT_SPECIFIED');
      }
    });

    test('an unknown client is "No client with that name."', async () => {
      const { creds } = await setup();
      const error = await waitError(env.server.client().auth.login.mutate({ ...creds, client: 'invalid name' }));
      expect(error.data?.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('No client with that name.');
    });

    test('wrong credentials are refused before the client is checked', async () => {
      const { creds } = await setup();
      for (const input of [
        { ...creds, password: 'wrong' },
        { ...creds, password: 'wrong', client: undefined },
      ]) {
        const error = await waitError(env.server.client().auth.login.mutate(input));
        expect(error.data?.code).toBe('BAD_REQUEST');
        expect(error.message).toBe(DURIN_ERRORS.INVALID_CREDENTIALS.message);
      }
    });

    test('an inactive user cannot log in', async () => {
      const { client } = await setup();
      const user = await env.app.createUser({ username: unique('inactive'), password: 'pw', isActive: false });
      const error = await waitError(
        env.server.client().auth.login.mutate({ username: user.username, password: 'pw', client: client.name }),
      );
      expect(error.message).toBe('Unable to log in with provided credentials.');
    });

    test('ignores a bad Authorization header (login is public)', async () => {
      const { creds } = await setup();
      const result = await env.server.client('not-a-token').auth.login.mutate(creds);
      expect(result.token).toHaveLength(72);
    });
  });

  describe('refresh', () => {
    test('moves the expiry to now + TTL, keeps the token and fires tokenRenewed', async () => {
      const { creds, user } = await setup('1h');
      const { token, expiry } = await env.server.client().auth.login.mutate(creds);
      const renewed: Date[] = [];
      const listener = ({ newExpiry }: { newExpiry: Date }) => renewed.push(newExpiry);
      env.app.durin.events.on('tokenRenewed', listener);
      clock.travel(30 * 60_000);
      const result = await env.server.client(token).auth.refresh.mutate();
      env.app.durin.events.off('tokenRenewed', listener);
      const newExpiry = asDate(result.expiry as Date | string) as Date;
      expect(newExpiry.getTime()).toBe(Date.now() + 3600_000);
      expect(newExpiry.getTime()).toBeGreaterThan((asDate(expiry as Date | string) as Date).getTime());
      expect(renewed).toEqual([newExpiry]);
      expect(await tokensOf(user)).toBe(1);
      const row = await env.app.durin.models.AuthToken.findOne({ where: { userId: user.id } });
      expect(row!.expiry.getTime()).toBe(newExpiry.getTime());
      // The same token still works past its old expiry.
      clock.travel(45 * 60_000);
      expect((await env.server.client(token).me.query()).username).toBe(user.username);
    });

    test('without a token is UNAUTHORIZED (durin answered 500)', async () => {
      const error = await waitError(env.server.client().auth.refresh.mutate());
      expect(error.data?.code).toBe('UNAUTHORIZED');
      expect(error.message).toBe(DURIN_ERRORS.NOT_AUTHENTICATED.message);
    });
  });

  describe('logout', () => {
    test('deletes only the calling token', async () => {
      const { client, creds } = await setup();
      const jane = await env.app.createUser({ username: unique('jane'), password: 'pw' });
      const johnToken = (await env.server.client().auth.login.mutate(creds)).token;
      const janeToken = (await env.server.client().auth.login.mutate({ username: jane.username, password: 'pw', client: client.name }))
        .token;
      const other = await env.app.durin.clients.create({ name: unique('mobile') });
      const johnOther = (await env.server.client().auth.login.mutate({ ...creds, client: other.name })).token;
      const loggedOut: boolean[] = [];
      const listener = ({ all }: { all: boolean }) => loggedOut.push(all);
      env.app.durin.events.on('userLoggedOut', listener);
      await env.server.client(johnToken).auth.logout.mutate();
      env.app.durin.events.off('userLoggedOut', listener);
      expect(loggedOut).toEqual([false]);
      expect((await waitError(env.server.client(johnToken).me.query())).message).toBe('Invalid token.');
      expect((await env.server.client(janeToken).me.query()).username).toBe(jane.username);
      expect((await env.server.client(johnOther).me.query()).client).toBe(other.name);
    });

    test('without a token is UNAUTHORIZED (durin #29: 500)', async () => {
      const error = await waitError(env.server.client().auth.logout.mutate());
      expect(error.data?.code).toBe('UNAUTHORIZED');
    });
  });

  describe('logoutAll', () => {
    test("deletes every token of the user and only the user's", async () => {
      const clients = await Promise.all(['web', 'mobile', 'cli'].map((n) => env.app.durin.clients.create({ name: unique(n) })));
      const john = await env.app.createUser({ username: unique('john'), password: 'pw' });
      const jane = await env.app.createUser({ username: unique('jane'), password: 'pw' });
      const tokens: Record<string, string[]> = { john: [], jane: [] };
      for (const client of clients) {
        tokens.john!.push(
          (await env.server.client().auth.login.mutate({ username: john.username, password: 'pw', client: client.name })).token,
        );
        tokens.jane!.push(
          (await env.server.client().auth.login.mutate({ username: jane.username, password: 'pw', client: client.name })).token,
        );
      }
      await env.server.client(tokens.john![2]).auth.logoutAll.mutate();
      expect(await tokensOf(john)).toBe(0);
      expect(await tokensOf(jane)).toBe(3);
      for (const token of tokens.john!) expect((await waitError(env.server.client(token).me.query())).message).toBe('Invalid token.');
    });

    test('without a token is UNAUTHORIZED', async () => {
      const error = await waitError(env.server.client().auth.logoutAll.mutate());
      expect(error.data?.code).toBe('UNAUTHORIZED');
    });
  });
});

describe('login with serializeUser', () => {
  test('returns the serialized user (durin USER_SERIALIZER)', async () => {
    await using running = await startTestAppServer({ serializeUser: true });
    const { app, server } = running;
    await app.durin.clients.create({ name: 'web' });
    await app.createUser({ username: 'john.doe', password: 'hunter2' });
    const result = await server.client().auth.login.mutate({ username: 'john.doe', password: 'hunter2', client: 'web' });
    expect(result.user).toEqual({ username: 'john.doe' });
    expect(result.token).toHaveLength(72);
  });
});

describe('tokenPrefix and tokenCharacterLength', () => {
  test('shape new tokens, which then authenticate', async () => {
    await using running = await startTestAppServer({
      settings: { tokenPrefix: 'drn_', tokenCharacterLength: 40, authHeaderPrefix: 'Bearer' },
    });
    const { app, server } = running;
    await app.durin.clients.create({ name: 'web' });
    await app.createUser({ username: 'john', password: 'pw' });
    const { token } = await server.client().auth.login.mutate({ username: 'john', password: 'pw', client: 'web' });
    expect(token).toMatch(/^drn_[0-9a-f]{48}$/);
    expect((await server.client(null, { authorization: `Bearer ${token}` }).me.query()).username).toBe('john');
    // With another scheme configured, "Token" is someone else's header: anonymous.
    expect((await waitError(server.client(token).me.query())).message).toBe(DURIN_ERRORS.NOT_AUTHENTICATED.message);
  });
});
