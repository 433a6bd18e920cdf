import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { startTestServer, waitError, type TestServer } from './helpers/server.js';

let app: TestApp;
let server: TestServer;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
});
afterAll(async () => {
  await server.close();
  await app.close();
});

describe('smoke', () => {
  test('login then me', async () => {
    await app.durin.clients.create({ name: 'web' });
    await app.createUser({ username: 'john', password: 'pw' });
    const { token } = await server.client().auth.login.mutate({ username: 'john', password: 'pw', client: 'web' });
    const me = await server.client(token).me.query();
    expect(me.username).toBe('john');
    const error = await waitError(server.client('nope').me.query());
    expect(error.message).toBe('Invalid token.');
  });
});
