import { DURATION_FORMS, formatDuration, parseDuration } from '../config/duration.js';
import { DURIN_CONFIG_PROBLEMS, describeValue } from '../config/messages.js';
import { findUser } from './users.js';
import { importDjangoCommand } from './importDjango.js';
import { listTokensCommand, revokeUserCommand } from './adminCommands.js';
import type { CliCommand } from './command.js';
import { CLI_ERRORS, CLI_OUTPUT, fail } from './messages.js';
export type { CliCommand, CliOption, CommandInput } from './command.js';
import { requireUserTableForCascade } from './preflight.js';
import { USER_KEY_TYPES, keyTypeLabel, migrate, type UserKeyTypeName } from './migrate.js';

/**
 * durin's management commands, as a CLI. Each one reads its flags and calls the public API (umzug for
 * `migrate`, `durin.clients.*` and `durin.tokens.*` for the rest), as umzug's CLI actions do.
 */

const KEY_TYPE_NAMES = Object.keys(USER_KEY_TYPES).join(', ');

/** A bare number of seconds ("3600") is a duration too, as in the settings. */
const asDuration = (value: string) => (/^\d+$/.test(value) ? Number(value) : value);

/** Left-aligned columns, two spaces apart. */
function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
}

export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'migrate',
    summary: "Create or update durin's tables (durin_client, durin_authtoken).",
    details: [
      'Runs the pending migrations of trpc-durin/migrations with umzug, recorded in SequelizeMeta; a second run applies nothing.',
      "durin_authtoken.user_id references your user table with ON DELETE CASCADE and takes its key's type, read from the table.",
      'If the user table does not exist yet, the key is --user-key-type and the reference waits for the table your app creates.',
    ],
    options: {
      'user-table': { type: 'string', value: 'NAME', help: 'the user table tokens belong to (default: users)' },
      'user-key': { type: 'string', value: 'NAME', help: 'its primary key column (default: id)' },
      'user-key-type': {
        type: 'string',
        value: 'TYPE',
        help: `${KEY_TYPE_NAMES}: the key's type while the table does not exist (default: integer)`,
      },
      fake: { type: 'boolean', help: 'record the pending migrations as applied without running them (tables made by sync())' },
    },
    createsDatabase: true,
    check(values) {
      const type = values['user-key-type'];
      if (typeof type === 'string' && !Object.hasOwn(USER_KEY_TYPES, type)) fail(CLI_ERRORS.badUserKeyType(type, KEY_TYPE_NAMES));
    },
    async run({ db, app, values, print }) {
      // The flags win; then the app's user model (--app); then durin's defaults.
      const userTable = (values['user-table'] as string | undefined) ?? app?.user.table ?? 'users';
      const userKey = (values['user-key'] as string | undefined) ?? app?.user.key ?? 'id';
      const typeName = values['user-key-type'] as UserKeyTypeName | undefined;
      const userKeyType = typeName ? USER_KEY_TYPES[typeName] : (app?.user.keyType ?? USER_KEY_TYPES.integer);
      const label = typeName ?? (app ? keyTypeLabel(app.user.keyType) : 'integer');
      await migrate(db, { userTable, userKey, userKeyType, userKeyTypeLabel: label.toUpperCase(), fake: values.fake === true }, print);
    },
  },
  {
    name: 'create-client',
    arguments: ['NAME'],
    summary: 'Create a client (1 to 64 characters) and print "Client NAME created!".',
    details: ["Without --token-ttl the client gets the app's defaultTokenTtl with --app, else 1d (defaultTokenTtl's default)."],
    options: {
      'token-ttl': {
        type: 'string',
        value: 'DURATION',
        help: "lifetime of its tokens: seconds, or 45s, 30m, 12h, 14d (default: the app's defaultTokenTtl, else 1d)",
      },
      'throttle-rate': {
        type: 'string',
        value: 'RATE',
        help: "its throttle rate, e.g. 100/h or 10/minute (default: none, so the app's defaultThrottleRate)",
      },
      abilities: {
        type: 'string',
        value: 'A,B',
        help: 'abilities every token of the client gets, comma-separated, e.g. posts:read (default: every ability)',
      },
    },
    async run({ durin, name, values, print }) {
      const tokenTtl = values['token-ttl'] as string | undefined;
      const abilities = values.abilities as string | undefined;
      await durin().clients.create({
        name,
        ...(tokenTtl === undefined ? {} : { tokenTtl: asDuration(tokenTtl) }),
        throttleRate: (values['throttle-rate'] as string | undefined) ?? '',
        ...(abilities === undefined ? {} : { abilities: abilities.split(',').map((ability) => ability.trim()) }),
      });
      print(CLI_OUTPUT.clientCreated(name));
    },
  },
  {
    name: 'create-api-key',
    arguments: ['USER', 'NAME'],
    needsApp: true,
    summary: 'Create a named API key for the user whose primary key is USER, and print the key (only the key, this once).',
    details: [
      "Needs the app (--app or durin.config.*) to find USER in its user model; the key is issued on the app's apiAccessClientName client,",
      'as durin.apiKeys.create issues it, within apiKeysPerUser and apiKeyMaxLifetime. Store it now: only its digest is kept.',
    ],
    options: {
      abilities: {
        type: 'string',
        value: 'A,B',
        help: "what the key may do, comma-separated, e.g. posts:read (default: the client's, else every ability)",
      },
      'expires-in': {
        type: 'string',
        value: 'DURATION',
        help: "its lifetime: seconds, or 45s, 30m, 12h, 90d (default: the client's token TTL)",
      },
    },
    check(values) {
      const expiresIn = values['expires-in'];
      if (typeof expiresIn === 'string' && parseDuration(asDuration(expiresIn)) === null) {
        fail(CLI_ERRORS.badExpiresIn(expiresIn, DURIN_CONFIG_PROBLEMS.durationGot(DURATION_FORMS, describeValue(expiresIn))));
      }
    },
    async run({ app, durin, user: userKey, name, values, print }) {
      if (!app) fail(CLI_ERRORS.needsApp('create-api-key'));
      const user = await findUser(app, userKey);
      const abilities = values.abilities as string | undefined;
      const expiresIn = values['expires-in'] as string | undefined;
      const created = await durin().apiKeys.create(user, {
        name,
        ...(abilities === undefined ? {} : { abilities: abilities.split(',').map((ability) => ability.trim()) }),
        ...(expiresIn === undefined ? {} : { expiresIn: asDuration(expiresIn) }),
      });
      // stdout is the key alone, so `KEY=$(trpc-durin create-api-key 42 ci)` captures it.
      print(created.token);
    },
  },
  {
    name: 'list-clients',
    summary: 'List the clients by name: token TTL and throttle rate ("-" for the default).',
    details: [],
    options: { json: { type: 'boolean', help: 'print [{ name, tokenTtl (seconds), throttleRate (or null) }] as JSON, for jq' } },
    async run({ durin, values, print }) {
      const clients = await durin().clients.list();
      if (values.json) {
        const rows = clients.map((c) => ({ name: c.name, tokenTtl: Number(c.tokenTtl), throttleRate: c.throttleRate || null }));
        print(JSON.stringify(rows, null, 2));
        return;
      }
      if (clients.length === 0) {
        print(CLI_OUTPUT.noClients());
        return;
      }
      const rows = clients.map((c) => [c.name, formatDuration(Number(c.tokenTtl)), c.throttleRate || '-']);
      for (const line of formatTable([['NAME', 'TOKEN TTL', 'THROTTLE RATE'], ...rows])) print(line);
    },
  },
  {
    name: 'delete-client',
    arguments: ['NAME'],
    summary: 'Delete a client and, with it, every token issued on it.',
    details: [
      "The revocation is published on the app's cache bus (--app with a cacheBus, or REDIS_URL), so running servers refuse the tokens at once;",
      'without one, their caches keep a deleted token for at most settings.tokenCacheTimeout.',
    ],
    options: {},
    revokes: true,
    async run({ db, durin: getDurin, name, print, cacheBus }) {
      await requireUserTableForCascade(db);
      const durin = getDurin();
      let revoked = 0;
      durin.events.on('tokenRevoked', ({ tokenHashes }) => {
        revoked += tokenHashes.length;
      });
      if (!(await durin.clients.delete(name))) fail(CLI_ERRORS.noClient(name));
      print(CLI_OUTPUT.clientDeleted(name, revoked));
      if (revoked > 0 && !cacheBus) print(CLI_OUTPUT.noCacheBus(formatDuration(durin.settings.tokenCacheTimeout)));
    },
  },
  {
    name: 'remove-expired-tokens',
    summary: 'Delete the tokens past their expiry and print how many (run it from cron).',
    details: ["The removal is published on the app's cache bus, as delete-client's is (expired tokens are refused everywhere anyway)."],
    options: {},
    revokes: true,
    async run({ durin, print }) {
      print(CLI_OUTPUT.expiredRemoved(await durin().tokens.removeExpired()));
    },
  },
  listTokensCommand,
  revokeUserCommand,
  importDjangoCommand,
];

/** The command named `name`, or `undefined`. */
export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}
