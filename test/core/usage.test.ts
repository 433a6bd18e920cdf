import { describe, expect, onTestFinished, test, vi } from 'vitest';
import type { DurinSettings } from '../../src/index.js';
import { startTestAppServer, type TestServerOptions } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/**
 * usage recording (lastUsedAt, lastIp, userAgent) at most once per
 * lastUsedUpdateInterval per token, on cached and uncached requests alike, off the response path.
 */
const clock = useClock();

async function appWith(settings: DurinSettings = {}, options: TestServerOptions & { closesItsDatabase?: boolean } = {}) {
  const { closesItsDatabase, ...serverOptions } = options;
  const running = await startTestAppServer({ settings, ...serverOptions });
  // SQLite's close() throws when the test already closed the database on purpose.
  onTestFinished(() => {
    const closing = Promise.resolve(running[Symbol.asyncDispose]());
    return closesItsDatabase ? closing.catch(() => {}) : closing;
  });
  const { app, server } = running;
  const client = await app.durin.clients.create({ name: unique('web') });
  const user = await app.createUser({ username: unique('john') });
  const { token, auth } = await app.durin.tokens.issue(user, client.name);
  const row = () => app.durin.models.AuthToken.findByPk(auth.id);
  const updates = () => app.db.statements.filter((sql) => /\bUPDATE\b/.test(sql)).length;
  return { app, server, token, auth, row, updates };
}

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0';

