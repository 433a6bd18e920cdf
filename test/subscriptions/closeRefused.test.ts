import { once } from 'node:events';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { DURIN_WEBSOCKET_CLOSE_CODE } from '../../src/index.js';
import { unique, useClock } from '../helpers/time.js';
import {
  createSubscriptionApp,
  startSubscriptionServer,
  type SubscriptionApp,
  type SubscriptionRouter,
  type SubscriptionServer,
} from './harness.js';

/**
 * A WebSocket connection whose token is refused is answered like an HTTP request and then closed
 * by the server (closeRefusedWebSockets, on by default): a peer cannot hold connections open on a
 * bad token. Anonymous connections and backend failures keep theirs. The raw client below speaks
 * tRPC's JSON-RPC over `ws`, so the test sees every frame and the close, in order.
 */

let app: SubscriptionApp;
let openApp: SubscriptionApp;
const servers: Record<'uncached' | 'cached' | 'settingOff', SubscriptionServer> = {} as never;
/** While true, the token lookup (a raw SELECT bound to one digest) fails as a database outage would. */
let lookupFails = false;
const clock = useClock();

beforeAll(async () => {
  app = await createSubscriptionApp();
  openApp = await createSubscriptionApp({ settings: { closeRefusedWebSockets: false } });
  servers.uncached = await startSubscriptionServer(app);
  servers.cached = await startSubscriptionServer(app, { cached: true });
  servers.settingOff = await startSubscriptionServer(openApp);
  app.db.sequelize.addHook('beforeQuery', (options) => {
    const { bind, raw } = options as { bind?: unknown; raw?: boolean };
    if (lookupFails && raw && Array.isArray(bind) && bind.length === 1) throw new Error('connection lost');
  });
});
afterAll(async () => {
  for (const server of Object.values(servers)) await server?.close();
  await app?.close();
  await openApp?.close();
});

async function loggedIn(on: SubscriptionApp, ttl?: number) {
  const user = await on.createUser();
  const clientName = unique('web');
  await on.durin.clients.create({ name: clientName, ...(ttl ? { tokenTtl: ttl } : {}) });
  return { user, clientName, ...(await on.durin.tokens.issue(user, clientName)) };
}

type Frame = { kind: 'message'; value: unknown } | { kind: 'close'; code: number; reason: string };
interface ErrorShape {
  message: string;
  data: { code: string; durinCode?: string };
}

