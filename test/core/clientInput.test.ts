import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS } from '../../src/errors.js';
import { useTestServer } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** Client input: a client name the table cannot hold is "No client with that name.", not a 500. */
describe('login with an odd client name', () => {
  const env = useTestServer({ settings: { loginThrottleRate: null } });

  test.each([
    ['a NUL', 'we\u0000b'],
    ['a control character', 'web\u0007'],
    ['a lone surrogate', 'web\ud800'],
    ['an emoji', 'web\u{1f600}'],
    ['CJK', '日本語'],
    ['a zero-width space', 'w\u200beb'],
    ['65 characters', 'w'.repeat(65)],
    ['4 KB', 'w'.repeat(4096)],
  ])('%s is "No client with that name." (400)', async (_, client) => {
    const user = await env.app.createUser();
    const response = await env.server.raw('auth.login', { body: { username: user.username, password: 'hunter2', client } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { json: { message: string; data: { durinCode: string } } } };
    expect(body.error.json.message).toBe(DURIN_ERRORS.CLIENT_UNKNOWN.message);
    expect(body.error.json.data.durinCode).toBe('CLIENT_UNKNOWN');
  });

  test('tokens.issue with an unknown client name is CLIENT_UNKNOWN, not a configuration error', async () => {
    const user = await env.app.createUser();
    await expect(env.app.durin.tokens.issue(user, unique('nope'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: DURIN_ERRORS.CLIENT_UNKNOWN.message,
    });
  });
});
