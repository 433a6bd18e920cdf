import { durinError } from '../errors.js';
import type { DurinAuthToken, DurinClient } from '../models/types.js';
import { isExpired } from '../core/time.js';
import type { RouterDeps } from './deps.js';
import { traced } from '../core/telemetry.js';

/**
 * durin's APIAccessTokenView: one token per user on the `apiAccessClientName`
 * client, shown once at creation. Where durin crashes with a 500 (setting or client row missing),
 * this answers PRECONDITION_FAILED saying what to configure.
 */

export interface DurinApiAccess {
  client: string;
  created: Date;
  expiry: Date;
  hasExpired: boolean;
}

export function apiAccessRouter<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { t, procedures, models, settings, tokens } = deps;
  const { protectedProcedure } = procedures;

  async function apiClient(): Promise<DurinClient> {
    const name = settings.apiAccessClientName;
    if (!name) throw durinError('API_ACCESS_NOT_CONFIGURED');
    const client = await models.Client.findOne({ where: { name } });
    if (!client) throw durinError('API_ACCESS_CLIENT_MISSING', { client: name });
    return client;
  }

  async function findKey(userId: unknown, client: DurinClient) {
    // The client's session slot: durin's one key per user. Named API keys on the same client are not it.
    return (await models.AuthToken.findOne({ where: { userId, clientId: client.id, sessionSlot: true } })) as DurinAuthToken<TUser> | null;
  }

  const view = (auth: DurinAuthToken<TUser>, client: DurinClient): DurinApiAccess => ({
    client: client.name,
    created: auth.created,
    expiry: auth.expiry,
    hasExpired: isExpired(auth.expiry),
  });

  return t.router({
    get: protectedProcedure.query(async function getApiAccess({ ctx }): Promise<DurinApiAccess> {
      const client = await apiClient();
      const key = await findKey(ctx.auth.userId, client);
      if (!key) throw durinError('API_ACCESS_NOT_FOUND');
      return view(key, client);
    }),

    create: protectedProcedure.mutation(async function createApiAccess({ ctx }): Promise<DurinApiAccess & { token: string }> {
      const client = await apiClient();
      const existing = await findKey(ctx.auth.userId, client);
      // durin refuses even when the existing key has expired, leaving the user stuck until it is
      // presented or deleted; an expired key is replaced instead.
      if (existing && !isExpired(existing.expiry)) throw durinError('API_ACCESS_EXISTS');
      const { token, auth } = await tokens.issue(ctx.user, client);
      return { ...view(auth, client), token };
    }),

    revoke: protectedProcedure.mutation(
      traced(deps.telemetry, 'durin.revoke', async function revokeApiAccess({ ctx }): Promise<void> {
        const client = await apiClient();
        const key = await findKey(ctx.auth.userId, client);
        if (!key) throw durinError('API_ACCESS_NOT_FOUND');
        await tokens.revoke(key, 'apiAccessRevoked');
      }),
    ),
  });
}
