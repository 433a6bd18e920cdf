import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDurin, DurinConfigError, type DurinAdminAction, type DurinRevokeReason } from '../../src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startTestServer, useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/**
 * The admin router (durin's ClientAdmin and AuthTokenAdmin as procedures) over HTTP with a real tRPC
 * client: who may call it, what each procedure does, and that every revocation and client change
 * reaches the cache, as a cached context shows.
 */

const HOUR = 3600;

type Client = ReturnType<TestServer['client']>;
type Caller = (client: Client) => Promise<unknown>;

/** Every procedure under `admin.` in the app's router, with how to call it. */
function adminProcedures(app: TestApp): Array<[string, Caller]> {
  const procedures = (app.router._def as unknown as { procedures: Record<string, { _def: { type: string } }> }).procedures;
  return Object.entries(procedures)
    .filter(([path]) => path.startsWith('admin.'))
    .map(([path, procedure]) => {
      const call: Caller = (client) => {
        const target = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], client) as {
          query(input: unknown): Promise<unknown>;
          mutate(input: unknown): Promise<unknown>;
        };
        return procedure._def.type === 'query' ? target.query({}) : target.mutate({});
      };
      return [path, call];
    });
}

describe('admin router', () => {
  let app: TestApp;
  let unconfigured: TestApp;
  let server: TestServer;
  let cached: TestServer;
  let unconfiguredServer: TestServer;

  // Async on purpose: isAdmin may look the user's role up.
  const env = useTestServer({ isAdmin: async (user) => user.username.startsWith('admin'), settings: { apiAccessClientName: 'api' } });
  const unconfiguredEnv = useTestServer();
  beforeAll(async () => {
    ({ app, server } = env);
    ({ app: unconfigured, server: unconfiguredServer } = unconfiguredEnv);
    await app.durin.clients.create({ name: 'api' });
    // A second, cached server on the same app.
    cached = await startTestServer(app, { cached: true });
  });
  afterAll(() => cached.close());

  async function newClient(on: TestApp = app, fields: { tokenTtl?: string; throttleRate?: string } = {}) {
    const name = unique('c');
    await on.durin.clients.create({ name, ...fields });
    return name;
  }
  async function login(prefix: string, client?: string, on: TestApp = app) {
    const user = await on.createUser({ username: unique(prefix) });
    const { token, auth } = await on.durin.tokens.issue(user, client ?? (await newClient(on)));
    return { user, token, auth };
  }
  const adminClient = async () => server.client((await login('admin')).token).admin;
  function record<K extends 'adminAction' | 'tokenRevoked'>(event: K) {
    const seen: unknown[] = [];
    const listener = (payload: unknown) => seen.push(payload);
    app.durin.events.on(event, listener as never);
    return { seen, stop: () => app.durin.events.off(event, listener as never) };
  }

  describe('who may call it', () => {
    test('every admin procedure refuses anonymous callers (UNAUTHORIZED) and non-admins (FORBIDDEN ADMIN_REQUIRED)', async () => {
      const procedures = adminProcedures(app);
      expect(procedures.map(([path]) => path).sort()).toEqual([
        'admin.clients.create',
        'admin.clients.delete',
        'admin.clients.list',
        'admin.clients.update',
        'admin.tokens.list',
        'admin.tokens.revoke',
        'admin.users.revokeAll',
      ]);
      const { token } = await login('john');
      for (const [path, call] of procedures) {
        const anonymous = await waitError(call(server.client()));
        expect([path, anonymous.data?.code, anonymous.message]).toEqual([
          path,
          'UNAUTHORIZED',
          'Authentication credentials were not provided.',
        ]);
        const refused = await waitError(call(server.client(token)));
        expect([path, refused.data?.code, refused.data?.durinCode, refused.message]).toEqual([
          path,
          'FORBIDDEN',
          'ADMIN_REQUIRED',
          'You do not have permission to perform this action.',
        ]);
      }
    });

    test('without the isAdmin option every admin procedure is FORBIDDEN ADMIN_NOT_CONFIGURED', async () => {
      const { token } = await login('admin', undefined, unconfigured);
      for (const [path, call] of adminProcedures(unconfigured)) {
        const error = await waitError(call(unconfiguredServer.client(token)));
        expect([path, error.data?.code, error.data?.durinCode, error.message]).toEqual([
          path,
          'FORBIDDEN',
          'ADMIN_NOT_CONFIGURED',
          'Administration is not configured.',
        ]);
      }
    });

    test('isAdmin must be a function, checked at start-up; only true lets a user in', async () => {
      const options = { sequelize: app.db.sequelize, userModel: app.User, authenticateUser: () => null };
      expect(() => createDurin({ ...options, isAdmin: 'demo' as never })).toThrow(DurinConfigError);
      expect(() => createDurin({ ...options, isAdmin: 'demo' as never })).toThrow(
        'trpc-durin: invalid option "isAdmin": expected a function',
      );
      // A truthy non-boolean (a role name, say) is not a yes.
      const loose = await createTestApp({ db: app.db, isAdmin: (user) => user.username as never });
      const looseServer = await startTestServer(loose);
      try {
        const { token } = await login('admin', undefined, loose);
        const error = await waitError(looseServer.client(token).admin.clients.list.query());
        expect(error.data?.durinCode).toBe('ADMIN_REQUIRED');
      } finally {
        await looseServer.close();
      }
    });
  });

  describe('clients', () => {
    test('list shows every client as stored; create validates as durin.clients.create does', async () => {
      const admin = await adminClient();
      const name = unique('mobile');
      const audit = record('adminAction');
      expect(await admin.clients.create.mutate({ name, tokenTtl: '2d', throttleRate: '10/m', abilities: ['posts:read'] })).toEqual({
        name,
        tokenTtl: 2 * 86_400,
        throttleRate: '10/m',
        abilities: ['posts:read'],
      });
      audit.stop();
      expect(audit.seen).toEqual([{ actorId: expect.anything(), action: 'clients.create', target: name }]);
      const listed = await admin.clients.list.query();
      expect(listed.find((c) => c.name === name)).toEqual({ name, tokenTtl: 172_800, throttleRate: '10/m', abilities: ['posts:read'] });
      const plain = await newClient();
      expect(listed.some((c) => c.name === plain)).toBe(false); // created after the list was read
      expect((await admin.clients.list.query()).find((c) => c.name === plain)).toEqual({
        name: plain,
        tokenTtl: 86_400,
        throttleRate: '',
        abilities: null,
      });

      const badTtl = await waitError(admin.clients.create.mutate({ name: unique('x'), tokenTtl: 'soon' }));
      expect([badTtl.data?.code, badTtl.data?.durinCode]).toEqual(['BAD_REQUEST', 'INVALID_INPUT']);
      expect(badTtl.message).toMatch(/^Invalid tokenTtl: expected .* \(got "soon"\)$/);
      const badRate = await waitError(admin.clients.create.mutate({ name: unique('x'), throttleRate: 'lots' }));
      expect(badRate.message).toMatch(/^Invalid throttleRate: /);
      const taken = await waitError(admin.clients.create.mutate({ name }));
      expect([taken.data?.code, taken.data?.durinCode, taken.message]).toEqual([
        'CONFLICT',
        'CLIENT_EXISTS',
        `A client named "${name}" already exists.`,
      ]);
      const blank = await waitError(admin.clients.create.mutate({ name: '' }));
      expect(blank.data?.code).toBe('BAD_REQUEST');
    });

    test("update's new rate holds at once for a token served from the cache", async () => {
      const admin = await adminClient();
      const client = await newClient(app, { throttleRate: '100/m' });
      const { token } = await login('john', client);
      const user = cached.client(token);
      expect(await user.throttled.query()).toBe('throttled');
      expect(await user.throttled.query()).toBe('throttled'); // cached now, with the client row of 100/m
      expect(await admin.clients.update.mutate({ name: client, throttleRate: '2/m' })).toMatchObject({
        throttleRate: '2/m',
        tokenTtl: 86_400,
      });
      const refused = await waitError(user.throttled.query());
      expect(refused.data?.durinCode).toBe('THROTTLED');
    });

    test("update's new TTL holds at once for a refresh served from the cache; omitted fields keep their values", async () => {
      const admin = await adminClient();
      const client = await newClient(app, { tokenTtl: '1h', throttleRate: '50/m' });
      const { token } = await login('john', client);
      expect((await cached.client(token).me.query()).client).toBe(client); // cached with the 1h client
      // Emitted after the write: a listener reading the row sees the new TTL.
      const reads: Array<Promise<number>> = [];
      const readBack = () => reads.push(app.durin.clients.get(client).then((row) => Number(row!.tokenTtl)));
      app.durin.events.on('adminAction', readBack);
      await admin.clients.update.mutate({ name: client, tokenTtl: 5 * HOUR });
      app.durin.events.off('adminAction', readBack);
      expect(await Promise.all(reads)).toEqual([5 * HOUR]);
      const before = Date.now();
      const { expiry } = await cached.client(token).auth.refresh.mutate();
      expect(new Date(expiry).getTime() - before).toBeGreaterThan(4 * HOUR * 1000);
      expect((await app.durin.clients.get(client))!.throttleRate).toBe('50/m');
      const missing = await waitError(admin.clients.update.mutate({ name: unique('nope'), tokenTtl: 60 }));
      expect([missing.data?.code, missing.message]).toEqual(['NOT_FOUND', 'Not found.']);
      const bad = await waitError(admin.clients.update.mutate({ name: client, tokenTtl: -1 }));
      expect(bad.data?.code).toBe('BAD_REQUEST');
    });

    test("delete revokes the client's tokens through the funnel, cached ones included", async () => {
      const admin = await adminClient();
      const client = await newClient();
      const { token } = await login('john', client);
      await cached.client(token).me.query();
      const revoked = record('tokenRevoked');
      await admin.clients.delete.mutate({ name: client });
      revoked.stop();
      expect(revoked.seen).toEqual([{ tokenHashes: [expect.any(String)], reason: 'clientDeleted' }]);
      expect((await waitError(cached.client(token).me.query())).message).toBe('Invalid token.');
      expect((await waitError(admin.clients.delete.mutate({ name: client }))).data?.code).toBe('NOT_FOUND');
    });
  });

  describe('tokens', () => {
    test("list pages through any user's tokens by id, with filters, never a token or digest", async () => {
      const admin = await adminClient();
      const client = await newClient();
      const other = await newClient();
      const { user } = await login('john', client);
      for (const c of [other, other, other]) await app.durin.tokens.issue(await app.createUser({ username: unique('x') }), c);
      await app.durin.tokens.issue(user, other);
      const key = await app.durin.apiKeys.create(user, { name: 'ci' });

      const mine = await admin.tokens.list.query({ userId: user.id });
      expect(mine.nextCursor).toBeNull();
      expect(mine.items.map((t) => [t.client, t.kind])).toEqual([
        [client, 'session'],
        [other, 'session'],
        ['api', 'apiKey'],
      ]);
      expect(Object.keys(mine.items[0]!).sort()).toEqual(
        [
          'abilities',
          'client',
          'created',
          'expiry',
          'hasExpired',
          'id',
          'kind',
          'lastIp',
          'lastUsedAt',
          'name',
          'start',
          'userAgent',
          'userId',
        ].sort(),
      );
      const digests = (await app.durin.models.AuthToken.findAll({ where: { userId: user.id } })).map((row) => row.tokenHash);
      expect(digests).toHaveLength(3);
      for (const secret of [...digests, key.token]) expect(JSON.stringify(mine)).not.toContain(secret);
      expect((await admin.tokens.list.query({ userId: String(user.id), kind: 'apiKey' })).items.map((t) => t.id)).toEqual([key.id]);

      // Four tokens on `other`, two a page.
      const first = await admin.tokens.list.query({ client: other, limit: 2 });
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await admin.tokens.list.query({ client: other, limit: 2, cursor: first.nextCursor });
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
      const ids = [...first.items, ...second.items].map((t) => t.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set([...first.items, ...second.items].map((t) => t.client))).toEqual(new Set([other]));
      expect((await waitError(admin.tokens.list.query({ client: unique('nope') }))).data?.durinCode).toBe('CLIENT_UNKNOWN');
    });

    test('expired filters by expiry', async () => {
      const admin = await adminClient();
      const client = await newClient();
      const { user, auth } = await login('john', client);
      const stale = await app.durin.tokens.issue(user, await newClient(), { ttl: 60 });
      await app.durin.models.AuthToken.update({ expiry: new Date(Date.now() - 1000) }, { where: { id: stale.auth.id } });
      expect((await admin.tokens.list.query({ userId: user.id, expired: true })).items.map((t) => [t.id, t.hasExpired])).toEqual([
        [Number(stale.auth.id), true],
      ]);
      expect((await admin.tokens.list.query({ userId: user.id, expired: false })).items.map((t) => t.id)).toEqual([Number(auth.id)]);
    });

    test('a forged, cut or foreign cursor is BAD_REQUEST, and a limit over 100 too', async () => {
      const admin = await adminClient();
      const client = await newClient();
      for (let i = 0; i < 3; i++) await login('john', client);
      const { nextCursor } = await admin.tokens.list.query({ client, limit: 1 });
      const [id] = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString()) as [number, string];
      const forged = Buffer.from(JSON.stringify([id - 1, 'x'.repeat(16)])).toString('base64url');
      for (const cursor of [forged, nextCursor!.slice(0, -3), 'not a cursor', Buffer.from('[1]').toString('base64url')]) {
        const error = await waitError(admin.tokens.list.query({ client, cursor }));
        expect([cursor, error.data?.code, error.data?.durinCode, error.message]).toEqual([
          cursor,
          'BAD_REQUEST',
          'INVALID_INPUT',
          'Invalid cursor.',
        ]);
      }
      // Issued for one filter, refused for another: never another filter's page.
      expect((await waitError(admin.tokens.list.query({ limit: 1, cursor: nextCursor }))).message).toBe('Invalid cursor.');
      expect((await waitError(admin.tokens.list.query({ client, limit: 101 }))).data?.code).toBe('BAD_REQUEST');
      expect((await waitError(admin.tokens.list.query({ client, limit: 0 }))).data?.code).toBe('BAD_REQUEST');
    });

    test('revoke ends one token of any user, cached or not, with reason adminRevoked', async () => {
      const admin = await adminClient();
      const { user, token, auth } = await login('john');
      const kept = await app.durin.tokens.issue(user, await newClient());
      await cached.client(token).me.query();
      const revoked = record('tokenRevoked');
      const audit = record('adminAction');
      await admin.tokens.revoke.mutate({ id: Number(auth.id) });
      revoked.stop();
      audit.stop();
      expect(revoked.seen).toEqual([{ tokenHashes: [auth.tokenHash], reason: 'adminRevoked' satisfies DurinRevokeReason }]);
      expect(audit.seen).toEqual([
        { actorId: expect.anything(), action: 'tokens.revoke', target: String(auth.id) } satisfies DurinAdminAction,
      ]);
      expect((await waitError(cached.client(token).me.query())).message).toBe('Invalid token.');
      expect((await server.client(kept.token).me.query()).username).toBe(user.username);
      const gone = await waitError(admin.tokens.revoke.mutate({ id: Number(auth.id) }));
      expect([gone.data?.code, gone.message]).toEqual(['NOT_FOUND', 'Not found.']);
      expect((await waitError(admin.tokens.revoke.mutate({ id: -1 }))).data?.code).toBe('BAD_REQUEST');
    });
  });

  describe('users', () => {
    test("revokeAll ends every session and key of one user and reports the administrator's id", async () => {
      const adminLogin = await login('admin');
      const admin = server.client(adminLogin.token).admin;
      const { user, token } = await login('john');
      const client = await app.durin.clients.get(await newClient());
      const second = await app.durin.tokens.issue(user, client!);
      const key = await app.durin.apiKeys.create(user, { name: 'ci' });
      const bystander = await login('jane');
      await cached.client(token).me.query();
      const revoked = record('tokenRevoked');
      const audit = record('adminAction');
      expect(await admin.users.revokeAll.mutate({ userId: user.id })).toEqual({ revoked: 3 });
      revoked.stop();
      audit.stop();
      expect(revoked.seen).toEqual([{ tokenHashes: expect.any(Array), reason: 'adminRevoked' }]);
      expect(audit.seen).toEqual([{ actorId: adminLogin.user.id, action: 'users.revokeAll', target: String(user.id) }]);
      for (const t of [token, second.token, key.token])
        expect((await waitError(cached.client(t).me.query())).message).toBe('Invalid token.');
      expect((await server.client(bystander.token).me.query()).username).toBe(bystander.user.username);
      expect((await waitError(admin.users.revokeAll.mutate({ userId: '' }))).data?.code).toBe('BAD_REQUEST');
    });
  });
});
