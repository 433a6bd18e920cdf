import type { AddressInfo } from 'node:net';
import * as trpcExpress from '@trpc/server/adapters/express';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * durin behind real express and fastify servers, with their own context options passed
 * through untouched: login, an authenticated call, and the throttle's 429 whose Retry-After goes
 * out through the framework's response (express's res.setHeader, fastify's reply.header).
 */

interface Served {
  readonly url: string;
  close(): Promise<void>;
}

async function expressServer(app: TestApp): Promise<Served> {
  const server = express();
  const createContext = async (opts: trpcExpress.CreateExpressContextOptions) => app.createContext(opts);
  server.use('/trpc', trpcExpress.createExpressMiddleware({ router: app.router, createContext }));
  const listening = server.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/trpc`,
    close: () =>
      new Promise((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
}

async function fastifyServer(app: TestApp): Promise<Served> {
  const server = Fastify();
  await server.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions: { router: app.router, createContext: app.createContext } });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/trpc`, close: () => server.close() };
}

describe.each([
  ['express', expressServer],
  ['fastify', fastifyServer],
])('a real %s server', (_, start) => {
  let app: TestApp;
  let served: Served;

  beforeAll(async () => {
    app = await createTestApp({ transformer: 'none' });
    await app.durin.clients.create({ name: 'web', throttleRate: '2/m' });
    await app.createUser({ username: 'ann', password: 'pw' });
    served = await start(app);
  });
  afterAll(async () => {
    await served?.close();
    await app?.close();
  });

  const call = async (path: string, init: { token?: string; input?: unknown } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.token) headers.authorization = `Token ${init.token}`;
    const response = await fetch(
      `${served.url}/${path}`,
      init.input === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(init.input) },
    );
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { result?: { data: unknown }; error?: { message: string; data: { durinCode: string | null } } },
    };
  };

  test('login, me, then the client rate ends in 429 with Retry-After', async () => {
    const login = await call('auth.login', { input: { username: 'ann', password: 'pw', client: 'web' } });
    expect(login.status).toBe(200);
    const { token } = login.body.result!.data as { token: string };
    const me = await call('me', { token });
    expect(me.status).toBe(200);
    expect(me.body.result!.data).toMatchObject({ username: 'ann', client: 'web' });
    expect((await call('me')).status).toBe(401);

    expect((await call('throttled', { token })).status).toBe(200);
    expect((await call('throttled', { token })).status).toBe(200);
    const throttled = await call('throttled', { token });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error!.data.durinCode).toBe('THROTTLED');
    const wait = Number(throttled.retryAfter);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(throttled.body.error!.message).toBe(
      `Request was throttled. Expected available in ${wait === 1 ? '1 second' : `${wait} seconds`}.`,
    );
  });
});
