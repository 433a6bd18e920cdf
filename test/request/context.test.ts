import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * createDurinContext takes the options of every adapter: node-style `req.headers`
 * (standalone, express, fastify, next), fetch's `Request` + `resHeaders`, and `{ headers }` with a
 * `Headers` or a plain record. It never throws for a bad token.
 */
describe('createDurinContext options', () => {
  let app: TestApp;
  let token: string;
  let username: string;

  beforeAll(async () => {
    app = await createTestApp();
    await app.durin.clients.create({ name: 'web' });
    const user = await app.createUser();
    username = user.username;
    token = (await app.durin.tokens.issue(user, 'web')).token;
  });
  afterAll(() => app.close());

  const authorization = () => `Token ${token}`;
  const cases: Array<[string, () => Parameters<TestApp['durin']['createDurinContext']>[0]]> = [
    [
      'standalone/express/next: req.headers record',
      () => ({ req: { headers: { authorization: authorization() }, socket: { remoteAddress: '10.0.0.1' } }, res: {} }),
    ],
    ['fastify: req.headers with a reply', () => ({ req: { headers: { authorization: authorization() } }, res: { header: () => {} } })],
    [
      'fetch: Request + resHeaders',
      () => ({ req: new Request('http://x/', { headers: { authorization: authorization() } }), resHeaders: new Headers(), info: {} }),
    ],
    ['{ headers } with a Headers', () => ({ headers: new Headers({ Authorization: authorization() }) })],
    ['{ headers } with a record', () => ({ headers: { Authorization: authorization() } })],
  ];

  test.each(cases)('%s', async (_, options) => {
    const ctx = await app.durin.createDurinContext(options());
    expect((ctx.user as { username: string } | null)?.username).toBe(username);
    expect(ctx.auth?.client.name).toBe('web');
    expect(ctx.durin.failure).toBeNull();
  });

  test("resolves real model instances: unchanged, savable, reloadable, equal to a finder's", async () => {
    const ctx = await app.durin.createDurinContext({ headers: { authorization: authorization() } });
    const user = ctx.user as InstanceType<TestApp['User']>;
    const fromFinder = await app.User.findByPk(user.id);
    expect(user.get({ plain: true })).toEqual(fromFinder!.get({ plain: true }));
    expect(user.changed()).toBe(false);
    expect(ctx.auth!.isNewRecord).toBe(false);
    user.joinedAt = new Date('2020-01-01T00:00:00.000Z');
    expect(user.changed()).toEqual(['joinedAt']);
    await user.save();
    expect((await app.User.findByPk(user.id))!.joinedAt).toEqual(new Date('2020-01-01T00:00:00.000Z'));
    await ctx.auth!.reload();
    expect(ctx.auth!.client.name).toBe('web');
  });

  test('keeps a failure on the context instead of throwing', async () => {
    const ctx = await app.durin.createDurinContext({ headers: { authorization: 'Token nope' } });
    expect(ctx).toMatchObject({ user: null, auth: null, durin: { failure: { error: 'TOKEN_INVALID' } } });
  });

  test('non-printable tokens are refused before any query', async () => {
    app.db.statements.length = 0;
    const ctx = await app.durin.createDurinContext({ headers: { authorization: 'Token abc\u00e9def' } });
    expect(ctx.durin.failure).toEqual({ error: 'TOKEN_INVALID' });
    expect(app.db.statements).toHaveLength(0);
  });

  test('the response-header handle reaches the adapter: res.setHeader, reply.header, resHeaders', async () => {
    const set: string[] = [];
    const node = await app.durin.createDurinContext({
      req: { headers: {} },
      res: { setHeader: (n: string, v: string) => set.push(`node ${n}=${v}`) },
    });
    const fastify = await app.durin.createDurinContext({
      req: { headers: {} },
      res: { header: (n: string, v: string) => set.push(`fastify ${n}=${v}`) },
    });
    const resHeaders = new Headers();
    const fetchCtx = await app.durin.createDurinContext({ req: new Request('http://x/'), resHeaders });
    node.durin.setHeader('Retry-After', '3');
    fastify.durin.setHeader('Retry-After', '4');
    fetchCtx.durin.setHeader('Retry-After', '5');
    expect(set).toEqual(['node Retry-After=3', 'fastify Retry-After=4']);
    expect(resHeaders.get('retry-after')).toBe('5');
  });

  test('an explicit ip wins, for adapters without a socket (fetch)', async () => {
    const ctx = await app.durin.createDurinContext({ req: new Request('http://x/'), resHeaders: new Headers(), ip: '203.0.113.7' });
    expect(ctx.durin.ip).toBe('203.0.113.7');
  });

  test('the client IP comes from the socket; X-Forwarded-For is ignored without trustProxy', async () => {
    const ctx = await app.durin.createDurinContext({
      req: { headers: { 'x-forwarded-for': '1.2.3.4' }, socket: { remoteAddress: '10.0.0.9' } },
    });
    expect(ctx.durin.ip).toBe('10.0.0.9');
  });
});
