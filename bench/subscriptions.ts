import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { Sequelize } from 'sequelize-typescript';
import { WebSocket, WebSocketServer } from 'ws';
import { createBenchDurin, defineUser } from './app.js';

/**
 * Subscription numbers, in one process on SQLite (in memory), over a real `ws` server and tRPC's
 * wsLink: the time from a revocation (its `tokenRevoked`, i.e. after the DELETE) to the client's
 * `onError`, p50/p99 over `ends` subscriptions; and the heap per open protected subscription
 * beyond an unprotected tRPC subscription on the same connection (median of `rounds`).
 *
 *   npx tsx bench/subscriptions.ts [--ends 200] [--open 2000] [--rounds 3]
 */

export interface SubscriptionBenchOptions {
  ends?: number;
  open?: number;
  rounds?: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

export async function benchSubscriptions(options: SubscriptionBenchOptions = {}) {
  const ends = options.ends ?? 200;
  const open = options.open ?? 2000;
  const rounds = options.rounds ?? 3;
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  const User = defineUser(sequelize);
  const durin = createBenchDurin(sequelize, User);
  await User.sync();
  await durin.sync();
  await durin.clients.create({ name: 'web', tokenTtl: '1d' });

  const createContext = (opts: CreateWSSContextFnOptions) => durin.createCachedDurinContext(opts);
  const t = initTRPC.context<Awaited<ReturnType<typeof createContext>>>().create();
  const waitForAbort = (signal: AbortSignal | undefined) =>
    new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
  const router = t.router({
    plain: t.procedure.subscription(async function* ({ signal }) {
      yield 1;
      await waitForAbort(signal);
    }),
    guarded: t.procedure.concat(durin.protectedProcedure).subscription(async function* ({ signal }) {
      yield 1;
      await waitForAbort(signal);
    }),
  });
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const handler = applyWSSHandler({ wss, router, createContext });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connect = (token: string) => {
    const ws = createWSClient({ url, WebSocket: WebSocket as never, connectionParams: { authorization: `Token ${token}` } });
    return { ws, client: createTRPCClient<typeof router>({ links: [wsLink({ client: ws })] }) };
  };

  try {
    // 1. Revocation → end.
    const user = await User.create({ username: 'bench', passwordHash: 'x' });
    const revokedAt = new Map<string, number>();
    durin.events.on('tokenRevoked', ({ tokenHashes }) => {
      const at = performance.now();
      for (const hash of tokenHashes) revokedAt.set(hash, at);
    });
    const endMs: number[] = [];
    for (let i = 0; i < ends; i++) {
      const { token, auth } = await durin.tokens.issue(user, 'web');
      const { ws, client } = connect(token);
      const ended = new Promise<number>((resolve) => {
        let started!: () => void;
        const ready = new Promise<void>((r) => (started = r));
        client.guarded.subscribe(undefined, { onData: () => started(), onError: () => resolve(performance.now()) });
        void ready.then(() => durin.tokens.revoke(auth));
      });
      const at = await ended;
      endMs.push(at - revokedAt.get(auth.tokenHash)!);
      void ws.close();
    }
    endMs.sort((a, b) => a - b);

    // 2. Heap per open subscription, protected minus plain, on one connection.
    const { token } = await durin.tokens.issue(user, 'web');
    const { ws, client } = connect(token);
    const heapOf = async (kind: 'plain' | 'guarded') => {
      const subscriptions: Array<{ unsubscribe(): void }> = [];
      let started = 0;
      let all!: () => void;
      const allStarted = new Promise<void>((resolve) => (all = resolve));
      for (let i = 0; i < open; i++) {
        subscriptions.push(client[kind].subscribe(undefined, { onData: () => ++started === open && all() }));
      }
      await allStarted;
      const bytes = heapUsed();
      for (const s of subscriptions) s.unsubscribe();
      while (durin.subscriptions.open > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 100));
      return bytes;
    };
    const perSubscription: number[] = [];
    await heapOf('plain'); // warm-up: code paths compiled, pools grown
    await heapOf('guarded');
    for (let r = 0; r < rounds; r++) {
      const plain = await heapOf('plain');
      const guarded = await heapOf('guarded');
      perSubscription.push((guarded - plain) / open);
    }
    perSubscription.sort((a, b) => a - b);
    void ws.close();
    return {
      endP50Ms: round(quantile(endMs, 0.5)),
      endP99Ms: round(quantile(endMs, 0.99)),
      bytesPerSubscription: Math.round(quantile(perSubscription, 0.5)),
      ends,
      openSubscriptions: open,
      bytesPerSubscriptionRounds: perSubscription.map((b) => Math.round(b)),
      leftOpen: durin.subscriptions.open,
    };
  } finally {
    handler.broadcastReconnectNotification();
    for (const socket of wss.clients) socket.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await durin.close();
    await sequelize.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchSubscriptions({ ends: flag('ends'), open: flag('open'), rounds: flag('rounds') });
  console.log(JSON.stringify(result, null, 2));
}
