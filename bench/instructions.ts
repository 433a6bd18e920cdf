import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleServer } from './bundle.js';
import { connectServer } from './channel.js';
import type { ServerConfig, ServerMode } from './server.js';

/**
 * Instructions per request, counted by valgrind's callgrind on a bench server (bench/server.ts)
 * that serves one request at a time. Wall-clock req/s on a shared 2-core VM moves by a tenth from
 * run to run; the number of instructions a request executes does not (two runs agree within a
 * fraction of a percent), so this is the figure the ratios are gated on. What makes it repeat:
 * - V8 runs with `--predictable`: no background compiler or GC threads, so optimized code is
 *   installed and the heap collected at the same points in every run;
 * - a lower `--interrupt-budget` makes hot functions reach optimized code within the warm-up
 *   (with the default, a server still compiles after thousands of requests, and the count would
 *   measure the compiler); whatever compiling is left in the window is read from the dump, left
 *   out and reported beside the count, and so is a mark-compact of the old generation (see
 *   `attributed`). No GC is forced: a forced full GC drops compiled code, which the window would
 *   then spend compiling again;
 * - requests are sent one after another on one keep-alive connection, so every request is one
 *   wake-up of the event loop with the same bytes to parse;
 * - counting starts after the warm-up (valgrind runs the warm-up uninstrumented, several times
 *   faster) and the counters are dumped after `requests` requests; start-up never enters the figure.
 * The count is of the server process only (all its threads: SQLite's queries run on libuv's pool
 * and count; MariaDB's own work, in its own process, does not), like the CPU µs of run.ts.
 */

/** V8's default is 67 584 (bytecode bytes executed before a function is considered for optimizing). */
const INTERRUPT_BUDGET = 8192;

export interface CountedCase {
  /** The name the figure is reported under. */
  readonly name: string;
  readonly mode: ServerMode;
  /** The Authorization token sent, or none. */
  readonly token: string | null;
  /** The status every answer must have (a 401 for a refused token). */
  readonly status: number;
}

export interface InstructionOptions {
  readonly dialect: 'sqlite' | 'mysql';
  /** What a server child connects to (the SQLite file or the MySQL URL). */
  readonly database: string;
  readonly cases: readonly CountedCase[];
  /** Requests before counting starts. */
  readonly warmup: number;
  /** Requests counted. */
  readonly requests: number;
  /** How many valgrind servers run at once (they do not disturb each other's counts). */
  readonly parallel: number;
  /** Keep each server's callgrind dump (its directory is printed), to read where the instructions went. */
  readonly keepDumps?: boolean;
}

export interface CountedResult {
  /** Instructions per request, compiling and the old generation's mark-compact left out. */
  readonly perRequest: number;
  /** Instructions per request spent compiling within the counted window. */
  readonly compilePerRequest: number;
  /** Instructions per request of the old generation's mark-compact within the window (0 when none landed there). */
  readonly majorGcPerRequest: number;
  readonly requests: number;
}

/** callgrind_control waits until valgrind has handled the command; valgrind only looks while it runs guest code. */
function control(pid: number, flag: '--instr=on' | '-d'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('callgrind_control', [flag, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`callgrind_control ${flag} ${pid}: exit ${code} ${stderr}`))));
  });
}

interface CountedServer {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

async function startCounted(bundle: string, config: ServerConfig, outDir: string): Promise<CountedServer> {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${path.join(outDir, 'callgrind.%p')}`,
      '--dump-instr=no',
      // No instrumentation until the warm-up is over: valgrind then runs the program several
      // times faster, and the count starts when `callgrind_control --instr=on` says so.
      '--instr-atstart=no',
      '--compress-strings=no',
      // The JIT writes and rewrites code: valgrind must notice, or it runs stale translations.
      '--smc-check=all-non-file',
      process.execPath,
      '--predictable',
      `--interrupt-budget=${INTERRUPT_BUDGET}`,
      bundle,
    ],
    {
      env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const channel = await connectServer(child, `callgrind server ${config.mode}`, () => `: ${stderr}`);
  return {
    child,
    url: `http://127.0.0.1:${channel.port}/me`,
    stop: () => channel.exit(),
  };
}

