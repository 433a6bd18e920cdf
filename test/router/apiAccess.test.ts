import { beforeAll, describe, expect, test } from 'vitest';
import { hashToken } from '../../src/index.js';
import { startTestAppServer, useTestServer, waitError } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** apiAccess.get/create/revoke: durin's SessionAndAPIAccessViewsTestCase, API-access part. */
const clock = useClock();
const API_CLIENT = 'sessionsapiaccesstestcase_client';

describe('apiAccess', () => {
  const env = useTestServer({ settings: { apiAccessClientName: API_CLIENT } });

  beforeAll(async () => {
    await env.app.durin.clients.create({ name: API_CLIENT, tokenTtl: '30d' });
  });

  async function loggedIn() {
    const client = await env.app.durin.clients.create({ name: unique('web') });
    const user = await env.app.createUser({ username: unique('john') });
    const { token } = await env.app.durin.tokens.issue(user, client.name);
    return { user, api: env.server.client(token).auth.apiAccess };
  }

  test('get without a key is NOT_FOUND "Not found."', async () => {
    const { api } = await loggedIn();
    const error = await waitError(api.get.query());
    expect(error.data?.code).toBe('NOT_FOUND');
    expect(error.message).toBe('Not found.');
  });

  test('create shows the token once; get never does; the key authenticates', async () => {
    const { user, api } = await loggedIn();
    const at = clock.freeze();
    const created = await api.create.mutate();
    expect(created).toEqual({
      client: API_CLIENT,
      created: new Date(at),
      expiry: new Date(at + 30 * 86_400_000),
      hasExpired: false,
      token: expect.stringMatching(/^[0-9a-f]{72}$/),
    });
    const row = await env.app.durin.models.AuthToken.findOne({ where: { userId: user.id, tokenHash: hashToken(created.token) } });
    expect(row).not.toBeNull();
    const fetched = await api.get.query();
    expect(fetched).toEqual({ client: API_CLIENT, created: new Date(at), expiry: new Date(at + 30 * 86_400_000), hasExpired: false });
    expect((await env.server.client(created.token).me.query()).client).toBe(API_CLIENT);
  });

  test('a second create is CONFLICT', async () => {
    const { api } = await loggedIn();
    await api.create.mutate();
    const error = await waitError(api.create.mutate());
    expect(error.data?.code).toBe('CONFLICT');
    expect(error.message).toBe('An API token was already issued to you.');
  });

  test('create replaces an expired key (durin refused until it was deleted)', async () => {
    const { api, user } = await loggedIn();
    const first = await api.create.mutate();
    clock.travel(31 * 86_400_000);
    const { token } = await env.app.durin.tokens.issue(user, (await env.app.durin.clients.create({ name: unique('web') })).name);
    const second = await env.server.client(token).auth.apiAccess.create.mutate();
    expect(second.token).not.toBe(first.token);
    expect(second.hasExpired).toBe(false);
  });

  test('revoke deletes the key, which stops working; a second revoke is NOT_FOUND', async () => {
    const { api, user } = await loggedIn();
    const { token } = await api.create.mutate();
    const revoked: unknown[] = [];
    const listener = (event: unknown) => revoked.push(event);
    env.app.durin.events.on('tokenRevoked', listener);
    await api.revoke.mutate();
    env.app.durin.events.off('tokenRevoked', listener);
    expect(revoked).toEqual([{ tokenHashes: [hashToken(token)], reason: 'apiAccessRevoked' }]);
    expect(await env.app.durin.models.AuthToken.count({ where: { userId: user.id } })).toBe(1);
    expect((await waitError(env.server.client(token).me.query())).message).toBe('Invalid token.');
    expect((await waitError(api.revoke.mutate())).data?.code).toBe('NOT_FOUND');
  });

  test('the key can manage itself (requests may be authed with it)', async () => {
    const { api } = await loggedIn();
    const { token } = await api.create.mutate();
    expect((await env.server.client(token).auth.apiAccess.get.query()).client).toBe(API_CLIENT);
  });

  test('logoutAll removes it too, as in durin', async () => {
    const { api, user } = await loggedIn();
    const { token } = await api.create.mutate();
    const other = await env.app.durin.clients.create({ name: unique('mobile') });
    const { token: mobile } = await env.app.durin.tokens.issue(user, other.name);
    await env.server.client(mobile).auth.logoutAll.mutate();
    expect((await waitError(env.server.client(token).me.query())).message).toBe('Invalid token.');
  });
});

describe('apiAccess not configured', () => {
  test('without apiAccessClientName: PRECONDITION_FAILED naming the setting', async () => {
    await using running = await startTestAppServer();
    const { app, server } = running;
    const client = await app.durin.clients.create({ name: 'web' });
    const { token } = await app.durin.tokens.issue(await app.createUser(), client.name);
    const api = server.client(token).auth.apiAccess;
    // One at a time: three calls started together leave two rejections unobserved until awaited.
    for (const call of [() => api.get.query(), () => api.create.mutate(), () => api.revoke.mutate()]) {
      const error = await waitError(call());
      expect(error.data?.code).toBe('PRECONDITION_FAILED');
      expect(error.message).toBe('API access is not configured: set settings.apiAccessClientName.');
    }
  });

  test('without the client row: PRECONDITION_FAILED saying which client to create', async () => {
    await using running = await startTestAppServer({ settings: { apiAccessClientName: 'api' } });
    const { app, server } = running;
    const client = await app.durin.clients.create({ name: 'web' });
    const { token } = await app.durin.tokens.issue(await app.createUser(), client.name);
    const error = await waitError(server.client(token).auth.apiAccess.create.mutate());
    expect(error.data?.code).toBe('PRECONDITION_FAILED');
    expect(error.message).toBe('API access is not configured: no client named "api" exists; create it (trpc-durin create-client api).');
  });
});
