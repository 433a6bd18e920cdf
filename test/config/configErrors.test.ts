import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DURIN_CONFIG_MESSAGES,
  DURIN_CONFIG_PROBLEMS,
  DURIN_SETTING_PROBLEMS,
  isDurinConfigError,
  type DurinConfigSubject,
} from '../../src/config/messages.js';
import { createDurin, type DurinConfigError } from '../../src/index.js';
import { createDurinMigrations, getDurinMigration } from '../../src/migrations/index.js';
import { RATE_FORM } from '../../src/config/rate.js';
import { resolveRedisOptions } from '../../src/redis/options.js';
import { resolveSettings } from '../../src/config/settings.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * every `DurinConfigError` comes from the one table in errors.ts and carries the `field`
 * it names and the `problem`, so the CLI and apps match those, never the text.
 */

async function configError(run: () => unknown): Promise<DurinConfigError> {
  try {
    await run();
  } catch (error) {
    expect(isDurinConfigError(error)).toBe(true);
    return error as DurinConfigError;
  }
  throw new Error('expected a DurinConfigError');
}

async function expectInvalid(run: () => unknown, subject: DurinConfigSubject, field: string, problem: string): Promise<void> {
  const error = await configError(run);
  expect({ field: error.field, problem: error.problem, message: error.message }).toEqual({
    field,
    problem,
    message: DURIN_CONFIG_MESSAGES.invalid(subject, field, problem),
  });
}

describe('DurinConfigError: field and problem', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.db.close());

  test('settings name the setting; an unknown setting is the field', async () => {
    await expectInvalid(
      () => resolveSettings({ tokenCharacterLength: 31 }),
      'setting',
      'tokenCharacterLength',
      'expected an even integer from 32 to 256 (got 31)',
    );
    await expectInvalid(() => resolveSettings(7 as never), 'option', 'settings', DURIN_CONFIG_PROBLEMS.notAnObject);
    const expected = DURIN_SETTING_PROBLEMS.boolean;
    await expectInvalid(
      () => resolveSettings({ renewOnUse: 'yes' as never }),
      'setting',
      'renewOnUse',
      DURIN_CONFIG_PROBLEMS.got(expected, '"yes"'),
    );
    const unknown = await configError(() => resolveSettings({ tokenTTL: 5 } as never));
    expect([unknown.field, unknown.message]).toEqual([
      'tokenTTL',
      'trpc-durin: unknown setting "tokenTTL"; did you mean "defaultTokenTtl"?',
    ]);
  });

  test("createDurin's options", async () => {
    const { sequelize } = app.db;
    await expectInvalid(() => createDurin(null as never), 'option', 'options', DURIN_CONFIG_PROBLEMS.notAnObject);
    await expectInvalid(
      () => createDurin({ sequelize, userModel: app.User, authenticateUser: undefined as never }),
      'option',
      'authenticateUser',
      DURIN_CONFIG_PROBLEMS.authenticateUser,
    );
    await expectInvalid(
      () => createDurin({ sequelize, userModel: app.User, authenticateUser: () => null, cacheBus: {} as never }),
      'option',
      'cacheBus',
      DURIN_CONFIG_PROBLEMS.cacheBus,
    );
  });

  test('throttle options, a token TTL, client fields', async () => {
    const { durin } = app;
    await expectInvalid(
      () => durin.throttle({ scope: 'a b' }),
      'throttle option',
      'scope',
      'expected 1 to 64 letters, digits, "_", "." or "-" (got "a b")',
    );
    await expectInvalid(
      () => durin.throttle({ defaultRate: '5' }),
      'throttle option',
      'defaultRate',
      DURIN_CONFIG_PROBLEMS.nullOrRateGot(RATE_FORM, '"5"'),
    );
    await expectInvalid(() => durin.clients.create({ name: '' }), 'client', 'name', 'it may not be blank');
    await durin.clients.create({ name: 'cfg' });
    const user = await app.User.create({ username: 'cfg', passwordHash: 'x' });
    const ttl = await configError(() => durin.tokens.issue(user, 'cfg', { ttl: 'soon' }));
    expect([ttl.field, ttl.message]).toEqual(['ttl', DURIN_CONFIG_MESSAGES.invalid('option', 'ttl', ttl.problem!)]);
    const taken = await configError(() => durin.clients.create({ name: 'cfg' }));
    expect([taken.field, taken.message]).toEqual(['name', DURIN_CONFIG_MESSAGES.clientExists('cfg')]);
  });

  test('client lists, migrations and Redis options', async () => {
    const empty = await configError(() => app.durin.allowClients());
    expect(empty.message).toBe(DURIN_CONFIG_MESSAGES.noClientNames('allowClients'));
    await expectInvalid(
      () => createDurinMigrations({ userTable: ' ' }),
      'migration option',
      'userTable',
      'expected a non-empty name (got  )',
    );
    const none = await configError(() => getDurinMigration('nope'));
    expect(none.message).toBe(
      DURIN_CONFIG_MESSAGES.noMigration(
        'nope',
        createDurinMigrations().map((m) => m.name),
      ),
    );
    await expectInvalid(
      () => resolveRedisOptions('redisThrottleStore', { commandTimeoutMs: 0 }),
      'redisThrottleStore option',
      'commandTimeoutMs',
      'expected an integer from 1 to 60000 (got 0)',
    );
  });
});
