import type { ServerMode, ServerStats } from './server.js';

/**
 * The cost check of session tracking: usage recording (lastUsedUpdateInterval at its default, "5m") against the
 * same authentication without it, `token` (uncached) and `cached`, in the same run and interleaved
 * rounds as run.ts's modes, with the UPDATEs the tracked servers sent per request. Target: ≥ 0.95
 * of each, and writes per request ≤ 1 / (requests per token per interval): with one token and a run
 * shorter than the interval, one write in all.
 */

interface Server {
  readonly mode: ServerMode;
  call<T = unknown>(cmd: string): Promise<T>;
  stop(): Promise<void>;
}

export interface TrackedBenchTarget {
  readonly dialect: string;
  /** What a server child connects to (run.ts's BenchDatabase.database). */
  readonly database: string;
  readonly token: string;
}

export interface TrackedBenchDeps<TServer extends Server> {
  readonly targets: readonly TrackedBenchTarget[];
  readonly startServer: (mode: ServerMode, dialect: never, database: string) => Promise<TServer>;
  readonly load: (
    server: TServer,
    options: { token: string; duration: number },
  ) => Promise<{ rps: number; non2xx: number; errors: number; cpuUsPerRequest: number }>;
  readonly rounds: number;
  readonly duration: number;
}

export interface TrackedResult {
  /** trackedToken / token req/s: median of the per-round ratios. */
  vsToken: number;
  /** trackedCached / cached req/s. */
  vsCached: number;
  /**
   * The same two ratios from the servers' CPU time per request (untracked µs / tracked µs, so > 1
   * means tracked is cheaper): less swayed than req/s by other tenants of a shared machine.
   */
  cpu: { vsToken: number; vsCached: number; us: Record<string, number> };
  /** UPDATEs over requests served by the tracked servers. */
  writesPerRequest: number;
  writes: number;
  requests: number;
  rps: Record<string, number>;
}

const PAIRS = [
  ['trackedToken', 'token'],
  ['trackedCached', 'cached'],
] as const;

const WARMUP_SECONDS = 3;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function benchOne<TServer extends Server>(target: TrackedBenchTarget, deps: TrackedBenchDeps<TServer>): Promise<TrackedResult> {
  // Four fresh servers with the same history (run.ts's own `token` and `cached` have served for a
  // while already: a JIT-warm process against a cold one would measure warmth, not tracking).
  const modes = PAIRS.flat();
  const started = await Promise.all(modes.map((mode) => deps.startServer(mode, target.dialect as never, target.database)));
  try {
    const servers = new Map<ServerMode, TServer>(modes.map((mode, i) => [mode, started[i]!]));
    const tracked = PAIRS.map(([mode]) => servers.get(mode)!);
    const before = new Map<TServer, ServerStats>();
    for (const server of tracked) {
      await server.call('resetStatements');
      before.set(server, await server.call<ServerStats>('stats'));
    }
    for (const server of servers.values()) await deps.load(server, { token: target.token, duration: WARMUP_SECONDS });

    const rps: Record<string, number[]> = Object.fromEntries(modes.map((mode) => [mode, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(modes.map((mode) => [mode, []]));
    for (let r = 0; r < deps.rounds; r++) {
      const order = modes.map((_, i) => modes[(i + r) % modes.length]!);
      for (const mode of order) {
        const result = await deps.load(servers.get(mode)!, { token: target.token, duration: deps.duration });
        if (result.non2xx || result.errors) throw new Error(`${target.dialect}/${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        rps[mode]!.push(result.rps);
        cpu[mode]!.push(result.cpuUsPerRequest);
      }
      console.log(
        `[${target.dialect}] tracked round ${r + 1}/${deps.rounds}: ${order.map((m) => `${m} ${Math.round(rps[m]!.at(-1)!)}/s`).join(', ')}`,
      );
    }
    let writes = 0;
    let requests = 0;
    for (const server of tracked) {
      const after = await server.call<ServerStats>('stats');
      writes += after.updates;
      requests += after.requests - before.get(server)!.requests;
    }
    const paired = (a: string, b: string) => round(median(rps[a]!.map((x, i) => x / rps[b]![i]!)));
    const pairedCpu = (a: string, b: string) => round(median(cpu[b]!.map((x, i) => x / cpu[a]![i]!)));
    return {
      vsToken: paired('trackedToken', 'token'),
      vsCached: paired('trackedCached', 'cached'),
      cpu: {
        vsToken: pairedCpu('trackedToken', 'token'),
        vsCached: pairedCpu('trackedCached', 'cached'),
        us: Object.fromEntries(modes.map((mode) => [mode, Math.round(median(cpu[mode]!))])),
      },
      writesPerRequest: requests ? writes / requests : 0,
      writes,
      requests,
      rps: Object.fromEntries(modes.map((mode) => [mode, Math.round(median(rps[mode]!))])),
    };
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/** Runs on every target (dialect); the headline numbers are the worst of them. */
export async function benchTracked<TServer extends Server>(deps: TrackedBenchDeps<TServer>) {
  const perDialect: Record<string, TrackedResult> = {};
  for (const target of deps.targets) perDialect[target.dialect] = await benchOne(target, deps);
  const all = Object.values(perDialect);
  const tracked = {
    vsToken: Math.min(...all.map((r) => r.vsToken)),
    vsCached: Math.min(...all.map((r) => r.vsCached)),
    writesPerRequest: Math.max(...all.map((r) => r.writesPerRequest)),
    ...perDialect,
  };
  for (const [dialect, r] of Object.entries(perDialect)) {
    console.log(
      `${dialect}: tracked (lastUsedUpdateInterval "5m") vs token ${r.vsToken.toFixed(3)}, vs cached ${r.vsCached.toFixed(3)}; ` +
        `CPU per request ${r.cpu.vsToken.toFixed(3)} / ${r.cpu.vsCached.toFixed(3)}; ` +
        `${r.writes} UPDATE(s) over ${r.requests} requests (${r.writesPerRequest.toExponential(2)} per request); req/s ${JSON.stringify(r.rps)}, µs ${JSON.stringify(r.cpu.us)}`,
    );
  }
  return tracked;
}
