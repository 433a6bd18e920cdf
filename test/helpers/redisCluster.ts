import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { freePort } from './redis.js';

/**
 * A local Redis Cluster for the Redis Cluster tests: three `redis-server --cluster-enabled yes` on
 * free ports (their cluster bus on free ports too, `--cluster-port`), no persistence, every file in
 * one temp folder; `redis-cli --cluster create` gives each a third of the slots (no replicas).
 * `stop()` kills the three by PID and removes the folder.
 */

const run = promisify(execFile);

export interface LocalRedisCluster {
  /** Where a client starts: the three nodes. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** SIGKILLs the node on `port` (it stays down: the others do not mark it failed within the tests' time). */
  kill(port: number): Promise<void>;
  /** A `Cluster` client the caller closes (`quit` / `disconnect`), with no reconnect noise on stderr. */
  connect(options?: ClusterOptions): Cluster;
  stop(): Promise<void>;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the local Redis Cluster: timed out waiting for ${what}`);
}

/** Starts three cluster-enabled redis-servers, creates the cluster, waits for `cluster_state:ok` on every node. */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'durin-test-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      // Each node in its own folder: its nodes.conf is the cluster-config-file (the folder is --dir).
      const nodeDir = mkdtempSync(path.join(dir, `node-${port}-`));
      const args = ['--port', port, '--cluster-port', busPort, '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no'];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '30000');
      children.push(spawn('redis-server', args.map(String), { stdio: 'ignore' }));
    }
    await Promise.all(ports.map((port) => until(`node ${port} to answer`, async () => (await cli(port, 'ping')).trim() === 'PONG')));
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(
      ports.map((port) =>
        until(`cluster_state:ok on ${port}`, async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok')),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    connect(options = {}) {
      const cluster = new Cluster(nodes, { ...options, redisOptions: { maxRetriesPerRequest: 1, ...options.redisOptions } });
      cluster.on('error', () => {});
      return cluster;
    },
    async kill(port) {
      const child = children[ports.indexOf(port)];
      if (!child) throw new Error(`no node on ${port}`);
      child.kill('SIGKILL');
      await exited(child);
    },
    stop,
  };
}
