import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unique } from '../helpers/time.js';
import { createSubscriptionApp, startSubscriptionServer, watch, within, type SubscriptionApp, type SubscriptionServer } from './harness.js';

/** Subscriptions over SSE: tRPC's httpSubscriptionLink with connectionParams, one createContext. */

let app: SubscriptionApp;
const servers: Partial<Record<'cached' | 'uncached', SubscriptionServer>> = {};

beforeAll(async () => {
  app = await createSubscriptionApp();
  servers.cached = await startSubscriptionServer(app, { cached: true });
  servers.uncached = await startSubscriptionServer(app);
});
afterAll(async () => {
  await servers.cached?.close();
  await servers.uncached?.close();
  await app?.close();
});

async function loggedIn() {
  const user = await app.createUser();
  const clientName = unique('web');
  await app.durin.clients.create({ name: clientName });
  return { user, clientName, ...(await app.durin.tokens.issue(user, clientName)) };
}

describe.each(['cached', 'uncached'] as const)('SSE, %s context', (kind) => {
  const server = { sse: (a: string | null) => servers[kind]!.sse(a), http: (t: string) => servers[kind]!.http(t) };
  test('connectionParams authenticate a subscription', async () => {
    const { token } = await loggedIn();
    const ticks = watch<number>((input, handlers) => server.sse(`Token ${token}`).client.ticks.subscribe(input, handlers));
    await ticks.received(2);
    ticks.unsubscribe();
  });

  test('an open subscription ends with "Invalid token." within 1 s after logout over HTTP', async () => {
    const { token } = await loggedIn();
    const ticks = watch<number>((input, handlers) => server.sse(`Token ${token}`).client.ticks.subscribe(input, handlers));
    await ticks.received(1);
    await server.http(token).auth.logout.mutate();
    const error = await within(1000, ticks.error, 'the end of the subscription');
    expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED', durinCode: 'TOKEN_INVALID' } });
    await expect.poll(() => app.durin.subscriptions.open).toBe(0);
  });

  test('an open subscription ends after a rotation', async () => {
    const { token, user, clientName } = await loggedIn();
    const ticks = watch<number>((input, handlers) => server.sse(`Token ${token}`).client.ticks.subscribe(input, handlers));
    await ticks.received(1);
    await app.durin.tokens.issue(user, clientName);
    expect((await within(1000, ticks.error, 'the end of the subscription')).message).toBe('Invalid token.');
  });

  test("anonymous and malformed connectionParams get durin's messages", async () => {
    const anonymous = watch<number>((input, handlers) => server.sse(null).client.ticks.subscribe(input, handlers));
    expect(await anonymous.error).toMatchObject({
      message: 'Authentication credentials were not provided.',
      data: { durinCode: 'NOT_AUTHENTICATED' },
    });
    const malformed = watch<number>((input, handlers) => server.sse('Token').client.ticks.subscribe(input, handlers));
    expect(await malformed.error).toMatchObject({
      message: 'Invalid token header. No credentials provided.',
      data: { durinCode: 'HEADER_MALFORMED' },
    });
  });
});
