import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, createWSClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClientError, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { durinErrorFormatter } from '../../src/index.js';
import { createTestApp, type TestAppOptions } from '../helpers/app.js';

/**
 * A real server for subscriptions: tRPC's standalone HTTP handler and a `ws` server
 * sharing its port (as tRPC's docs show), one `createContext` for HTTP, WebSocket and SSE, and
 * real `@trpc/client` links: `wsLink` with connectionParams, `httpSubscriptionLink` with them.
 */

export async function createSubscriptionApp(options: TestAppOptions = {}) {
  const app = await createTestApp(options);
  const { durin, db } = app;
  // The README's wiring: the ws adapter's options are accepted as they are (no cast).
  const createContext = async (opts: CreateWSSContextFnOptions | Parameters<typeof durin.createDurinContext>[0]) => ({
    ...(await durin.createDurinContext(opts)),
    db: db.sequelize,
  });
  const createCachedContext = async (opts: CreateWSSContextFnOptions | Parameters<typeof durin.createDurinContext>[0]) => ({
    ...(await durin.createCachedDurinContext(opts)),
    db: db.sequelize,
  });
  type Context = Awaited<ReturnType<typeof createContext>>;
  const t = initTRPC.context<Context>().create({ transformer: superjson, errorFormatter: durinErrorFormatter });
  const protectedProcedure = t.procedure.concat(durin.protectedProcedure);
  const router = t.router({
    auth: durin.router,
    admin: durin.adminRouterFor(t),
    me: protectedProcedure.query(({ ctx }) => ({ username: (ctx.user as { username: string }).username, tokenId: Number(ctx.auth.id) })),
    /** Yields at once, then every 50 ms until the client leaves or the token stops working. */
    ticks: protectedProcedure.subscription(async function* ticks({ signal }) {
      for (let n = 0; ; n++) {
        yield n;
        await sleep(50, undefined, { signal });
      }
    }),
    /** Yields once, then stays open without traffic until the client leaves or the token stops working. */
    quiet: protectedProcedure.subscription(async function* quiet({ signal }) {
      yield 'open';
      await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    }),
  });
  return { ...app, router, createContext, createCachedContext };
}

export type SubscriptionApp = Awaited<ReturnType<typeof createSubscriptionApp>>;
export type SubscriptionRouter = SubscriptionApp['router'];
type Client = ReturnType<typeof createTRPCClient<SubscriptionRouter>>;

export interface SubscriptionServer {
  readonly url: string;
  /** A WebSocket client; `authorization` goes in connectionParams (none: anonymous). */
  ws(authorization?: string | null): { client: Client; close(): Promise<void> };
  /** Subscriptions over SSE (`httpSubscriptionLink` with connectionParams), the rest over HTTP. */
  sse(authorization?: string | null): { client: Client; close(): Promise<void> };
  /** Plain HTTP with the Authorization header. */
  http(token?: string | null): Client;
  close(): Promise<void>;
}

export async function startSubscriptionServer(app: SubscriptionApp, options: { cached?: boolean } = {}): Promise<SubscriptionServer> {
  const createContext = options.cached ? app.createCachedContext : app.createContext;
  const handler = createHTTPHandler({ router: app.router, createContext });
  const server: Server = createServer((req, res) => handler(req, res));
  const wss = new WebSocketServer({ server });
  const wssHandler = applyWSSHandler({ wss, router: app.router, createContext });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const params = (authorization?: string | null) => (authorization ? { authorization } : {});
  const http = (token?: string | null) =>
    createTRPCClient<SubscriptionRouter>({
      links: [httpLink({ url, transformer: superjson, headers: () => (token ? { authorization: `Token ${token}` } : {}) })],
    });
  return {
    url,
    ws(authorization) {
      const wsClient = createWSClient({
        url: url.replace('http', 'ws'),
        connectionParams: () => params(authorization),
        retryDelayMs: () => 60_000,
        WebSocket: WebSocket as never,
      });
      const client = createTRPCClient<SubscriptionRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
      return { client, close: () => wsClient.close() };
    },
    sse(authorization) {
      const client = createTRPCClient<SubscriptionRouter>({
        links: [
          splitLink({
            condition: (op) => op.type === 'subscription',
            true: httpSubscriptionLink({ url, transformer: superjson, connectionParams: () => params(authorization) }),
            false: httpLink({ url, transformer: superjson, headers: () => (authorization ? { authorization } : {}) }),
          }),
        ],
      });
      return { client, close: async () => {} };
    },
    http,
    async close() {
      wssHandler.broadcastReconnectNotification();
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An open subscription to `ticks` (or any subscribe function), with what the client saw. */
export function watch<T>(
  subscribe: (
    input: undefined,
    handlers: { onStarted(): void; onData(value: T): void; onError(error: unknown): void; onComplete(): void },
  ) => { unsubscribe(): void },
) {
  const data: T[] = [];
  let resolveError!: (error: TRPCClientError<SubscriptionRouter>) => void;
  let resolveStarted!: () => void;
  const error = new Promise<TRPCClientError<SubscriptionRouter>>((resolve) => (resolveError = resolve));
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));
  let gotData: (() => void) | null = null;
  const subscription = subscribe(undefined, {
    onStarted: () => resolveStarted(),
    onData: (value) => {
      data.push(value);
      gotData?.();
    },
    onError: (cause) => resolveError(cause as TRPCClientError<SubscriptionRouter>),
    onComplete: () => {},
  });
  return {
    data,
    error,
    started,
    /** Resolves when the client has received `count` values. */
    async received(count: number) {
      while (data.length < count) await new Promise<void>((resolve) => (gotData = resolve));
    },
    unsubscribe: () => subscription.unsubscribe(),
  };
}

/** Rejects if `promise` does not settle within `ms` (a deadline from the contract, e.g. a subscription's 1 s to end). */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
