import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { createSharedDatabase, type SharedDatabase } from '../helpers/processes.js';
import { REDIS_URL } from '../helpers/redis.js';

/**
 * A process that forgets durin.close() still ends on SIGTERM once it closed its server and its own
 * clients: nothing durin started (cache entries, usage writes, the bus's timers and subscriber)
 * holds it open. A process still alive long after is counted as hung and killed.
 */

const APP = fileURLToPath(new URL('../fixtures/forget-close/app.ts', import.meta.url));
const HANG_LIMIT_MS = 20_000;

let db: SharedDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function runUntilSigterm(redisUrl?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  db = await createSharedDatabase();
  const config = { dialect: db.dialect, database: db.database, ...(redisUrl ? { redisUrl } : {}) };
  const child = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: { ...process.env, DURIN_FORGET_CLOSE: JSON.stringify(config) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!chunk.toString().startsWith('ready ')) return;
    child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), HANG_LIMIT_MS);
  });
  const result = await exited;
  clearTimeout(killer);
  return { ...result, stderr };
}

describe('a process that forgets durin.close()', () => {
  test('exits on SIGTERM after a cached request', async () => {
    expect(await runUntilSigterm()).toEqual({ code: 0, signal: null, stderr: '' });
  }, 60_000);

  test.runIf(Boolean(REDIS_URL))(
    'exits on SIGTERM with the Redis bus, once it quit its own Redis client',
    async () => {
      expect(await runUntilSigterm(REDIS_URL)).toEqual({ code: 0, signal: null, stderr: '' });
    },
    60_000,
  );
});
