import { beforeAll, describe, expect, test } from 'vitest';
import { hashToken } from '../../src/core/crypto.js';
import { hashPassword } from '../helpers/app.js';
import { useTestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** a listener that throws never interrupts or half-undoes what fired it. */
describe('throwing listeners', () => {
  const clock = useClock();
  const env = useTestServer();
  const reported: Array<{ event: string; error: unknown }> = [];
  beforeAll(async () => {
    env.app.durin.events.on('listenerError', (report) => reported.push(report));
  });
  const boom = () => {
    throw new Error('listener boom');
  };

  test('a throwing tokenRevoked listener: a rotating tokens.issue still returns the new, working token', async () => {
    reported.length = 0;
    const user = await env.app.createUser();
    const client = unique('web');
    await env.app.durin.clients.create({ name: client });
    const first = await env.app.durin.tokens.issue(user, client);
    env.app.durin.events.on('tokenRevoked', boom);
    try {
      const second = await env.app.durin.tokens.issue(user, client);
      await expect(env.server.client(second.token).me.query()).resolves.toMatchObject({ id: user.id });
      await expect(env.server.client(first.token).me.query()).rejects.toThrow('Invalid token.');
      expect(reported).toEqual([{ event: 'tokenRevoked', error: new Error('listener boom') }]);
    } finally {
      env.app.durin.events.off('tokenRevoked', boom);
    }
  });

  test('a throwing tokenRevoked listener: a bulk revocation completes every batch', async () => {
    reported.length = 0;
    const client = await env.app.durin.clients.create({ name: unique('bulk') });
    const count = 1200; // three batches of 500
    const prefix = unique('bulk');
    const users = await env.app.User.bulkCreate(
      Array.from({ length: count }, (_, i) => ({ username: `${prefix}-${i}`, passwordHash: hashPassword('x'), isActive: true })),
    );
    const past = new Date(Date.now() - 60_000);
    await env.app.durin.models.AuthToken.bulkCreate(
      users.map((user, i) => ({
        tokenHash: hashToken(`${prefix}-${i}`),
        userId: user.id,
        clientId: client.id,
        created: past,
        expiry: past,
      })),
    );
    env.app.durin.events.on('tokenRevoked', boom);
    try {
      await expect(env.app.durin.tokens.removeExpired()).resolves.toBe(count);
    } finally {
      env.app.durin.events.off('tokenRevoked', boom);
    }
    expect(await env.app.durin.models.AuthToken.count({ where: { clientId: client.id } })).toBe(0);
    expect(reported).toHaveLength(3);
  });

  test('a throwing tokenExpired listener: an expired token is still 401 "The given token has expired."', async () => {
    reported.length = 0;
    const user = await env.app.createUser();
    const client = await env.app.durin.clients.create({ name: unique('web'), tokenTtl: 60 });
    const { token } = await env.app.durin.tokens.issue(user, client);
    env.app.durin.events.on('tokenExpired', boom);
    try {
      clock.travel(61_000);
      const response = await env.server.raw('me', { headers: { authorization: `Token ${token}` } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { json: { message: string } } }).error.json.message).toBe('The given token has expired.');
    } finally {
      env.app.durin.events.off('tokenExpired', boom);
    }
    expect(reported.map((r) => r.event)).toEqual(['tokenExpired']);
  });

  test('a throwing tokenCreated / userLoggedIn listener: login still answers the token', async () => {
    reported.length = 0;
    const user = await env.app.createUser();
    const client = unique('web');
    await env.app.durin.clients.create({ name: client });
    env.app.durin.events.on('tokenCreated', boom).on('userLoggedIn', boom);
    try {
      const { token } = await env.server.client().auth.login.mutate({ username: user.username, password: 'hunter2', client });
      await expect(env.server.client(token).me.query()).resolves.toMatchObject({ id: user.id });
    } finally {
      env.app.durin.events.off('tokenCreated', boom).off('userLoggedIn', boom);
    }
    expect(reported.map((r) => r.event)).toEqual(['tokenCreated', 'userLoggedIn']);
  });
});