/**
 * What a dump's window spent on work that is not this request's own and lands in lumps: compiling
 * (bytecode, baseline and optimized code; it dies out as the JIT settles) and the old generation's
 * mark-compact (its cost follows the whole heap, and one lands every few thousand requests: a
 * window of a few hundred either catches one or not). Read as the inclusive cost of V8's entry
 * points with callgrind_annotate. The young generation's scavenges, which every request's garbage
 * pays for, stay in the count.
 */
async function attributed(file: string): Promise<{ compile: number; majorGc: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn('callgrind_annotate', ['--inclusive=yes', '--threshold=100', '--auto=no', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`callgrind_annotate ${file}: exit ${code}`))));
  });
  const sums = { compile: 0, majorGc: 0 };
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+\(.*\)\s+\S*:v8::internal::([\w:]+)\(/.exec(line);
    if (!match) continue;
    const name = match[2]!;
    const cost = Number(match[1]!.replace(/,/g, ''));
    if (/^(Runtime_Compile(Lazy|Optimized\w*|Baseline)|BaselineBatchCompiler::CompileBatch)$/.test(name)) sums.compile += cost;
    else if (/^(IncrementalMarking::Step|Heap::MarkCompact|Heap::StartIncrementalMarking)$/.test(name)) sums.majorGc += cost;
  }
  return sums;
}

/** The `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
function readTotal(file: string): number {
  const text = readFileSync(file, 'utf8');
  const line = /^(?:totals|summary):\s*(\d+)/m.exec(text);
  if (!line) throw new Error(`no totals in ${file}`);
  return Number(line[1]);
}

async function countOne(bundle: string, options: InstructionOptions, counted: CountedCase): Promise<CountedResult> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'durin-callgrind-'));
  const server = await startCounted(bundle, { mode: counted.mode, dialect: options.dialect, database: options.database }, outDir);
  const headers: Record<string, string> = counted.token ? { authorization: `Token ${counted.token}` } : {};
  const send = async () => {
    const response = await fetch(server.url, { headers });
    await response.arrayBuffer();
    if (response.status !== counted.status) {
      throw new Error(`${options.dialect}/${counted.name}: answered ${response.status}, expected ${counted.status}`);
    }
  };
  try {
    for (let i = 0; i < options.warmup; i++) await send();
    await control(server.child.pid!, '--instr=on');
    for (let i = 0; i < options.requests; i++) await send();
    await control(server.child.pid!, '-d');
    const dumps = readdirSync(outDir).filter((name) => /^callgrind\.\d+\.\d+$/.test(name));
    if (dumps.length !== 1) throw new Error(`expected one callgrind dump in ${outDir}, found ${dumps.join(', ') || 'none'}`);
    const file = path.join(outDir, dumps[0]!);
    const total = readTotal(file);
    const { compile, majorGc } = await attributed(file);
    return {
      perRequest: (total - compile - majorGc) / options.requests,
      compilePerRequest: compile / options.requests,
      majorGcPerRequest: majorGc / options.requests,
      requests: options.requests,
    };
  } finally {
    await server.stop().catch(() => server.child.kill());
    if (options.keepDumps)
      console.log(`${options.dialect}/${counted.name}: callgrind dump kept in ${outDir} (callgrind_annotate --inclusive=yes)`);
    else rmSync(outDir, { recursive: true, force: true });
  }
}

/** Every case in a server of its own under callgrind, `parallel` at a time. */
export async function countInstructions(options: InstructionOptions, bundled?: string): Promise<Record<string, CountedResult>> {
  const bundle = bundled ?? (await bundleServer());
  const results: Record<string, CountedResult> = {};
  const queue = [...options.cases];
  await Promise.all(
    Array.from({ length: Math.max(1, options.parallel) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) results[next.name] = await countOne(bundle, options, next);
    }),
  );
  return results;
}

/** Each mode with the traffic run.ts loads it with: `forged` its bad-checksum token (a 401), the rest the valid one. */
export function instructionCases(modes: readonly ServerMode[], db: { token: string; forged: string }): CountedCase[] {
  return modes.map((mode) =>
    mode === 'forged' ? { name: mode, mode, token: db.forged, status: 401 } : { name: mode, mode, token: db.token, status: 200 },
  );
}
