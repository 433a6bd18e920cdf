import { beforeAll, describe, expect, test } from 'vitest';
import { hashToken, type DurinEventMap } from '../../src/index.js';
import { useTestServer } from '../helpers/server.js';
import { unique, useClock } from '../helpers/time.js';

/** Every revocation path emits tokenRevoked with the digests and a reason. */
const clock = useClock();
type Revoked = DurinEventMap['tokenRevoked'][0];

describe('tokenRevoked', () => {
  const API = 'api-events';
  const env = useTestServer({ settings: { apiAccessClientName: API } });

  beforeAll(async () => {
    await env.app.durin.clients.create({ name: API });
  });

  async function collect(action: () => Promise<unknown>): Promise<Revoked[]> {
    const seen: Revoked[] = [];
    const listener = (event: Revoked) => seen.push({ ...event, tokenHashes: [...event.tokenHashes].sort() });
    env.app.durin.events.on('tokenRevoked', listener);
    try {
      await action();
    } finally {
      env.app.durin.events.off('tokenRevoked', listener);
    }
    return seen;
  }

  async function userOn(...clientNames: string[]) {
    const user = await env.app.createUser({ username: unique('u') });
    const tokens: string[] = [];
    for (const name of clientNames) tokens.push((await env.app.durin.tokens.issue(user, name)).token);
    return { user, tokens };
  }
  const newClient = async (ttl = '1d') => (await env.app.durin.clients.create({ name: unique('c'), tokenTtl: ttl })).name;
  const digests = (tokens: string[]) => tokens.map(hashToken).sort();

  test('logout', async () => {
    const { tokens } = await userOn(await newClient());
    expect(await collect(() => env.server.client(tokens[0]).auth.logout.mutate())).toEqual([
      { tokenHashes: digests(tokens), reason: 'logout' },
    ]);
  });

  test('logoutAll, with every token of the user', async () => {
    const { tokens } = await userOn(await newClient(), await newClient(), API);
    expect(await collect(() => env.server.client(tokens[0]).auth.logoutAll.mutate())).toEqual([
      { tokenHashes: digests(tokens), reason: 'logoutAll' },
    ]);
  });

  test('removeExpired, with only the expired tokens', async () => {
    const short = await newClient('1h');
    const { tokens: expired } = await userOn(short);
    const { tokens: alive } = await userOn(await newClient('7d'));
    clock.travel(2 * 3600_000);
    const events = await collect(async () => {
      expect(await env.app.durin.tokens.removeExpired()).toBeGreaterThanOrEqual(1);
    });
    const hashes = events.flatMap((e) => e.tokenHashes);
    expect(events.every((e) => e.reason === 'removeExpired')).toBe(true);
    expect(hashes).toEqual(expect.arrayContaining(digests(expired)));
    expect(hashes).not.toContain(hashToken(alive[0]!));
  });

  test('clients.delete, with the tokens the cascade removes', async () => {
    const name = await newClient();
    const a = await userOn(name);
    const b = await userOn(name);
    expect(await collect(() => env.app.durin.clients.delete(name))).toEqual([
      { tokenHashes: digests([...a.tokens, ...b.tokens]), reason: 'clientDeleted' },
    ]);
    expect(await env.app.durin.models.AuthToken.count({ where: { tokenHash: digests([...a.tokens, ...b.tokens]) } })).toBe(0);
  });

  test('tokens.revoke, with the default reason', async () => {
    const name = await newClient();
    const user = await env.app.createUser({ username: unique('u') });
    const { auth, token } = await env.app.durin.tokens.issue(user, name);
    expect(await collect(() => env.app.durin.tokens.revoke(auth))).toEqual([{ tokenHashes: [hashToken(token)], reason: 'revoked' }]);
  });

  test('nothing is emitted when nothing was revoked', async () => {
    const user = await env.app.createUser({ username: unique('u') });
    expect(await collect(() => env.app.durin.tokens.revokeAll(user))).toEqual([]);
  });
});
