import { beforeAll, describe, expect, test, vi } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** login's `name`, the metadata in `sessions.list`, and `sessions.revokeOthers`. */
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0';

describe('login name and session metadata', () => {
  const env = useTestServer();

  async function login(name?: unknown, userAgent = FIREFOX) {
    const user = await env.app.createUser({ username: unique('john') });
    const client = await env.app.durin.clients.create({ name: unique('web') });
    const input = { username: user.username, password: 'hunter2', client: client.name, ...(name === undefined ? {} : { name }) };
    return { user, client, call: env.server.client(null, { 'user-agent': userAgent }).auth.login.mutate(input as never) };
  }

  test('the name is trimmed and shown with where and how the session was used', async () => {
    const { client, call } = await login('  Firefox on Linux  ');
    const { token } = await call;
    const [session] = await env.server.client(token, { 'user-agent': FIREFOX }).auth.sessions.list.query();
    expect(session).toMatchObject({
      client: client.name,
      name: 'Firefox on Linux',
      lastIp: '127.0.0.1',
      userAgent: FIREFOX,
      isCurrent: true,
    });
    // Login counts as the first use: the session says when at once.
    expect(session!.lastUsedAt).toEqual(session!.created);
  });

  test('an empty or blank name, or none, is null', async () => {
    for (const name of [undefined, '', '   ', null]) {
      const { token } = await (await login(name)).call;
      const [session] = await env.server.client(token).auth.sessions.list.query();
      expect(session!.name).toBeNull();
    }
  });

  test('a name over 64 characters is BAD_REQUEST and issues nothing', async () => {
    const { user, call } = await login('x'.repeat(65));
    const error = await waitError(call);
    expect(error.data?.code).toBe('BAD_REQUEST');
    // One sentence with a durinCode, not zod's list of issues as JSON.
    expect(error.message).toBe('name: Ensure this field has no more than 64 characters.');
    expect(error.data?.durinCode).toBe('NAME_TOO_LONG');
    expect(await env.app.durin.models.AuthToken.count({ where: { userId: user.id } })).toBe(0);
    expect((await (await login('y'.repeat(64))).call).token).toEqual(expect.any(String));
  });

  test('a name that is not a string is BAD_REQUEST', async () => {
    expect((await waitError((await login(42)).call)).data?.code).toBe('BAD_REQUEST');
  });

  test('logging in again on the same client starts a new session: the old name and last use go', async () => {
    const user = await env.app.createUser({ username: unique('john') });
    const client = await env.app.durin.clients.create({ name: unique('web') });
    const creds = { username: user.username, password: 'hunter2', client: client.name };
    await env.server.client(null, { 'user-agent': FIREFOX }).auth.login.mutate({ ...creds, name: 'Firefox on Linux' });
    const { token } = await env.server.client(null, { 'user-agent': 'curl/8.5' }).auth.login.mutate(creds);
    const [session] = await env.server.client(token).auth.sessions.list.query();
    expect(session).toMatchObject({ name: null, userAgent: 'curl/8.5' });
  });

  test('a later use updates lastUsedAt in the list once the interval passed', async () => {
    const user = await env.app.createUser({ username: unique('john') });
    const client = await env.app.durin.clients.create({ name: unique('web') });
    const { token, auth } = await env.app.durin.tokens.issue(user, client.name, { name: 'CLI' });
    await env.server.client(token, { 'user-agent': 'durin-cli/1.0' }).me.query();
    await vi.waitFor(async () => {
      const [session] = await env.server.client(token).auth.sessions.list.query();
      expect(session).toMatchObject({ id: Number(auth.id), name: 'CLI', lastIp: '127.0.0.1', userAgent: 'durin-cli/1.0' });
      expect(session!.lastUsedAt).toBeInstanceOf(Date);
    });
  });
});

describe.each([false, true])('sessions.revokeOthers (apiAccessExcludeFromSessions: %s)', (exclude) => {
  let app: TestApp;
  let cached: TestServer;
  const apiClient = 'revokeothers_api';

  // Cached, so that the test also shows the cache sees this revocation at once.
  const env = useTestServer({ settings: { apiAccessClientName: apiClient, apiAccessExcludeFromSessions: exclude }, cached: true });
  beforeAll(async () => {
    ({ app, server: cached } = env);
    await app.durin.clients.create({ name: apiClient, tokenTtl: '365d' });
  });

  test('revokes every session the list shows except the caller’s, and answers how many', async () => {
    const user = await app.createUser({ username: unique('john') });
    const issued = [];
    for (let i = 0; i < 3; i++)
      issued.push(await app.durin.tokens.issue(user, (await app.durin.clients.create({ name: unique('c') })).name));
    const apiKey = await app.durin.tokens.issue(user, apiClient);
    const someoneElse = await app.durin.tokens.issue(await app.createUser({ username: unique('jane') }), issued[0]!.auth.client.name);
    const [mine, ...others] = issued;
    for (const { token } of [...issued, apiKey, someoneElse]) await cached.client(token).me.query(); // all cached now

    const listed = await cached.client(mine!.token).auth.sessions.list.query();
    const revokedEvents: Array<{ tokenHashes: string[]; reason: string }> = [];
    const listener = (event: { tokenHashes: string[]; reason: string }) => revokedEvents.push(event);
    app.durin.events.on('tokenRevoked', listener);
    const result = await cached.client(mine!.token).auth.sessions.revokeOthers.mutate();
    app.durin.events.off('tokenRevoked', listener);

    const gone = exclude ? others : [...others, apiKey];
    expect(result).toEqual({ revoked: listed.length - 1 });
    expect(result.revoked).toBe(gone.length);
    expect(revokedEvents).toEqual([
      { tokenHashes: expect.arrayContaining(gone.map(({ auth }) => auth.tokenHash)), reason: 'sessionRevoked' },
    ]);
    expect(revokedEvents[0]!.tokenHashes).toHaveLength(gone.length);
    for (const { token } of gone) expect((await waitError(cached.client(token).me.query())).message).toBe('Invalid token.');
    // The caller's, someone else's, and the API key when the list hides it, keep working.
    const kept = exclude ? [mine!, someoneElse, apiKey] : [mine!, someoneElse];
    for (const { token, auth } of kept) expect((await cached.client(token).me.query()).tokenId).toBe(Number(auth.id));
    const after = await cached.client(mine!.token).auth.sessions.list.query();
    expect(after.map((session) => session.id)).toEqual([Number(mine!.auth.id)]);
  });

  test('with no other session it revokes nothing', async () => {
    const user = await app.createUser({ username: unique('john') });
    const { token } = await app.durin.tokens.issue(user, (await app.durin.clients.create({ name: unique('c') })).name);
    expect(await cached.client(token).auth.sessions.revokeOthers.mutate()).toEqual({ revoked: 0 });
    expect((await cached.client(token).me.query()).username).toBe(user.username);
  });

  test('anonymous callers are UNAUTHORIZED', async () => {
    const error = await waitError(cached.client().auth.sessions.revokeOthers.mutate());
    expect(error.data?.code).toBe('UNAUTHORIZED');
  });
});
