import { formatDuration } from '../config/duration.js';
import type { DurinAdminToken } from '../core/admin.js';
import type { CliCommand } from './command.js';
import { CLI_ERRORS, CLI_OUTPUT, fail } from './messages.js';

/**
 * What the admin router does that a terminal does better: reading every token of a user or a
 * client, and ending all of a user's sessions and keys. Both go through `durin.admin`, so the
 * revocation takes the same funnel (events, the cache bus) as the admin router's.
 */

/** A user id as the CLI accepts it: the users table's key, numeric or not, without spaces. */
const USER_ID = /^[^\s]{1,255}$/;

function checkUserId(id: string): string {
  if (!USER_ID.test(id)) fail(CLI_ERRORS.badUserId(id));
  return id;
}

const PAGE = 100;

function tokenLine(token: DurinAdminToken): string {
  const state = token.hasExpired ? 'expired' : 'live';
  const name = token.name === null ? '-' : JSON.stringify(token.name);
  return [
    `#${token.id}`,
    `user=${String(token.userId)}`,
    `client=${token.client}`,
    token.kind,
    state,
    token.expiry.toISOString(),
    name,
  ].join('  ');
}

export const listTokensCommand: CliCommand = {
  name: 'list-tokens',
  summary: 'List tokens (sessions and API keys), one line each, by id: never a token or its digest.',
  details: ['Each line: #ID  user=USER  client=NAME  KIND  live|expired  EXPIRY  "NAME"|-'],
  options: {
    user: { type: 'string', value: 'ID', help: "only this user's tokens" },
    client: { type: 'string', value: 'NAME', help: "only this client's tokens" },
  },
  check(values) {
    if (typeof values.user === 'string') checkUserId(values.user);
  },
  async run({ durin: getDurin, values, print }) {
    const durin = getDurin();
    const client = values.client as string | undefined;
    if (client !== undefined && !(await durin.clients.get(client))) fail(CLI_ERRORS.noClient(client));
    const filter = {
      ...(typeof values.user === 'string' ? { userId: values.user } : {}),
      ...(client === undefined ? {} : { client }),
    };
    let count = 0;
    let cursor: string | null = null;
    do {
      const page = await durin.admin.listTokens({ ...filter, cursor, limit: PAGE });
      for (const token of page.items) print(tokenLine(token));
      count += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    if (count === 0) print(CLI_OUTPUT.noTokens());
  },
};

export const revokeUserCommand: CliCommand = {
  name: 'revoke-user',
  arguments: ['USER'],
  summary: 'Revoke every token of a user (sessions and API keys) and print how many; reason adminRevoked.',
  details: ["The revocation is published on the app's cache bus, as delete-client's is, and emits adminAction with actorId null."],
  options: {},
  revokes: true,
  async run({ durin: getDurin, user, print, cacheBus }) {
    const userId = checkUserId(user);
    const durin = getDurin();
    const { revoked } = await durin.admin.revokeUser({ id: null }, userId);
    print(CLI_OUTPUT.userRevoked(userId, revoked));
    if (revoked > 0 && !cacheBus) print(CLI_OUTPUT.noCacheBus(formatDuration(durin.settings.tokenCacheTimeout)));
  },
};
