import { BaseError, DatabaseError } from 'sequelize';
import { DurinConfigError } from '../errors.js';
import { CLI_ERRORS } from './messages.js';

/** Option names in `clients.create`'s messages, as the CLI spells them (umzug's CLI does the same). */
const FLAG_FOR_FIELD: Record<string, string> = { tokenTtl: '--token-ttl', throttleRate: '--throttle-rate' };

const MISSING_TABLE = [
  /no such table: (?:main\.)?([\w$]+)/, // SQLite
  /Table '(?:[^.']+\.)?([^']+)' doesn't exist/, // MySQL, MariaDB (ER_NO_SUCH_TABLE)
];

/** Collapses any message to one line: the CLI's errors are one line each. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function missingTable(error: unknown): string | null {
  if (!(error instanceof DatabaseError)) return null;
  for (const pattern of MISSING_TABLE) {
    const table = pattern.exec(error.message)?.[1];
    if (table) return table.startsWith('durin_') ? CLI_ERRORS.noDurinTables(table) : CLI_ERRORS.noUserTable(table);
  }
  return null;
}

/** What went wrong, without the `trpc-durin: ` prefix. */
function reason(error: unknown): string {
  if (error instanceof DurinConfigError) {
    const message = error.message.replace(/^trpc-durin: /, '');
    return message.replace(/client "(tokenTtl|throttleRate)"/g, (_, field: string) => FLAG_FOR_FIELD[field]!);
  }
  // umzug wraps a failed migration: name it, and say what failed inside.
  if (error instanceof Error && error.name === 'MigrationError') {
    const { migration, cause } = error as Error & { migration?: { name?: string }; cause?: unknown };
    return CLI_ERRORS.migrationFailed(migration?.name ?? 'unknown', reason(cause));
  }
  const table = missingTable(error);
  if (table) return table;
  // The database's own words (duplicate index, permissions...) are clear; anything else is a bug.
  if (error instanceof BaseError) return error.message;
  return CLI_ERRORS.unexpected(error instanceof Error ? error.message : String(error));
}

/** The one line `runCli` prints for an error, always starting `trpc-durin: `. Never a stack trace. */
export function describeError(error: unknown): string {
  return `trpc-durin: ${oneLine(reason(error))}`;
}
