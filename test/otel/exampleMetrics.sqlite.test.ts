import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startExampleServer } from '../../example-app/server.js';
import { DEMO_USER } from '../../example-app/app.js';
import { freePort } from '../helpers/redis.js';

/**
 * The example app with METRICS_PORT: after real traffic over HTTP, a Prometheus scrape of its
 * `/metrics` port shows durin's instruments, with the outcome and cache labels and no token.
 * The example app keeps its own database (a SQLite file), so this runs in the sqlite project only.
 */
describe('the example app serves Prometheus text', () => {
  let server: Awaited<ReturnType<typeof startExampleServer>>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'durin-metrics-'));
    server = await startExampleServer({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: `sqlite:${join(dir, 'example.sqlite')}`,
      cache: true,
      metricsPort: await freePort(),
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (path: string, init: { token?: string; body?: unknown } = {}) =>
    fetch(`${server.url}/${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Token ${init.token}` } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify({ json: init.body }),
    });

  test('after a login, two calls and a bad token, /metrics counts them by outcome and cache', async () => {
    const login = await call('auth.login', { body: { ...DEMO_USER, client: 'web' } });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { result: { data: { json: { token: string } } } }).result.data.json.token;
    expect((await call('me', { token })).status).toBe(200);
    expect((await call('me', { token })).status).toBe(200);
    expect((await call('me', { token: 'f'.repeat(64) })).status).toBe(401);

    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = await fetch(server.metricsUrl!);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    const line = (labels: RegExp) => text.split('\n').find((l) => l.startsWith('durin_auth_requests') && labels.test(l));
    expect(line(/outcome="ok".*durin_client="web".*cache="miss"|cache="miss".*durin_client="web".*outcome="ok"/)).toMatch(/ 1$/);
    expect(line(/outcome="ok".*cache="hit"|cache="hit".*outcome="ok"/)).toMatch(/ 1$/);
    expect(line(/outcome="invalid"/)).toMatch(/ 1$/);
    expect(text).toMatch(/^durin_auth_lookup_duration\w*_count\{.*\} 2$/m);
    expect(text).toMatch(/^durin_tokens_issued\w*\{.*kind="session".*\} 1$/m);
    expect(text).toMatch(/^durin_cache_entries\w*\{.*\} 1$/m);
    expect(text).not.toContain(token);
  });
});
