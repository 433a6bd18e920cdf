import { beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestServer, waitError, type TestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** invalidTokenThrottleRate: per IP, past the rate, an unknown token answers 429 before any SQL. */
const clock = useClock();

describe('invalidTokenThrottleRate', () => {
  let app: TestApp;
  let cached: TestServer;

  const env = useTestServer({ settings: { invalidTokenThrottleRate: '3/m', lastUsedUpdateInterval: null }, cached: true });
  beforeAll(async () => {
    ({ app, server: cached } = env);
    await app.durin.clients.create({ name: 'web' });
  });

  const guess = () => 'f'.repeat(56) + unique('').replace(/\D/g, '').padStart(8, '0').slice(-8);

  test('three invalid tokens, then 429 with Retry-After and no SQL; a token cached as valid still passes', async () => {
    const at = clock.freeze();
    const user = await app.createUser({ username: unique('john') });
    const { token } = await app.durin.tokens.issue(user, 'web');
    expect((await cached.client(token).me.query()).username).toBe(user.username); // now cached as valid

    for (let i = 0; i < 3; i++) {
      app.db.statements.length = 0;
      expect((await waitError(cached.client(guess()).me.query())).message).toBe('Invalid token.');
      expect(app.db.statements).toHaveLength(1);
    }
    app.db.statements.length = 0;
    const response = await cached.raw('me', { headers: { authorization: `Token ${guess()}` } });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    const refused = await waitError(cached.client(guess()).me.query());
    expect(refused.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.message).toBe('Request was throttled. Expected available in 60 seconds.');
    expect(app.db.statements).toEqual([]);
    // A malformed token is refused the same way, before anything else.
    expect((await waitError(cached.client('bad!token').me.query())).data?.code).toBe('TOO_MANY_REQUESTS');
    expect((await cached.client(token).me.query()).username).toBe(user.username);

    clock.freeze(at + 60_001);
    expect((await waitError(cached.client(guess()).me.query())).message).toBe('Invalid token.');
  });
});
