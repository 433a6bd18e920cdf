import { Sequelize as PlainSequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDurin } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';
import { defineUser } from './helpers/app.js';

/** createDurin's start-up checks: a bad option or setting throws at once, naming it. */
describe('createDurin', () => {
  let db: TestDatabase;
  let User: ReturnType<typeof defineUser>;
  const authenticateUser = async () => null;

  beforeAll(async () => {
    db = await createTestDatabase();
    User = defineUser(db);
  });
  afterAll(() => db.close());

  test.each([
    [
      'sequelize',
      () => ({ sequelize: new PlainSequelize('sqlite::memory:', { logging: false }) as never, userModel: User, authenticateUser }),
      `trpc-durin: invalid option "sequelize": expected a Sequelize instance from sequelize-typescript (new Sequelize(...) from 'sequelize-typescript')`,
    ],
    [
      'userModel',
      () => ({ sequelize: db.sequelize, userModel: {} as never, authenticateUser }),
      'trpc-durin: invalid option "userModel": expected a Sequelize model with a primary key, defined on the same Sequelize instance',
    ],
    [
      'authenticateUser',
      () => ({ sequelize: db.sequelize, userModel: User, authenticateUser: undefined as never }),
      'trpc-durin: invalid option "authenticateUser": expected a function ({ username, password }) => user | null',
    ],
    [
      'isUserActive',
      () => ({ sequelize: db.sequelize, userModel: User, authenticateUser, isUserActive: true as never }),
      'trpc-durin: invalid option "isUserActive": expected a function',
    ],
    [
      'settings',
      () => ({ sequelize: db.sequelize, userModel: User, authenticateUser, settings: { tokenCharacterLength: 33 } }),
      'trpc-durin: invalid setting "tokenCharacterLength": expected an even integer from 32 to 256 (got 33)',
    ],
  ])('a bad %s fails at start-up, naming it', (_, options, message) => {
    expect(() => createDurin(options())).toThrow(expect.objectContaining({ name: 'DurinConfigError', message }));
  });

  test('two instances on one database share the tables but no state', async () => {
    const a = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser, settings: { tokenPrefix: 'a_' } });
    const b = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser, settings: { tokenPrefix: 'b_' } });
    await User.sync();
    await a.sync();
    expect(a.models.AuthToken).toBe(b.models.AuthToken);
    expect(a.events).not.toBe(b.events);
    const client = await a.clients.create({ name: 'shared' });
    const user = await User.create({ username: 'x', passwordHash: '-' });
    const { token } = await b.tokens.issue(user, client.name);
    expect(token.startsWith('b_')).toBe(true);
    const seen: string[] = [];
    a.events.on('tokenRevoked', () => seen.push('a'));
    b.events.on('tokenRevoked', () => seen.push('b'));
    await b.tokens.revokeAll(user);
    expect(seen).toEqual(['b']);
  });

  test('clients.create validates and names the field', async () => {
    const durin = createDurin({ sequelize: db.sequelize, userModel: User, authenticateUser });
    await durin.sync();
    await expect(durin.clients.create({ name: '' })).rejects.toThrow('trpc-durin: invalid client "name": it may not be blank');
    await expect(durin.clients.create({ name: 'x'.repeat(65) })).rejects.toThrow(/invalid client "name"/);
    await expect(durin.clients.create({ name: 'web', tokenTtl: 'invalid' })).rejects.toThrow(/invalid client "tokenTtl"/);
    await expect(durin.clients.create({ name: 'web', throttleRate: 'blahblah' })).rejects.toThrow(/invalid client "throttleRate"/);
    const web = await durin.clients.create({ name: 'web-c', throttleRate: '2/minute' });
    expect({ ttl: Number(web.tokenTtl), rate: web.throttleRate }).toEqual({ ttl: 86_400, rate: '2/minute' });
    await expect(durin.clients.create({ name: 'web-c' })).rejects.toThrow('trpc-durin: a client named "web-c" already exists');
    expect((await durin.clients.list()).map((c) => c.name)).toContain('web-c');
    expect(await durin.clients.delete('web-c')).toBe(true);
    expect(await durin.clients.get('web-c')).toBeNull();
    expect(await durin.clients.delete('web-c')).toBe(false);
  });
});
