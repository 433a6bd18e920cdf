import { request } from 'node:http';
import { beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestServer, type TestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/**
 * Credentials durin does not trust: a token in the URL of a plain request (access logs and proxies
 * keep URLs), two Authorization headers (a proxy may have read the other one), and a login name a
 * database cannot take (NUL).
 */
describe('credentials durin does not trust', () => {
  let app: TestApp;
  let server: TestServer;
  let token: string;
  let client: string;
  const env = useTestServer({ transformer: 'none' });
  beforeAll(async () => {
    ({ app, server } = env);
    client = unique('web');
    await app.durin.clients.create({ name: client });
    ({ token } = await app.durin.tokens.issue(await app.createUser({ username: 'ann' }), client));
  });

  const inUrl = () => `connectionParams=${encodeURIComponent(JSON.stringify({ authorization: `Token ${token}` }))}`;

  test('POST /auth.refresh with the token only in the URL is refused as a malformed header', async () => {
    const response = await fetch(`${server.url}/auth.refresh?${inUrl()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid token header. No credentials provided.',
    );
  });

  test('a query with the token only in the URL is refused too', async () => {
    const response = await fetch(`${server.url}/me?${inUrl()}`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid token header. No credentials provided.',
    );
  });

  test('two Authorization headers are refused as a malformed header, even when the first is valid', async () => {
    const send = (headers: string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // Headers as a flat list: node then sends each repeat as given (and no Host of its own).
        const req = request(`${server.url}/me`, { headers: ['Host', 'localhost', ...headers], method: 'GET' }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const one = await send(['Authorization', `Token ${token}`]);
    expect(one).toMatchObject({ status: 200 });
    const two = await send(['Authorization', `Token ${token}`, 'Authorization', 'Token other']);
    expect(two.status).toBe(401);
    expect(JSON.parse(two.body).error.message).toBe('Invalid token header. No credentials provided.');
  });

  test('a login name with NUL answers BAD_REQUEST, never a database error', async () => {
    for (const username of ['an\u0000n', 'ann\u0000', 'a\u0007nn']) {
      const response = await server.raw('auth.login', { body: { username, password: 'hunter2', client } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { data: { code: string } } }).error.data.code).toBe('BAD_REQUEST');
    }
  });
});
