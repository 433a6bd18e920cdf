import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { unique } from '../helpers/time.js';
import { createSubscriptionApp, within, type SubscriptionApp } from './harness.js';

/**
 * at the expiry the watch verifies the token once, as a request would. A renewal it
 * was not told of (another process without a bus wrote it) keeps the stream; it ends at the new expiry.
 */

let app: SubscriptionApp;
beforeAll(async () => {
  app = await createSubscriptionApp();
});
afterAll(async () => {
  await app?.close();
});

test("a renewal made behind the watch's back moves the end to the new expiry", async () => {
  const user = await app.createUser();
  const client = unique('web');
  await app.durin.clients.create({ name: client, tokenTtl: 1 });
  const { token, auth } = await app.durin.tokens.issue(user, client);
  const ctx = await app.createContext({ headers: { authorization: `Token ${token}` } });
  const stream = (await app.router.createCaller(ctx).quiet())[Symbol.asyncIterator]();
  expect(await stream.next()).toEqual({ done: false, value: 'open' });

  // Another process renews the row; no liveness message reaches this one.
  const renewedTo = new Date(auth.expiry.getTime() + 700);
  await app.durin.models.AuthToken.update({ expiry: renewedTo }, { where: { id: auth.id } });

  const ended = stream.next().then(
    () => 'no error',
    (error: Error) => error.message,
  );
  expect(await within(3000, ended, 'the end at the new expiry')).toBe('The given token has expired.');
  expect(Date.now()).toBeGreaterThan(renewedTo.getTime());
  expect(app.durin.subscriptions).toMatchObject({ open: 0, watchedTokens: 0 });
});

test('a token found expired by a request ends its open stream with "The given token has expired."', async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    const user = await app.createUser();
    const client = unique('web');
    await app.durin.clients.create({ name: client, tokenTtl: 60 });
    const { token } = await app.durin.tokens.issue(user, client);
    const ctx = await app.createContext({ headers: { authorization: `Token ${token}` } });
    const stream = (await app.router.createCaller(ctx).quiet())[Symbol.asyncIterator]();
    expect(await stream.next()).toEqual({ done: false, value: 'open' });
    const ended = stream.next().then(
      () => 'no error',
      (error: Error) => error.message,
    );

    // Past the expiry another request presents the token first: it deletes the row and reports it.
    vi.setSystemTime(Date.now() + 61_000);
    const later = await app.createContext({ headers: { authorization: `Token ${token}` } });
    expect(later.durin.failure?.error).toBe('TOKEN_EXPIRED');
    expect(await within(1000, ended, 'the end of the stream')).toBe('The given token has expired.');
    expect(app.durin.subscriptions).toMatchObject({ open: 0, watchedTokens: 0 });
  } finally {
    vi.useRealTimers();
  }
});
