import { DataTypes } from 'sequelize';
import { afterAll, expect, test } from 'vitest';
import { createDurin } from '../../src/index.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The README's subscription snippet keys its channel on the user: with a user model whose primary
 * key is `account_id`, `ctx.user.id` is undefined (every user would share one channel), and
 * `ctx.auth.userId`, which the snippet uses, tells two users apart.
 */

const db = await createTestDatabase();
afterAll(() => db.close());

test('on a model keyed by account_id, ctx.auth.userId gives two users two channels', async () => {
  const Account = db.sequelize.define(
    'Account',
    { account_id: { type: DataTypes.STRING(36), primaryKey: true }, email: DataTypes.STRING },
    { tableName: 'accounts', timestamps: false },
  );
  const durin = createDurin({
    sequelize: db.sequelize,
    userModel: Account,
    authenticateUser: () => null,
    settings: { loginThrottleRate: null },
  });
  afterAll(() => durin.close());
  await Account.sync();
  await durin.sync();
  await durin.clients.create({ name: 'web' });
  const channels = [];
  for (const id of ['acct-ada', 'acct-bob']) {
    const { token } = await durin.tokens.issue(await Account.create({ account_id: id, email: `${id}@example.com` }), 'web');
    const ctx = await durin.createDurinContext({ headers: { authorization: `Token ${token}` } });
    // What `user:${ctx.user.id}` would have been: the same for everyone.
    expect(`user:${(ctx.user as unknown as { id?: unknown }).id}`).toBe('user:undefined');
    channels.push(`user:${ctx.auth!.userId}`);
  }
  expect(channels).toEqual(['user:acct-ada', 'user:acct-bob']);
});
