import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashToken } from '../../src/core/crypto.js';
import { createTestApp, hashPassword, type TestApp } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** a listener that throws never interrupts or half-undoes what fired it. */
describe('throwing listeners', () => {
  const clock = useClock();
  let app: TestApp;
  let server: TestServer;
  const reported: Array<{ event: string; error: unknown }> = [];
  beforeAll(async () => {
    app = await createTestApp();
    server = await startTestServer(app);
    app.durin.events.on('listenerError', (report) => reported.push(report));
  });
  afterAll(async () => {
    await server.close();
    await app.close();
  });
  const boom = () => {
    throw new Error('listener boom');
  };

  test('a throwing tokenRevoked listener: a rotating tokens.issue still returns the new, working token', async () => {
    reported.length = 0;
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    const first = await app.durin.tokens.issue(user, client);
    app.durin.events.on('tokenRevoked', boom);
    try {
      const second = await app.durin.tokens.issue(user, client);
      await expect(server.client(second.token).me.query()).resolves.toMatchObject({ id: user.id });
      await expect(server.client(first.token).me.query()).rejects.toThrow('Invalid token.');
      expect(reported).toEqual([{ event: 'tokenRevoked', error: new Error('listener boom') }]);
    } finally {
      app.durin.events.off('tokenRevoked', boom);
    }
  });

  test('a throwing tokenRevoked listener: a bulk revocation completes every batch', async () => {
    reported.length = 0;
    const client = await app.durin.clients.create({ name: unique('bulk') });
    const count = 1200; // three batches of 500
    const prefix = unique('bulk');
    const users = await app.User.bulkCreate(
      Array.from({ length: count }, (_, i) => ({ username: `${prefix}-${i}`, passwordHash: hashPassword('x'), isActive: true })),
    );
    const past = new Date(Date.now() - 60_000);
    await app.durin.models.AuthToken.bulkCreate(
      users.map((user, i) => ({
        tokenHash: hashToken(`${prefix}-${i}`),
        userId: user.id,
        clientId: client.id,
        created: past,
        expiry: past,
      })),
    );
    app.durin.events.on('tokenRevoked', boom);
    try {
      await expect(app.durin.tokens.removeExpired()).resolves.toBe(count);
    } finally {
      app.durin.events.off('tokenRevoked', boom);
    }
    expect(await app.durin.models.AuthToken.count({ where: { clientId: client.id } })).toBe(0);
    expect(reported).toHaveLength(3);
  });

  test('a throwing tokenExpired listener: an expired token is still 401 "The given token has expired."', async () => {
    reported.length = 0;
    const user = await app.createUser();
    const client = await app.durin.clients.create({ name: unique('web'), tokenTtl: 60 });
    const { token } = await app.durin.tokens.issue(user, client);
    app.durin.events.on('tokenExpired', boom);
    try {
      clock.travel(61_000);
      const response = await server.raw('me', { headers: { authorization: `Token ${token}` } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { json: { message: string } } }).error.json.message).toBe('The given token has expired.');
    } finally {
      app.durin.events.off('tokenExpired', boom);
    }
    expect(reported.map((r) => r.event)).toEqual(['tokenExpired']);
  });

  test('a throwing tokenCreated / userLoggedIn listener: login still answers the token', async () => {
    reported.length = 0;
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client });
    app.durin.events.on('tokenCreated', boom).on('userLoggedIn', boom);
    try {
      const { token } = await server.client().auth.login.mutate({ username: user.username, password: 'hunter2', client });
      await expect(server.client(token).me.query()).resolves.toMatchObject({ id: user.id });
    } finally {
      app.durin.events.off('tokenCreated', boom).off('userLoggedIn', boom);
    }
    expect(reported.map((r) => r.event)).toEqual(['tokenCreated', 'userLoggedIn']);
  });
});
