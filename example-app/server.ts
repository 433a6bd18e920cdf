import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { createExampleApp, DEMO_CLIENTS, DEMO_USER } from './app.js';
import { buildWeb, PUBLIC_DIR } from './build-web.js';
import { openDatabase } from './db.js';

/**
 * The example app's HTTP server: tRPC (standalone adapter) at the root, so procedures are
 * `POST /auth.login`, `GET /me`..., and the web page at `GET /` with its script and styles.
 *
 *   npm start                       # SQLite file under example-app/data/, port 3000
 *   PORT=4000 DURIN_CACHE=1 npm start
 *   DATABASE_URL=mysql://user:password@127.0.0.1:3306/durin_example npm start
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=3001 npm start   # several processes (README)
 *   METRICS_PORT=9464 npm start     # Prometheus text at http://localhost:9464/metrics
 *   ORIGIN=https://app.example.com npm start   # behind a TLS proxy: the page's origin, Secure cookie
 */

export interface ExampleServerOptions {
  /** @default PORT, else 3000; 0 picks a free port. */
  port?: number;
  /** @default all interfaces */
  host?: string;
  /** `sqlite:<path>` or `mysql://...`. @default DATABASE_URL, else example-app/data/example.sqlite */
  databaseUrl?: string;
  /** createCachedDurinContext instead of createDurinContext. @default DURIN_CACHE=1 */
  cache?: boolean;
  /** Serve Prometheus text at `/metrics` on this port (its own server). @default METRICS_PORT, else no metrics */
  metricsPort?: number;
  /** Where people open the page, when not at this server's own address (behind a TLS proxy). @default ORIGIN, else the server's URL */
  origin?: string;
  /** Logins a minute per IP. @default durin's "10/m" */
  loginThrottleRate?: string;
}

/**
 * durin's metrics as Prometheus text, on a port of their own (not the app's, which the internet
 * may reach). Loaded only when asked for, so the app runs without OpenTelemetry installed.
 */
async function startMetrics(port: number, host: string | undefined) {
  const [{ PrometheusExporter }, { MeterProvider }, { durinTelemetry }] = await Promise.all([
    import('@opentelemetry/exporter-prometheus'),
    import('@opentelemetry/sdk-metrics'),
    import('trpc-durin/otel'),
  ]);
  const exporter = new PrometheusExporter({ port, ...(host ? { host } : {}), preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  await exporter.startServer();
  return {
    telemetry: durinTelemetry({ meterProvider }),
    url: `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${port}/metrics`,
    close: () => meterProvider.shutdown(),
  };
}

// The page's files: the only paths that are not tRPC procedures.
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

async function serveStatic(res: ServerResponse, entry: { file: string; type: string }, head: boolean) {
  const body = await readFile(join(PUBLIC_DIR, entry.file));
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  });
  res.end(head ? undefined : body);
}

