import { durinError } from '../errors.js';
import type { DurinAuthToken, DurinClient } from '../models/types.js';
import type { DurinClients } from '../core/clients.js';
import { isExpired } from '../core/time.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';
import type { DurinTRPC } from '../request/procedures.js';
import { traced, type DurinTelemetry } from '../core/telemetry.js';

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

/** What the `apiAccess` views use. */
export interface ApiAccessDeps<TUser> {
  readonly router: DurinTRPC<TUser>['router'];
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  /** The `apiAccessClientName` setting. */
  readonly clientName: string | null;
  readonly clients: Pick<DurinClients, 'get'>;
  readonly tokens: Pick<TokenLifecycle<TUser>, 'issue' | 'revoke' | 'findOnClient'>;
  /** The `durin.revoke` span; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
}

export function apiAccessRouter<TUser>(deps: ApiAccessDeps<TUser>) {
  const { router, protectedProcedure, clientName, clients, tokens } = deps;

  async function apiClient(): Promise<DurinClient> {
    const name = clientName;
    if (!name) throw durinError('API_ACCESS_NOT_CONFIGURED');
    const client = await clients.get(name);
    if (!client) throw durinError('API_ACCESS_CLIENT_MISSING', { client: name });
    return client;
  }

  const view = (auth: DurinAuthToken<TUser>, client: DurinClient): DurinApiAccess => ({
    client: client.name,
    created: auth.created,
    expiry: auth.expiry,
    hasExpired: isExpired(auth.expiry),
  });

  return router({
    get: protectedProcedure.query(async function getApiAccess({ ctx }): Promise<DurinApiAccess> {
      const client = await apiClient();
      const key = await tokens.findOnClient(ctx.auth.userId, client);
      if (!key) throw durinError('API_ACCESS_NOT_FOUND');
      return view(key, client);
    }),

    create: protectedProcedure.mutation(async function createApiAccess({ ctx }): Promise<DurinApiAccess & { token: string }> {
      const client = await apiClient();
      const existing = await tokens.findOnClient(ctx.auth.userId, client);
      // durin refuses even when the existing key has expired, leaving the user stuck until it is
      // presented or deleted; an expired key is replaced instead.
      if (existing && !isExpired(existing.expiry)) throw durinError('API_ACCESS_EXISTS');
      const { token, auth } = await tokens.issue(ctx.user, client);
      return { ...view(auth, client), token };
    }),

    revoke: protectedProcedure.mutation(
      traced(deps.telemetry, 'durin.revoke', async function revokeApiAccess({ ctx }): Promise<void> {
        const client = await apiClient();
        const key = await tokens.findOnClient(ctx.auth.userId, client);
        if (!key) throw durinError('API_ACCESS_NOT_FOUND');
        await tokens.revoke(key, 'apiAccessRevoked');
      }),
    ),
  });
}
