import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DurinSession } from '../../src/index.js';
import { createSharedDatabase, startChildApp, type ChildApp, type SharedDatabase } from '../helpers/processes.js';
import { REDIS_URL, describeRedis, eventually, testPrefix } from '../helpers/redis.js';
import { unique } from '../helpers/time.js';
import type { ChildServerRouter } from './childServer.js';
import { watch, within } from './harness.js';

/**
 * Subscriptions across processes: two OS processes on one database and one Redis (the Redis bus). A
 * (test/helpers/childApp.ts) revokes and logs in; B (childServer.ts) holds the WebSocket
 * subscriptions, which end within the bus's delay + 1 s, and `sessions.watch` there follows A.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'hunter2';

describeRedis('subscriptions across two processes', () => {
  let db: SharedDatabase;
  let a: ChildApp;
  let b: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    db = await createSharedDatabase();
    const prefix = testPrefix();
    a = await startChildApp({ dialect: db.dialect, database: db.database, redisUrl: REDIS_URL, prefix, sync: true });
    const child = fork(path.join(here, 'childServer.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DURIN_CHILD_SERVER: JSON.stringify({ dialect: db.dialect, database: db.database, redisUrl: REDIS_URL, prefix }),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the child server exited with ${code}`)));
      child.on('message', (message: { type: string; url: string }) => message.type === 'ready' && resolve(message.url));
    });
    b = {
      url,
      stop: async () => {
        if (child.exitCode !== null) return;
        child.send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await new Promise((resolve) => child.once('exit', resolve));
        clearTimeout(timer);
      },
    };
    await a.client().admin.createClient.mutate({ name: 'web' });
    await a.client().admin.createClient.mutate({ name: 'phone' });
    await eventually(
      async () => (await a.client().admin.stats.query()).busHealthy === true && (await httpB().stats.query()).busHealthy === true,
      10_000,
      'both buses',
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const httpB = () => createTRPCClient<ChildServerRouter>({ links: [httpLink({ url: b.url, transformer: superjson })] });
  const wsB = (token: string) => {
    const ws = createWSClient({
      url: b.url.replace('http', 'ws'),
      WebSocket: WebSocket as never,
      connectionParams: { authorization: `Token ${token}` },
    });
    return {
      client: createTRPCClient<ChildServerRouter>({ links: [wsLink({ client: ws, transformer: superjson })] }),
      close: () => ws.close(),
    };
  };
  const loggedIn = async (client = 'web') => {
    const username = unique('u');
    await a.client().admin.createUser.mutate({ username, password: PASSWORD });
    return { username, token: await a.client().admin.issue.mutate({ username, client }) };
  };

  test("a revocation in A ends B's open subscription and fails B's next WebSocket query", async () => {
    const { token } = await loggedIn();
    const ws = wsB(token);
    try {
      expect(await ws.client.me.query()).toMatchObject({ username: expect.any(String) });
      const ticks = watch<number>((input, handlers) => ws.client.ticks.subscribe(input, handlers));
      await ticks.received(1);
      await a.client().admin.revoke.mutate({ token });
      const error = await within(1500, ticks.error, 'the end of the subscription in B');
      expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' } });
      expect(await ws.client.me.query().catch((e: { message: string }) => e.message)).toBe('Invalid token.');
      await eventually(async () => (await httpB().stats.query()).open === 0, 2000, 'B frees the watch');
    } finally {
      await ws.close();
    }
  });

  test('sessions.watch in B follows logins and revocations made in A', async () => {
    const { username, token } = await loggedIn();
    const ws = wsB(token);
    try {
      const sessions = watch<DurinSession[]>((input, handlers) => ws.client.auth.sessions.watch.subscribe(input, handlers));
      await within(1500, sessions.received(1), 'the first list');
      expect(sessions.data[0]).toHaveLength(1);
      const other = await a.client().admin.issue.mutate({ username, client: 'phone' });
      await within(1500, sessions.received(2), 'the list after a login in A');
      expect(sessions.data[1]!.map((s) => s.client)).toEqual(['web', 'phone']);
      await a.client().admin.revoke.mutate({ token: other });
      await within(1500, sessions.received(3), 'the list after a revocation in A');
      expect(sessions.data[2]).toHaveLength(1);
      await a.client().admin.revokeAll.mutate({ username });
      expect((await within(1500, sessions.error, 'the end of the watch')).message).toBe('Invalid token.');
    } finally {
      await ws.close();
    }
  });
});