export async function startExampleServer(options: ExampleServerOptions = {}) {
  const { sequelize, description } = openDatabase(options.databaseUrl ?? process.env.DATABASE_URL);
  const cache = options.cache ?? process.env.DURIN_CACHE === '1';
  // REDIS_URL: throttle counters and revocations shared with every process on that Redis.
  // Loaded only then, so an app without Redis never loads ioredis.
  const redis = process.env.REDIS_URL ? new (await import('ioredis')).Redis(process.env.REDIS_URL) : null;
  const { redisThrottleStore, redisCacheBus } = redis
    ? await import('trpc-durin/redis')
    : { redisThrottleStore: null, redisCacheBus: null };
  const shared =
    redis && redisThrottleStore && redisCacheBus ? { throttleStore: redisThrottleStore(redis), cacheBus: redisCacheBus(redis) } : undefined;
  const metricsPort = options.metricsPort ?? (process.env.METRICS_PORT ? Number(process.env.METRICS_PORT) : undefined);
  const metrics = metricsPort === undefined ? null : await startMetrics(metricsPort, options.host);
  // Listen before the app exists: the cookie setting trusts the origin the page is served from,
  // whose port is only known now when `port` is 0. Until the app is ready, requests get a 503.
  let handle = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'retry-after': '1' });
    res.end();
  };
  const server = createServer((req, res) => handle(req, res));
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : 'localhost';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  // ORIGIN: where people open the page when it is not this server's own address (a TLS proxy in front).
  const publicOrigin = (options.origin ?? process.env.ORIGIN ?? url).replace(/\/+$/, '');

  let app: ReturnType<typeof createExampleApp>;
  let migrations: string[];
  try {
    app = createExampleApp(sequelize, {
      cache,
      shared,
      ...(options.loginThrottleRate ? { loginThrottleRate: options.loginThrottleRate } : {}),
      ...(metrics ? { telemetry: metrics.telemetry } : {}),
      cookie: {
        // A browser drops a `Secure` cookie it receives over plain http (Chromium and Firefox spare
        // only localhost), so the demo on http://... sends it without the flag; served through
        // https (ORIGIN=https://...) it keeps it, as every real deployment must.
        secure: publicOrigin.startsWith('https:'),
        // The request's own origin (scheme + Host) always passes the cross-site check; this list adds
        // the address the page is served from, which differs from it behind a proxy.
        trustedOrigins: [...new Set([url, publicOrigin])],
      },
    });
    migrations = await app.setUpDatabase();
    await buildWeb();
  } catch (error) {
    await new Promise((resolve) => server.close(resolve));
    await metrics?.close();
    await redis?.quit();
    await sequelize.close();
    throw error;
  }

  const trpc = createHTTPHandler({
    router: app.router,
    createContext: app.createContext,
    // Bound what one request can ask for: the page batches a few calls at most.
    maxBatchSize: 10,
    maxBodySize: 64 * 1024,
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`[trpc] ${path ?? '?'}:`, error.cause ?? error);
    },
  });

  handle = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const entry = STATIC_FILES[path];
    if (entry && (req.method === 'GET' || req.method === 'HEAD')) {
      serveStatic(res, entry, req.method === 'HEAD').catch((error: unknown) => {
        console.error(error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    trpc(req, res);
  };

  // The page's live session list (auth.sessions.watch) runs over a WebSocket on the same port; in
  // cookie mode the upgrade request carries the session cookie (same origin).
  const wss = new WebSocketServer({ server });
  applyWSSHandler({ wss, router: app.router, createContext: app.createContext });

  return {
    url,
    /** The origin the page's cookie sessions trust (ORIGIN, else `url`). */
    origin: publicOrigin,
    port: address.port,
    database: description,
    /** The migrations this start applied (none when the database was up to date). */
    migrations,
    cache,
    /** Where Prometheus scrapes, or null without METRICS_PORT. */
    metricsUrl: metrics?.url ?? null,
    app,
    sequelize,
    server,
    async close(): Promise<void> {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await app.durin.close();
      await metrics?.close();
      await redis?.quit();
      await sequelize.close();
    },
  };
}

async function main() {
  const running = await startExampleServer();
  const clients = DEMO_CLIENTS.map((c) => `${c.name}${c.throttleRate ? ` (throttled ${c.throttleRate})` : ''}`).join(', ');
  const login = JSON.stringify({ json: { username: DEMO_USER.username, password: DEMO_USER.password, client: 'web' } });
  console.log(
    [
      '',
      `  trpc-durin example app: ${running.url}`,
      '',
      `  Demo user:  ${DEMO_USER.username} / ${DEMO_USER.password}`,
      `  Clients:    ${clients}; API keys on api (abilities posts:read, posts:write)`,
      `  Page:       cookie sessions (HttpOnly${running.origin.startsWith('https:') ? ', Secure' : ''}) for ${running.origin}`,
      `  Database:   ${running.database}${running.migrations.length ? ` (applied ${running.migrations.join(', ')})` : ''}`,
      `  Context:    ${running.cache ? 'createCachedDurinContext (DURIN_CACHE=1)' : 'createDurinContext (DURIN_CACHE=1 for the cached one)'}`,
      `  Metrics:    ${running.metricsUrl ?? 'none (METRICS_PORT=9464 to serve Prometheus text at /metrics)'}`,
      `  Redis:      ${process.env.REDIS_URL ? `${process.env.REDIS_URL} (throttles and revocations shared)` : 'none (REDIS_URL=redis://... to share throttles and revocations)'}`,
      '',
      `  Open ${running.url} in a browser, run \`npm run walkthrough\`, or:`,
      `    curl -s -X POST ${running.url}/auth.login -H 'content-type: application/json' -d '${login}'`,
      `    curl -s ${running.url}/me -H 'authorization: Token <token>'`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`The example app could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
