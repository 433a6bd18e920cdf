import { describe, expect, onTestFinished, test, vi } from 'vitest';
import type { DurinSettings } from '../../src/index.js';
import { startTestAppServer, waitError, type TestServerOptions } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * renewOnUse (knox's AUTO_REFRESH) off the response path, at most one write per token
 * per renewOnUseInterval, tokenRenewed fired, the cached entry sees the new expiry; maxTokenLifetime
 * caps it and `refresh`.
 */
const clock = useClock();
const HOUR = 3600_000;
const MINUTE = 60_000;

async function appWith(settings: DurinSettings, serverOptions: TestServerOptions = {}) {
  const running = await startTestAppServer({ settings: { lastUsedUpdateInterval: null, ...settings }, ...serverOptions });
  onTestFinished(() => running[Symbol.asyncDispose]());
  const { app, server } = running;
  const client = await app.durin.clients.create({ name: unique('web'), tokenTtl: '1h' });
  const user = await app.createUser({ username: unique('john') });
  const at = clock.freeze();
  const { token, auth } = await app.durin.tokens.issue(user, client.name);
  const expiry = async () => (await app.durin.models.AuthToken.findByPk(auth.id))!.expiry.getTime();
  const renewals: Array<{ tokenId: number; newExpiry: number }> = [];
  app.durin.events.on('tokenRenewed', ({ auth: renewed, newExpiry }) =>
    renewals.push({ tokenId: Number(renewed.id), newExpiry: newExpiry.getTime() }),
  );
  const expiryWrites = () => app.db.statements.filter((sql) => /\bUPDATE\b/.test(sql) && /`expiry`|"expiry"/.test(sql)).length;
  return { app, server, token, auth, at, expiry, renewals, expiryWrites };
}

describe.each([false, true])('renewOnUse (cached: %s)', (cached) => {
  test('a use moves the expiry to now + the client TTL, once per interval, firing tokenRenewed', async () => {
    const { app, server, token, auth, at, expiry, renewals, expiryWrites } = await appWith({ renewOnUse: true }, { cached });
    app.db.statements.length = 0;

    clock.freeze(at + 10 * MINUTE);
    for (let i = 0; i < 50; i++) await server.client(token).me.query();
    await app.durin.close();
    expect(await expiry()).toBe(at + 10 * MINUTE + HOUR);
    expect(expiryWrites()).toBe(1);
    expect(renewals).toEqual([{ tokenId: Number(auth.id), newExpiry: at + 10 * MINUTE + HOUR }]);
  });

  test('the next renewal waits for renewOnUseInterval', async () => {
    const { app, server, token, at, expiry, renewals } = await appWith({ renewOnUse: true, renewOnUseInterval: '1m' }, { cached });
    clock.freeze(at + 1000); // issuing is not a renewal: the first use renews
    await server.client(token).me.query();
    await vi.waitFor(async () => expect(await expiry()).toBe(at + 1000 + HOUR));
    clock.freeze(at + 30_000); // within the interval: nothing
    await server.client(token).me.query();
    clock.freeze(at + 61_500);
    await server.client(token).me.query();
    await vi.waitFor(async () => expect(await expiry()).toBe(at + 61_500 + HOUR));
    await app.durin.close();
    expect(renewals.map((renewal) => renewal.newExpiry)).toEqual([at + 1000 + HOUR, at + 61_500 + HOUR]);
  });

  test('a renewed token keeps working past its old expiry', async () => {
    const { server, token, at, expiry } = await appWith({ renewOnUse: true }, { cached });
    clock.freeze(at + 50 * MINUTE);
    await server.client(token).me.query();
    await vi.waitFor(async () => expect(await expiry()).toBe(at + 50 * MINUTE + HOUR));
    clock.freeze(at + 90 * MINUTE); // past the first expiry, before the renewed one
    expect((await server.client(token).me.query()).username).toEqual(expect.any(String));
  });

  test('maxTokenLifetime caps the renewal at created + maxTokenLifetime, and a capped token is not written again', async () => {
    const { app, server, token, at, expiry, renewals, expiryWrites } = await appWith(
      { renewOnUse: true, maxTokenLifetime: '90m' },
      { cached },
    );
    clock.freeze(at + 50 * MINUTE);
    await server.client(token).me.query();
    await vi.waitFor(async () => expect(await expiry()).toBe(at + 90 * MINUTE));
    app.db.statements.length = 0;
    clock.freeze(at + 60 * MINUTE); // due by the interval, but the cap leaves nothing to move
    await server.client(token).me.query();
    clock.freeze(at + 91 * MINUTE);
    expect((await waitError(server.client(token).me.query())).message).toBe('The given token has expired.');
    await app.durin.close();
    expect(expiryWrites()).toBe(0);
    expect(renewals).toHaveLength(1);
  });
});

test('renewOnUse off writes no expiry', async () => {
  const { app, server, token, at, expiry, expiryWrites } = await appWith({});
  app.db.statements.length = 0;
  clock.freeze(at + 10 * MINUTE);
  await server.client(token).me.query();
  await app.durin.close();
  expect(await expiry()).toBe(at + HOUR);
  expect(expiryWrites()).toBe(0);
});

describe('refresh with maxTokenLifetime', () => {
  test('answers and stores the capped expiry', async () => {
    const { server, token, at, expiry, renewals } = await appWith({ maxTokenLifetime: '90m' });
    clock.freeze(at + 10 * MINUTE);
    expect(new Date((await server.client(token).auth.refresh.mutate()).expiry).getTime()).toBe(at + 70 * MINUTE);
    clock.freeze(at + 50 * MINUTE);
    expect(new Date((await server.client(token).auth.refresh.mutate()).expiry).getTime()).toBe(at + 90 * MINUTE);
    expect(await expiry()).toBe(at + 90 * MINUTE);
    expect(renewals.map((renewal) => renewal.newExpiry)).toEqual([at + 70 * MINUTE, at + 90 * MINUTE]);
  });

  test('without it, refresh is now + TTL as before', async () => {
    const { server, token, at } = await appWith({});
    clock.freeze(at + 50 * MINUTE);
    expect(new Date((await server.client(token).auth.refresh.mutate()).expiry).getTime()).toBe(at + 50 * MINUTE + HOUR);
  });
});
