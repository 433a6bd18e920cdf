import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DurinSession } from '../../src/index.js';
import { unique, useClock } from '../helpers/time.js';
import { createSubscriptionApp, startSubscriptionServer, watch, within, type SubscriptionApp, type SubscriptionServer } from './harness.js';

/** `auth.sessions.watch` yields the caller's sessions now and on every change. */

const clock = useClock();
let app: SubscriptionApp;
let server: SubscriptionServer;

beforeAll(async () => {
  app = await createSubscriptionApp();
  server = await startSubscriptionServer(app);
  for (const name of ['web', 'phone', 'cli']) await app.durin.clients.create({ name: unique(name) });
});
afterAll(async () => {
  await server?.close();
  await app?.close();
});

async function newClient() {
  const name = unique('client');
  await app.durin.clients.create({ name });
  return name;
}

/** Reads a watch's lists in order: `next(check)` waits for the first unseen list that passes. */
function reader(lists: DurinSession[][], received: (n: number) => Promise<void>) {
  let seen = 0;
  return async (check: (list: DurinSession[]) => boolean = () => true) => {
    for (;;) {
      await within(1000, received(seen + 1), 'the next session list');
      const list = lists[seen++]!;
      if (check(list)) return list;
    }
  };
}

describe.each(['ws', 'sse'] as const)('sessions.watch over %s', (transport) => {
  test('yields the list now and after login, refresh and revocation elsewhere; ends when its own token goes', async () => {
    const user = await app.createUser();
    const web = await newClient();
    const phone = await newClient();
    const mine = await app.durin.tokens.issue(user, web);
    const connection = server[transport](`Token ${mine.token}`);
    try {
      const sessions = watch<DurinSession[]>((input, handlers) => connection.client.auth.sessions.watch.subscribe(input, handlers));
      const lists = sessions.data;
      const until = reader(lists, sessions.received);
      const first = await until();
      expect(first).toEqual([expect.objectContaining({ id: Number(mine.auth.id), client: web, isCurrent: true })]);

      // A login on another client appears.
      const other = await app.durin.tokens.issue(user, phone);
      const two = await until((list) => list.length === 2);
      expect(two.map((s) => s.client)).toEqual([web, phone]);

      // A refresh of the other session shows its new expiry.
      const renewed = await server.http(other.token).auth.refresh.mutate();
      await until((list) => list[1]?.expiry.getTime() === renewed.expiry.getTime());

      // Another user's changes do not wake this watch.
      const stranger = await app.createUser();
      const before = lists.length;
      await app.durin.tokens.issue(stranger, phone);

      // Revoked from the other session: it disappears.
      await server.http(other.token).auth.logout.mutate();
      const one = await until((list) => list.length === 1);
      expect(one[0]).toMatchObject({ isCurrent: true });
      expect(lists.length).toBe(before + 1);

      // Its own token revoked: the watch ends with "Invalid token.".
      await app.durin.tokens.revoke(mine.auth);
      const error = await within(1000, sessions.error, 'the end of the watch');
      expect(error).toMatchObject({ message: 'Invalid token.', data: { code: 'UNAUTHORIZED' } });
      await expect.poll(() => app.durin.subscriptions.open).toBe(0);
    } finally {
      await connection.close();
    }
  });
});

describe.each(['ws', 'sse'] as const)('sessions.watch over %s, expiry', (transport) => {
  test('drops a session whose token was found expired when presented', async () => {
    const user = await app.createUser();
    const web = await newClient();
    const shortLived = unique('short');
    await app.durin.clients.create({ name: shortLived, tokenTtl: 60 });
    const mine = await app.durin.tokens.issue(user, web);
    const other = await app.durin.tokens.issue(user, shortLived);
    const connection = server[transport](`Token ${mine.token}`);
    try {
      const sessions = watch<DurinSession[]>((input, handlers) => connection.client.auth.sessions.watch.subscribe(input, handlers));
      const until = reader(sessions.data, sessions.received);
      expect((await until()).map((s) => s.client)).toEqual([web, shortLived]);

      // The short-lived token is presented after its expiry: the request fails and deletes it.
      clock.travel(61_000);
      await expect(server.http(other.token).auth.refresh.mutate()).rejects.toThrow('The given token has expired.');
      const one = await until((list) => list.length === 1);
      expect(one[0]).toMatchObject({ client: web, isCurrent: true });
    } finally {
      await connection.close();
    }
  });
});

test('an anonymous caller cannot watch', async () => {
  const ws = server.ws(null);
  try {
    const sessions = watch<DurinSession[]>((input, handlers) => ws.client.auth.sessions.watch.subscribe(input, handlers));
    expect((await sessions.error).message).toBe('Authentication credentials were not provided.');
  } finally {
    await ws.close();
  }
});