/** A `ws` connection speaking tRPC's messages: connectionParams first, then one operation at a time. */
async function connect(server: SubscriptionServer, authorization: string | null) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/?connectionParams=1`);
  const frames: Frame[] = [];
  let wake: (() => void) | null = null;
  const push = (frame: Frame) => {
    frames.push(frame);
    wake?.();
  };
  socket.on('message', (data) => {
    const text = String(data);
    push({ kind: 'message', value: text === 'PONG' ? text : JSON.parse(text) });
  });
  socket.on('close', (code, reason) => push({ kind: 'close', code, reason: String(reason) }));
  await once(socket, 'open');
  socket.send(JSON.stringify({ method: 'connectionParams', data: authorization === null ? {} : { authorization } }));
  let lastId = 0;

  async function next(): Promise<Frame> {
    while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return frames.shift()!;
  }

  return {
    socket,
    next,
    /** Sends a query and returns its answer: `{ data }` or `{ error }`. */
    async query(path: string): Promise<{ data?: unknown; error?: ErrorShape }> {
      const id = ++lastId;
      socket.send(JSON.stringify({ id, jsonrpc: '2.0', method: 'query', params: { path, input: superjson.serialize(undefined) } }));
      const frame = await next();
      expect(frame.kind).toBe('message');
      const message = (frame as { value: { id: number; result?: { data: never }; error?: never } }).value;
      expect(message.id).toBe(id);
      if (message.error) return { error: superjson.deserialize<ErrorShape>(message.error) };
      return { data: superjson.deserialize(message.result!.data) };
    },
    /** A round trip through the server: it answers PING with PONG while the connection is open. */
    async ping() {
      socket.send('PING');
      expect(await next()).toEqual({ kind: 'message', value: 'PONG' });
    },
    close: () => socket.terminate(),
  };
}

describe('closeRefusedWebSockets on (the default)', () => {
  const refusals: Array<[string, () => Promise<string>, string, string]> = [
    ['an unknown token', async () => 'Token nope', 'Invalid token.', 'TOKEN_INVALID'],
    [
      'a malformed authorization',
      async () => 'Token a b',
      'Invalid token header. Token string should not contain spaces.',
      'HEADER_MALFORMED',
    ],
    [
      "an inactive user's token",
      async () => {
        const { user, token } = await loggedIn(app);
        await user.update({ isActive: false });
        return `Token ${token}`;
      },
      'User inactive or deleted.',
      'USER_INACTIVE',
    ],
  ];

  test.each(refusals)(
    "%s: the operation gets durin's refusal, then the server closes the connection",
    async (_, authorization, message, durinCode) => {
      const connection = await connect(servers.uncached, await authorization());
      try {
        const { error } = await connection.query('me');
        expect(error).toMatchObject({ message, data: { code: 'UNAUTHORIZED', durinCode } });
        expect(await connection.next()).toEqual({ kind: 'close', code: DURIN_WEBSOCKET_CLOSE_CODE, reason: message });
      } finally {
        connection.close();
      }
    },
  );

  test.each(['uncached', 'cached'] as const)(
    'a token revoked while the connection is open (%s context): the next operation is refused, then the connection closes',
    async (kind) => {
      const { token } = await loggedIn(app);
      const connection = await connect(servers[kind], `Token ${token}`);
      try {
        expect((await connection.query('me')).data).toMatchObject({ tokenId: expect.any(Number) });
        await connection.ping();
        await servers[kind].http(token).auth.logout.mutate();
        const { error } = await connection.query('me');
        expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' } });
        expect(await connection.next()).toEqual({ kind: 'close', code: DURIN_WEBSOCKET_CLOSE_CODE, reason: 'Invalid token.' });
      } finally {
        connection.close();
      }
    },
  );

  test('a token that expires while the connection is open: "The given token has expired.", then the connection closes', async () => {
    const { token } = await loggedIn(app, 60);
    const connection = await connect(servers.uncached, `Token ${token}`);
    try {
      await connection.query('me');
      clock.travel(61_000);
      const { error } = await connection.query('me');
      expect(error).toMatchObject({ message: 'The given token has expired.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_EXPIRED' } });
      expect(await connection.next()).toEqual({ kind: 'close', code: DURIN_WEBSOCKET_CLOSE_CODE, reason: 'The given token has expired.' });
    } finally {
      connection.close();
    }
  });

  test('an anonymous connection stays open: "Authentication credentials were not provided." is not a refused token', async () => {
    const connection = await connect(servers.uncached, null);
    try {
      for (let round = 0; round < 2; round++) {
        const { error } = await connection.query('me');
        expect(error).toMatchObject({ data: { code: 'UNAUTHORIZED', durinCode: 'NOT_AUTHENTICATED' } });
      }
      await connection.ping();
      expect(connection.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      connection.close();
    }
  });

  test('a backend failure keeps the connection open, and the next operation succeeds on it', async () => {
    const { token } = await loggedIn(app);
    const connection = await connect(servers.uncached, `Token ${token}`);
    try {
      await connection.query('me');
      lookupFails = true;
      const failed = await connection.query('me').finally(() => (lookupFails = false));
      expect(failed.error).toMatchObject({ data: { code: 'INTERNAL_SERVER_ERROR', durinCode: 'AUTH_BACKEND_FAILED' } });
      expect((await connection.query('me')).data).toMatchObject({ tokenId: expect.any(Number) });
      await connection.ping();
    } finally {
      lookupFails = false;
      connection.close();
    }
  });
});

test('with closeRefusedWebSockets off, a connection whose token is refused stays open', async () => {
  const connection = await connect(servers.settingOff, 'Token nope');
  try {
    for (let round = 0; round < 2; round++) {
      const { error } = await connection.query('me');
      expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' } });
    }
    await connection.ping();
    expect(connection.socket.readyState).toBe(WebSocket.OPEN);
  } finally {
    connection.close();
  }
});

test("tRPC's wsLink: onError gets the refusal before the close, and the reconnection it makes stays usable for logging in", async () => {
  const user = await app.createUser({ password: 'correct horse' });
  const clientName = unique('web');
  await app.durin.clients.create({ name: clientName });
  const seen: string[] = [];
  let authorization = 'Token nope';
  const wsClient = createWSClient({
    url: servers.uncached.url.replace('http', 'ws'),
    // Read at every (re)connection: what an app that swaps its token after a login passes.
    connectionParams: () => ({ authorization }),
    WebSocket: WebSocket as never,
    onOpen: () => seen.push('open'),
    onClose: (event) => seen.push(`close ${event?.code}`),
  });
  const client = createTRPCClient<SubscriptionRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  try {
    await client.me.query().catch((error: Error) => seen.push(`error ${error.message}`));
    // tRPC's client reconnects at once after a close; the new connection carries the same token.
    await expect.poll(() => seen).toEqual(['open', 'error Invalid token.', `close ${DURIN_WEBSOCKET_CLOSE_CODE}`, 'open']);
    // The server closes a connection only after refusing an operation: the reconnection stays open,
    // so public procedures (a login) work on it, and nothing reconnects in a loop.
    const login = await client.auth.login.mutate({ username: user.username, password: 'correct horse', client: clientName });
    expect(seen).toHaveLength(4);
    // Once the app swaps in the new token, the next refusal's reconnection brings it.
    authorization = `Token ${login.token}`;
    await client.me.query().catch((error: Error) => seen.push(`error ${error.message}`));
    await expect.poll(() => seen.length).toBe(7);
    expect(seen.slice(4)).toEqual(['error Invalid token.', `close ${DURIN_WEBSOCKET_CLOSE_CODE}`, 'open']);
    expect(await client.me.query()).toMatchObject({ username: user.username });
  } finally {
    await wsClient.close();
  }
});