describe.each([false, true])('usage recording (cached: %s)', (cached) => {
  test('50 requests with one token write lastUsedAt, lastIp and userAgent once per interval', async () => {
    const { app, server, token, row, updates } = await appWith({}, { cached });
    app.db.statements.length = 0;
    for (let i = 0; i < 50; i++) await server.client(token, { 'user-agent': UA }).me.query();
    await vi.waitFor(async () => expect((await row())!.lastUsedAt).not.toBeNull());
    expect(updates()).toBe(1);
    // Per request 1 SELECT on a miss, 0 on a hit, plus the one UPDATE (and the row() reads above).
    const lookups = app.db.statements.filter((sql) => /\bJOIN\b/.test(sql)).length;
    expect(lookups).toBe(cached ? 1 : 50);
    expect(await row()).toMatchObject({ lastIp: '127.0.0.1', userAgent: UA });

    clock.travel(5 * 60_000 + 1000); // the default interval, "5m", has passed
    const first = (await row())!.lastUsedAt!.getTime();
    for (let i = 0; i < 50; i++) await server.client(token, { 'user-agent': 'curl/8.5' }).me.query();
    await vi.waitFor(async () => expect((await row())!.userAgent).toBe('curl/8.5'));
    await app.durin.close();
    expect(updates()).toBe(2);
    expect((await row())!.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(first + 5 * 60_000);
  });

  test('lastUsedUpdateInterval: null records nothing', async () => {
    const { app, server, token, row, updates } = await appWith({ lastUsedUpdateInterval: null }, { cached });
    app.db.statements.length = 0;
    for (let i = 0; i < 50; i++) await server.client(token, { 'user-agent': UA }).me.query();
    await app.durin.close();
    expect(updates()).toBe(0);
    expect(await row()).toMatchObject({ lastUsedAt: null, lastIp: null, userAgent: null });
  });

  test('concurrent requests with one token schedule one write', async () => {
    const { app, token, updates } = await appWith();
    const factory = cached ? app.durin.createCachedDurinContext : app.durin.createDurinContext;
    app.db.statements.length = 0;
    const contexts = await Promise.all(
      Array.from({ length: 20 }, () => factory({ headers: { authorization: `Token ${token}`, 'user-agent': UA }, ip: '198.51.100.4' })),
    );
    expect(contexts.every((ctx) => ctx.user !== null)).toBe(true);
    await app.durin.close();
    expect(updates()).toBe(1);
  });
});

test('the context resolves before the usage write is sent (off the response path)', async () => {
  const { app, token, row, updates } = await appWith();
  app.db.statements.length = 0;
  const ctx = await app.durin.createDurinContext({ headers: { authorization: `Token ${token}` }, ip: '198.51.100.4' });
  expect(ctx.user).not.toBeNull();
  expect(app.db.statements).toHaveLength(1); // the lookup; the UPDATE is still to come
  await app.durin.close();
  expect(updates()).toBe(1);
  expect(await row()).toMatchObject({ lastIp: '198.51.100.4', userAgent: null });
});

test('the User-Agent is cut to 255 characters and the IP to 45', async () => {
  const { app, token, row } = await appWith();
  const ip = `2001:db8:${'1:'.repeat(30)}1`;
  await app.durin.createDurinContext({ headers: { authorization: `Token ${token}`, 'user-agent': 'x'.repeat(1000) }, ip });
  await app.durin.close();
  const stored = (await row())!;
  expect(stored.userAgent).toBe('x'.repeat(255));
  expect(stored.lastIp).toBe(ip.slice(0, 45));
});

test('a row used recently in another process is not written again within the interval', async () => {
  const { app, token, row, updates } = await appWith();
  await app.durin.models.AuthToken.update({ lastUsedAt: new Date(Date.now() - 60_000) }, { where: { id: (await row())!.id } });
  app.db.statements.length = 0;
  await app.durin.createDurinContext({ headers: { authorization: `Token ${token}` }, ip: '198.51.100.4' });
  await app.durin.close();
  expect(updates()).toBe(0);
});

test('a failing write (database closed after the lookup) neither fails the request nor crashes the process', async () => {
  const { app, server, token, row } = await appWith({}, { closesItsDatabase: true, cached: true });
  const degraded: Array<{ component: string; error: unknown }> = [];
  app.durin.events.on('degraded', (event) => degraded.push(event));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  onTestFinished(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  await server.client(token).me.query(); // the lookup, cached from now on, and a first usage write
  await vi.waitFor(async () => expect((await row())!.lastUsedAt).not.toBeNull());
  clock.travel(6 * 60_000); // the next use is due for a write
  await app.db.sequelize.close();

  expect(await server.client(token).me.query()).toMatchObject({ tokenId: expect.any(Number) });
  await vi.waitFor(() => expect(degraded).toHaveLength(1));
  expect(degraded[0]!.component).toBe('usage');
  expect(degraded[0]!.error).toBeInstanceOf(Error);
  // A second failure in the same outage is not reported again.
  clock.travel(6 * 60_000);
  expect(await server.client(token).me.query()).toMatchObject({ tokenId: expect.any(Number) });
  await app.durin.close();
  expect(degraded).toHaveLength(1);
  expect(unhandled).toEqual([]);
});

test('a refused write reports degraded once, and the next successful write reports recovered', async () => {
  const { app, token, row, updates } = await appWith();
  const events: string[] = [];
  app.durin.events.on('degraded', ({ component }) => events.push(`degraded ${component}`));
  app.durin.events.on('recovered', ({ component }) => events.push(`recovered ${component}`));
  const refuse =
    app.db.dialect === 'sqlite'
      ? "CREATE TRIGGER durin_refuse BEFORE UPDATE ON durin_authtoken BEGIN SELECT RAISE(ABORT, 'usage writes refused'); END"
      : "CREATE TRIGGER durin_refuse BEFORE UPDATE ON durin_authtoken FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'usage writes refused'";
  await app.db.sequelize.query(refuse);
  const use = () => app.durin.createCachedDurinContext({ headers: { authorization: `Token ${token}` }, ip: '198.51.100.4' });

  expect((await use()).user).not.toBeNull();
  await vi.waitFor(() => expect(events).toEqual(['degraded usage']));
  clock.travel(6 * 60_000);
  app.db.statements.length = 0;
  expect((await use()).user).not.toBeNull(); // refused again, in the same outage: not reported again
  await vi.waitFor(() => expect(updates()).toBe(1)); // sent before the trigger goes
  await app.db.sequelize.query('DROP TRIGGER durin_refuse');
  clock.travel(6 * 60_000);
  expect((await use()).user).not.toBeNull();
  await app.durin.close();
  expect(events).toEqual(['degraded usage', 'recovered usage']);
  expect((await row())!.lastIp).toBe('198.51.100.4');
});
