import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions, type TestRouter } from './app.js';

/**
 * A real HTTP server on 127.0.0.1:0 around a test app, with the standalone adapter or the fetch
 * adapter, and a real tRPC client that talks to it.
 */
export interface TestServerOptions {
  adapter?: 'standalone' | 'fetch';
  /** Use createCachedDurinContext instead of createDurinContext. */
  cached?: boolean;
  /** fetch only: do not pass the socket's address as `ip` (the README tells apps to pass it). */
  withoutIp?: boolean;
}

export interface TestServer {
  readonly url: string;
  /** A tRPC client that sends `Authorization: Token <token>` when given a token. */
  client(token?: string | null, headers?: Record<string, string>): ReturnType<typeof createTRPCClient<TestRouter>>;
  /** A raw HTTP call to a procedure, for status codes and headers. */
  raw(path: string, init?: { headers?: Record<string, string>; method?: 'GET' | 'POST'; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startTestServer(app: TestApp, options: TestServerOptions = {}): Promise<TestServer> {
  const createContext = options.cached ? app.createCachedContext : app.createContext;
  let server: Server;
  if (options.adapter === 'fetch') {
    server = createServer(async (req, res) => {
      const url = `http://${req.headers.host}${req.url}`;
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const request = new Request(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: body as BodyInit | undefined,
      });
      const ip = options.withoutIp ? undefined : req.socket.remoteAddress;
      const response = await fetchRequestHandler({
        endpoint: '',
        req: request,
        router: app.router,
        createContext: (opts) => createContext(ip === undefined ? opts : { ...opts, ip }),
      });
      // Set-Cookie may come more than once: Headers' entries would keep only the last.
      const headers: Record<string, string | string[]> = Object.fromEntries(response.headers);
      if (response.headers.getSetCookie().length > 0) headers['set-cookie'] = response.headers.getSetCookie();
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  } else {
    server = createHTTPServer({ router: app.router, createContext });
  }
  const url = await listen(server);

  return {
    url,
    client(token, headers = {}) {
      return createTRPCClient<TestRouter>({
        links: [
          httpLink({
            url,
            transformer: app.transformer,
            headers: () => (token ? { authorization: `Token ${token}`, ...headers } : headers),
          } as Parameters<typeof httpLink<TestRouter>>[0]),
        ],
      });
    },
    raw(path, init = {}) {
      const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
      const wrap = (value: unknown) => (app.transformer ? app.transformer.serialize(value) : value);
      const query = method === 'GET' && init.body !== undefined ? `?input=${encodeURIComponent(JSON.stringify(wrap(init.body)))}` : '';
      return fetch(`${url}/${path}${query}`, {
        method,
        headers: { 'content-type': 'application/json', ...init.headers },
        body: method === 'POST' ? JSON.stringify(wrap(init.body ?? null)) : undefined,
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}

/** Awaits a promise that must reject with a TRPCClientError, and returns the error. */
export async function waitError(promise: Promise<unknown>): Promise<TRPCClientError<TestRouter>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<TestRouter>;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A test app with a real server around it; disposing closes the server, then the app. */
export interface TestAppServer extends AsyncDisposable {
  readonly app: TestApp;
  readonly server: TestServer;
}

/** Starts a test app and a server around it: `await using running = await startTestAppServer()` in one test. */
export async function startTestAppServer(options: TestAppOptions & TestServerOptions = {}): Promise<TestAppServer> {
  const app = await createTestApp(options);
  const server = await startTestServer(app, options);
  return {
    app,
    server,
    async [Symbol.asyncDispose]() {
      await server.close();
      await app.close();
    },
  };
}

/**
 * The app and server of the tests in the enclosing `describe` (or file): started before them,
 * closed after them. Read `.app` and `.server` inside tests and hooks, never at collection time.
 */
export function useTestServer(options: TestAppOptions & TestServerOptions = {}): { readonly app: TestApp; readonly server: TestServer } {
  let running: TestAppServer | undefined;
  beforeAll(async () => {
    running = await startTestAppServer(options);
  });
  afterAll(async () => {
    await running?.[Symbol.asyncDispose]();
    running = undefined;
  });
  const started = () => {
    if (!running) throw new Error('useTestServer: read .app and .server inside a test or hook');
    return running;
  };
  return {
    get app() {
      return started().app;
    },
    get server() {
      return started().server;
    },
  };
}
