import { readFileSync } from 'node:fs';
import type { CliCommand } from './command.js';

/** `--help` text, built from the command table so it cannot fall behind the flags. */

function usage(command: CliCommand): string {
  const argument = (command.arguments ?? []).map((placeholder) => ` ${placeholder}`).join('');
  const flags = Object.entries(command.options).map(([flag, option]) => ` [--${flag}${option.value ? ` ${option.value}` : ''}]`);
  return `trpc-durin ${command.name}${argument}${flags.join('')}`;
}

function describeCommand(command: CliCommand): string[] {
  const options = Object.entries(command.options).map(([flag, option]) => {
    const left = `--${flag}${option.value ? ` ${option.value}` : ''}`;
    return `    ${left.padEnd(22)}${option.help}`;
  });
  return [`  ${usage(command)}`, `    ${command.summary}`, ...command.details.map((line) => `    ${line}`), ...options];
}

const FOOTER = [
  'Every command also takes --help.',
  '',
  'Environment:',
  '  DATABASE_URL  sqlite:<path> (e.g. sqlite:./data/app.db) or mysql://user:pass@host:port/db',
  '',
  'The app (optional):',
  '  --app PATH    the module that exports your durin object (export const durin = createDurin(...)), .ts through your tsx;',
  '                without it, a durin.config.{ts,mts,js,mjs} in the current directory. Then every command uses your',
  "                app's Sequelize connection (not DATABASE_URL), migrate your user model's table, key and key type,",
  '                and create-client your defaultTokenTtl. The flags still win.',
  '',
  'Exit status: 0 on success; 1 on any error, reported as one line on stderr starting "trpc-durin: ".',
];

/** The whole help: every command with its flags, the environment and the exit status. */
export function fullHelp(commands: readonly CliCommand[]): string {
  return [
    "trpc-durin: manage durin's tables, clients and tokens.",
    '',
    'Usage: trpc-durin [--app PATH] <command> [options]',
    '       trpc-durin help [command] | --help | --version',
    '',
    'Commands:',
    ...commands.flatMap((command) => [...describeCommand(command), '']),
    ...FOOTER,
  ].join('\n');
}

/** One command's help. */
export function commandHelp(command: CliCommand): string {
  return ['Usage:', ...describeCommand(command), '', ...FOOTER.slice(2)].join('\n');
}

/** The package's version, from its package.json (two levels up from src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
