import { MigrationError } from 'umzug';
import { isDurinConfigError } from '../config/messages.js';
import { CLI_ERRORS } from './messages.js';

/**
 * The one line the CLI prints for an error. Errors are told apart by their class or code, never by
 * their text: durin's `DurinConfigError` carries the invalid `field`, umzug's `MigrationError` the
 * migration, Sequelize's errors are `Sequelize*` by name. Missing tables are caught before a
 * command runs (preflight.ts), not read from the driver's message.
 */

/** Option names for `clients.create`'s fields, as the CLI spells them (umzug's CLI does the same). */
const FLAG_FOR_FIELD: Record<string, string> = { tokenTtl: '--token-ttl', throttleRate: '--throttle-rate', abilities: '--abilities' };

/** Collapses any message to one line: the CLI's errors are one line each. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Sequelize's errors, from any copy of it (an app loaded with --app may bring its own). */
function isSequelizeError(error: unknown): error is Error {
  return error instanceof Error && error.name.startsWith('Sequelize');
}

/**
 * A tRPC error durin threw (its cause a DurinError), told by the cause's name: the app module's
 * durin, loaded by tsx, has its own copy of durin's classes, so `instanceof` would miss it.
 */
function isDurinRefusal(error: unknown): error is Error {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return error instanceof Error && cause instanceof Error && cause.name === 'DurinError';
}

/** What went wrong, without the `trpc-durin: ` prefix. */
function reason(error: unknown): string {
  if (isDurinConfigError(error)) {
    const flag = error.field === undefined ? undefined : FLAG_FOR_FIELD[error.field];
    if (flag && error.problem) return `invalid ${flag}: ${error.problem}`;
    return error.message.replace(/^trpc-durin: /, '');
  }
  // durin's own refusals (an undeclared ability, too many API keys) read as they do over tRPC.
  if (isDurinRefusal(error)) return error.message;
  // umzug wraps a failed migration: name it, and say what failed inside.
  if (error instanceof MigrationError) {
    const { migration, cause } = error as MigrationError & { cause?: unknown };
    return CLI_ERRORS.migrationFailed(migration.name, reason(cause));
  }
  // The database's own words (duplicate index, permissions...) are clear; anything else is a bug.
  if (isSequelizeError(error)) return error.message;
  return CLI_ERRORS.unexpected(error instanceof Error ? error.message : String(error));
}

/** The one line `runCli` prints for an error, always starting `trpc-durin: `. Never a stack trace. */
export function describeError(error: unknown): string {
  return `trpc-durin: ${oneLine(reason(error))}`;
}
