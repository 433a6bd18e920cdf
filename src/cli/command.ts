import type { Durin } from '../createDurin.js';
import type { CliApp } from './app.js';
import type { CliDatabase } from './database.js';

/** The shape of a CLI command: its flags, its help, and `run`, which calls the public API. */

export interface CliOption {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the help, e.g. "DURATION". */
  readonly value?: string;
  readonly help: string;
}

export interface CommandInput {
  readonly db: CliDatabase;
  /** The app loaded by `--app` or durin.config.*, else `null`. */
  readonly app: CliApp | null;
  /** The app's durin, else durin with default settings on the CLI's connection. */
  readonly durin: () => Durin;
  /** Whether a revocation reaches the app's other processes (a cache bus: --app's, or REDIS_URL's). */
  readonly cacheBus: boolean;
  /** The NAME (or ID) argument, for commands that take one. */
  readonly name: string;
  /** The USER argument (a user's primary key value, as typed), for commands that take one. */
  readonly user: string;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly print: (line: string) => void;
}

/** A positional argument's placeholder: a client's or key's NAME, a USER's primary key value. */
export type CliArgument = 'USER' | 'NAME';

export interface CliCommand {
  readonly name: string;
  /** The positional arguments' placeholders, in order, for commands that take any. */
  readonly arguments?: readonly CliArgument[];
  readonly summary: string;
  readonly details: readonly string[];
  readonly options: Readonly<Record<string, CliOption>>;
  /** Whether it works on the app's models (--app or durin.config.*): without the app it is refused before connecting. */
  readonly needsApp?: boolean;
  /** Whether the command may create the database (only `migrate`). */
  readonly createsDatabase?: boolean;
  /** Whether the command takes durin's tables as it finds them (import-django): no "run migrate first" check. */
  readonly inspectsTables?: boolean;
  /** Whether it revokes tokens: it then publishes on a cache bus (--app's, or REDIS_URL's), or says there is none. */
  readonly revokes?: boolean;
  /** Checks the flags before anything connects. */
  readonly check?: (values: CommandInput['values']) => void;
  run(input: CommandInput): Promise<void>;
}
