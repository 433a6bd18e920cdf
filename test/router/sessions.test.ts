import { beforeAll, describe, expect, test } from 'vitest';
import { useTestServer, waitError } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** sessions.list and sessions.revoke: durin's SessionAndAPIAccessViewsTestCase, sessions part. */
const clock = useClock();

describe.each([false, true])('sessions (apiAccessExcludeFromSessions: %s)', (exclude) => {
  const apiClient = 'sessionsapiaccesstestcase_client';
  // Usage tracking off: the metadata columns stay null here (test/router/sessionMetadata.test.ts covers them).
  const env = useTestServer({
    settings: { apiAccessClientName: apiClient, apiAccessExcludeFromSessions: exclude, lastUsedUpdateInterval: null },
  });

  beforeAll(async () => {
    await env.app.durin.clients.create({ name: apiClient, tokenTtl: '365d' });
  });

  async function userWithTokens(clientCount: number) {
    const user = await env.app.createUser({ username: unique('john') });
    const issued = [];
    for (let i = 0; i < clientCount; i++) {
      const client = await env.app.durin.clients.create({ name: unique('client'), tokenTtl: '1h' });
      issued.push({ client, ...(await env.app.durin.tokens.issue(user, client.name)) });
    }
    return { user, issued };
  }

  test("lists the caller's tokens by id, without token or digest", async () => {
    const { issued } = await userWithTokens(2);
    await userWithTokens(1); // someone else's
    const current = issued[1]!;
    const sessions = await env.server.client(current.token).auth.sessions.list.query();
    expect(sessions).toEqual(
      issued.map(({ auth, client }) => ({
        id: Number(auth.id),
        client: client.name,
        created: auth.created,
        expiry: auth.expiry,
        hasExpired: false,
        isCurrent: auth.id === current.auth.id,
        name: null,
        lastUsedAt: null,
        lastIp: null,
        userAgent: null,
      })),
    );
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual([
        'client',
        'created',
        'expiry',
        'hasExpired',
        'id',
        'isCurrent',
        'lastIp',
        'lastUsedAt',
        'name',
        'userAgent',
      ]);
    }
  });

  test('marks expired tokens with hasExpired', async () => {
    const { user, issued } = await userWithTokens(1);
    const longLived = await env.app.durin.clients.create({ name: unique('long'), tokenTtl: '7d' });
    const { token } = await env.app.durin.tokens.issue(user, longLived.name);
    clock.travel(2 * 3600_000);
    const sessions = await env.server.client(token).auth.sessions.list.query();
    expect(sessions.map((s) => [s.id, s.hasExpired])).toEqual([
      [Number(issued[0]!.auth.id), true],
      [expect.any(Number), false],
    ]);
  });

  test(`${exclude ? 'hides' : 'shows'} the API-access token`, async () => {
    const { user, issued } = await userWithTokens(1);
    await env.app.durin.tokens.issue(user, apiClient);
    const sessions = await env.server.client(issued[0]!.token).auth.sessions.list.query();
    expect(sessions.map((s) => s.client)).toEqual(exclude ? [issued[0]!.client.name] : [issued[0]!.client.name, apiClient]);
  });

  test('revoke deletes another of my tokens, which then stops working', async () => {
    const { user, issued } = await userWithTokens(2);
    const [mine, other] = issued;
    const revoked: unknown[] = [];
    const listener = (event: unknown) => revoked.push(event);
    env.app.durin.events.on('tokenRevoked', listener);
    await env.server.client(mine!.token).auth.sessions.revoke.mutate({ id: Number(other!.auth.id) });
    env.app.durin.events.off('tokenRevoked', listener);
    expect(revoked).toEqual([{ tokenHashes: [other!.auth.tokenHash], reason: 'sessionRevoked' }]);
    expect(await env.app.durin.models.AuthToken.count({ where: { userId: user.id } })).toBe(1);
    expect((await waitError(env.server.client(other!.token).me.query())).message).toBe('Invalid token.');
  });

  test("another user's session or an unknown id is NOT_FOUND", async () => {
    const { issued } = await userWithTokens(1);
    const { issued: theirs } = await userWithTokens(1);
    for (const id of [Number(theirs[0]!.auth.id), 999_999_999]) {
      const error = await waitError(env.server.client(issued[0]!.token).auth.sessions.revoke.mutate({ id }));
      expect(error.data?.code).toBe('NOT_FOUND');
      expect(error.message).toBe('Not found.');
    }
    expect((await env.server.client(theirs[0]!.token).me.query()).tokenId).toBe(Number(theirs[0]!.auth.id));
  });

  test('the calling token cannot be revoked here: BAD_REQUEST, use logout', async () => {
    const { issued } = await userWithTokens(1);
    const error = await waitError(env.server.client(issued[0]!.token).auth.sessions.revoke.mutate({ id: Number(issued[0]!.auth.id) }));
    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.message).toBe("Can't delete token if the request is authed with it. Use logout instead.");
    expect((await env.server.client(issued[0]!.token).me.query()).tokenId).toBe(Number(issued[0]!.auth.id));
  });

  test('rejects a malformed id and anonymous callers', async () => {
    const { issued } = await userWithTokens(1);
    const bad = await waitError(env.server.client(issued[0]!.token).auth.sessions.revoke.mutate({ id: -1 }));
    expect(bad.data?.code).toBe('BAD_REQUEST');
    expect((await waitError(env.server.client().auth.sessions.list.query())).data?.code).toBe('UNAUTHORIZED');
  });
});
