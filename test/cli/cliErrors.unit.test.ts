import { UniqueConstraintError } from 'sequelize';
import { MigrationError } from 'umzug';
import { describe, expect, test } from 'vitest';
import { describeError } from '../../src/cli/describeError.js';
import { DurinConfigError } from '../../src/index.js';

/**
 * The CLI tells errors apart by class, name and field, never by their text: a client
 * field becomes its flag from `DurinConfigError.field`, also for another copy of the package (an
 * app loaded with --app); umzug's MigrationError names the migration.
 */
describe('describeError', () => {
  test("a client field is reported as its flag, from the error's field and problem", () => {
    const error = new DurinConfigError('trpc-durin: invalid client "tokenTtl": expected a duration (got "x")', {
      field: 'tokenTtl',
      problem: 'expected a duration (got "x")',
    });
    expect(describeError(error)).toBe('trpc-durin: invalid --token-ttl: expected a duration (got "x")');
  });

  test("another copy's DurinConfigError is recognised by name", () => {
    const foreign = Object.assign(new Error('trpc-durin: invalid client "throttleRate": expected a rate'), {
      name: 'DurinConfigError',
      field: 'throttleRate',
      problem: 'expected a rate',
    });
    expect(describeError(foreign)).toBe('trpc-durin: invalid --throttle-rate: expected a rate');
  });

  test('a message that merely mentions a field is not rewritten', () => {
    expect(describeError(new DurinConfigError('trpc-durin: invalid client "tokenTtl": made up'))).toBe(
      'trpc-durin: invalid client "tokenTtl": made up',
    );
  });

  test('a failed migration names the migration and what failed inside it', () => {
    const error = new MigrationError(
      { direction: 'up', name: 'durin_0001_initial', context: null },
      new UniqueConstraintError({ message: 'Duplicate entry' }),
    );
    expect(describeError(error)).toBe('trpc-durin: migration durin_0001_initial failed: Duplicate entry');
  });

  test('anything else is an unexpected error, on one line', () => {
    expect(describeError(new Error('boom\n  at somewhere'))).toBe('trpc-durin: unexpected error: boom at somewhere');
  });
});
