import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cacheBusOf, type Durin } from '../createDurin.js';
import { openCliCacheBus, type CliCacheBus } from './cacheBus.js';
import { findAppModule, loadApp, type CliApp } from './app.js';
import { COMMANDS, findCommand, type CliCommand, type CommandInput } from './commands.js';
import { createCliDurin } from './createCliDurin.js';
import { openAppDatabase, openDatabase, type CliDatabase } from './database.js';
import { describeError } from './describeError.js';
import { requireDurinTables } from './preflight.js';
import { commandHelp, fullHelp, packageVersion } from './help.js';
import { CLI_ERRORS, fail } from './messages.js';

/** Where `runCli` reads and writes: `process` in `bin.ts`, buffers in tests. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Read for DATABASE_URL. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `--app` paths are relative to and durin.config.* is looked for. @default process.cwd() */
  readonly cwd?: string;
}

/** Takes the global `--app PATH` (or `--app=PATH`) out of argv, wherever it stands. */
function extractAppOption(argv: readonly string[]): { app: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let app: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--app' || arg.startsWith('--app=')) {
      const value = arg === '--app' ? argv[++i] : arg.slice('--app='.length);
      if (!value || value.startsWith('-')) fail(CLI_ERRORS.missingAppValue());
      app = value;
    } else {
      rest.push(arg);
    }
  }
  return { app, rest };
}

type Invocation =
  | { readonly kind: 'help'; readonly command?: CliCommand }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly command: CliCommand; readonly name: string; readonly values: CommandInput['values'] };

/** parseArgs' errors name the option in quotes; say the same thing in the CLI's words. */
function flagError(error: unknown, command: string): never {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(message ?? '')?.[1] ?? '?';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') fail(CLI_ERRORS.unknownOption(option, command));
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    fail(/does not take an argument/.test(message ?? '') ? CLI_ERRORS.noValueAllowed(option) : CLI_ERRORS.missingValue(option));
  }
  throw error;
}

function parseCommand(command: CliCommand, args: string[]): Invocation {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [flag, option] of Object.entries(command.options)) options[flag] = { type: option.type };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    flagError(error, command.name);
  }
  const { positionals } = parsed;
  const values = parsed.values as CommandInput['values']; // no option is `multiple`, so no arrays
  if (values.help) return { kind: 'help', command };
  const expected = command.argument ? 1 : 0;
  if (positionals.length < expected) {
    fail(command.argument === 'ID' ? CLI_ERRORS.missingUserId(command.name) : CLI_ERRORS.missingName(command.name));
  }
  if (positionals.length > expected) fail(CLI_ERRORS.extraArgument(command.name, positionals[expected]!));
  command.check?.(values);
  return { kind: 'run', command, name: positionals[0] ?? '', values };
}

function parseInvocation(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) return fail(CLI_ERRORS.noCommand());
  if (first === '--help' || first === '-h') return { kind: 'help' };
  if (first === '--version') return { kind: 'version' };
  if (first === 'help') {
    if (rest.length > 1) fail(CLI_ERRORS.extraArgument('help', rest[1]!));
    if (rest[0] === undefined) return { kind: 'help' };
    return { kind: 'help', command: findCommand(rest[0]) ?? fail(CLI_ERRORS.unknownCommand(rest[0])) };
  }
  if (first.startsWith('-')) fail(CLI_ERRORS.unknownGlobalOption(first));
  return parseCommand(findCommand(first) ?? fail(CLI_ERRORS.unknownCommand(first)), rest);
}

/**
 * The `trpc-durin` command line: runs one command and resolves to its exit code, 0 or
 * 1. It never rejects and never calls `process.exit`: an error is one line on stderr starting
 * `trpc-durin: `, never a stack trace. The database connection it opens is closed before it returns;
 * whatever the app module itself opened (its Redis client, say) is not: `bin.ts` exits explicitly.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const print = (text: string) => {
    io.stdout.write(`${text}\n`);
  };
  let db: CliDatabase | undefined;
  let app: CliApp | null = null;
  let durin: Durin | undefined;
  let bus: CliCacheBus | null = null;
  try {
    const { app: appOption, rest } = extractAppOption(argv);
    const invocation = parseInvocation(rest);
    if (invocation.kind !== 'run') {
      if (invocation.kind === 'version') print(packageVersion());
      else print(invocation.command ? commandHelp(invocation.command) : fullHelp(COMMANDS));
      return 0;
    }
    const { command, name, values } = invocation;
    const create = command.createsDatabase === true;
    const appPath = findAppModule(io.cwd ?? process.cwd(), appOption);
    if (appPath) app = await loadApp(appPath);
    db = app ? await openAppDatabase(app.sequelize, { create }) : await openDatabase(io.env, { create });
    if (!create && !command.inspectsTables) await requireDurinTables(db); // every command but migrate and import-django
    const cliDb = db;
    // A revocation must reach the app's running servers: the app's bus, else one on REDIS_URL.
    if (command.revokes && !app) bus = await openCliCacheBus(io.env);
    const cacheBus = app ? cacheBusOf(app.durin) !== undefined : bus !== null;
    const getDurin = () => (durin ??= app ? app.durin : createCliDurin(cliDb.sequelize, bus?.bus));
    await command.run({ db, app, name, values, print, cacheBus, durin: getDurin });
    return 0;
  } catch (error) {
    io.stderr.write(`${describeError(error)}\n`);
    return 1;
  } finally {
    // durin.close() waits for the bus's publish, so the revocation has left before the CLI ends.
    await (durin ?? app?.durin)?.close().catch(() => {});
    bus?.close();
    await (db?.sequelize ?? app?.sequelize)?.close().catch(() => {});
  }
}
