import { expect, onTestFinished, test, vi } from 'vitest';
import type { DurinCacheBusLink, DurinCacheBus } from '../../src/core/bus.js';
import { createDurin, type DurinSettings } from '../../src/index.js';
import type { DurinLivenessMessage } from '../../src/core/liveness.js';
import { defineUser, hashPassword } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * Session metadata meets the bus: a renewOnUse renewal and sessions.revokeOthers reach the bus like every other
 * change. The bus here is an in-process implementation of the DurinCacheBus contract that keeps what
 * durin publishes (the Redis one is tested against a real redis-server in its own suite).
 */
const clock = useClock();

function recordingBus(): DurinCacheBus & { published: DurinLivenessMessage[] } {
  const published: DurinLivenessMessage[] = [];
  return {
    published,
    healthy: true,
    connect(_link: DurinCacheBusLink) {},
    publish(message) {
      published.push(message);
    },
    async close() {},
  };
}

async function durinWithBus(settings: DurinSettings) {
  const db = await createTestDatabase();
  onTestFinished(() => db.close());
  const User = defineUser(db);
  const bus = recordingBus();
  const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser: () => null, settings, cacheBus: bus });
  await User.sync();
  await durin.sync();
  await durin.clients.create({ name: 'web', tokenTtl: '1h' });
  const user = await User.create({ username: unique('john'), passwordHash: hashPassword('pw') });
  return { durin, bus, user };
}

test('a renewOnUse renewal publishes { type: "renewed", tokenHash, expiry } with the new expiry', async () => {
  const { durin, bus, user } = await durinWithBus({ renewOnUse: true, lastUsedUpdateInterval: null });
  const at = clock.freeze();
  const { token, auth } = await durin.tokens.issue(user, 'web');
  clock.freeze(at + 5 * 60_000);
  await durin.createCachedDurinContext({ headers: { authorization: `Token ${token}` } });
  await durin.close();
  // The issue and the renewal each tell sessions.watch (userChanged); the renewal carries its new expiry.
  expect(bus.published).toEqual([
    { type: 'userChanged', userId: String(auth.userId) },
    { type: 'renewed', tokenHash: auth.tokenHash, expiry: at + 5 * 60_000 + 3600_000 },
    { type: 'userChanged', userId: String(auth.userId) },
  ]);
});

test('sessions.revokeOthers publishes the revoked digests', async () => {
  const { durin, bus, user } = await durinWithBus({ lastUsedUpdateInterval: null });
  await durin.clients.create({ name: 'mobile' });
  await durin.clients.create({ name: 'cli' });
  const mine = await durin.tokens.issue(user, 'web');
  const others = [await durin.tokens.issue(user, 'mobile'), await durin.tokens.issue(user, 'cli')];
  const caller = durin.router.createCaller(await durin.createDurinContext({ headers: { authorization: `Token ${mine.token}` } }));
  expect(await caller.sessions.revokeOthers()).toEqual({ revoked: 2 });
  await vi.waitFor(() => expect(bus.published.filter((m) => m.type === 'revoked')).toHaveLength(1));
  const [message] = bus.published.filter((m) => m.type === 'revoked');
  expect(message).toMatchObject({ type: 'revoked' });
  expect([...(message as { tokenHashes: readonly string[] }).tokenHashes].sort()).toEqual(others.map(({ auth }) => auth.tokenHash).sort());
});

test('an expiry found at lookup publishes the digest revoked and the user changed', async () => {
  const { durin, bus, user } = await durinWithBus({ lastUsedUpdateInterval: null });
  const at = clock.freeze();
  const { token, auth } = await durin.tokens.issue(user, 'web');
  clock.freeze(at + 3600_000 + 1);
  const ctx = await durin.createDurinContext({ headers: { authorization: `Token ${token}` } });
  expect(ctx.durin.failure?.error).toBe('TOKEN_EXPIRED');
  expect(bus.published.slice(1)).toEqual([
    { type: 'revoked', tokenHashes: [auth.tokenHash] },
    { type: 'userChanged', userId: String(auth.userId) },
  ]);
});
