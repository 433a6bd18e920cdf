import { z } from 'zod';
import type { DurinApiKey, DurinApiKeys, DurinCreatedApiKey } from '../core/apiKeys.js';
import type { DurinTRPC } from '../request/procedures.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';

/**
 * `apiKeys`: many named keys per user, each limited to its abilities (Sanctum's personal access
 * tokens). Thin: the rules are in core/apiKeys.ts. Inputs are shaped here; their values (an
 * undeclared ability, a bad duration, a blank name) are checked there, with messages naming the field.
 */

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const abilities = z.array(z.string()).nullable().optional();

export const createApiKeyInput = z.object({
  name: z.string(),
  abilities,
  expiresIn: z.union([z.number(), z.string()]).nullable().optional(),
});
export const updateApiKeyInput = z.object({ id, name: z.string().optional(), abilities });

/** What `apiKeys` uses. */
export interface ApiKeysDeps<TUser> {
  readonly router: DurinTRPC<TUser>['router'];
  readonly protectedProcedure: DurinRouterProcedures<TUser>['protectedProcedure'];
  readonly apiKeys: DurinApiKeys<TUser>;
}

export function apiKeysRouter<TUser>(deps: ApiKeysDeps<TUser>) {
  const { router, protectedProcedure, apiKeys } = deps;
  const actor = (ctx: { user: TUser; auth: { abilities: readonly string[] | null } }) => ({
    user: ctx.user,
    abilities: ctx.auth.abilities ?? null,
  });

  return router({
    create: protectedProcedure.input(createApiKeyInput).mutation(function createApiKey({ ctx, input }): Promise<DurinCreatedApiKey> {
      return apiKeys.create(actor(ctx), input);
    }),
    list: protectedProcedure.query(function listApiKeys({ ctx }): Promise<DurinApiKey[]> {
      return apiKeys.list(actor(ctx));
    }),
    update: protectedProcedure.input(updateApiKeyInput).mutation(function updateApiKey({ ctx, input }): Promise<DurinApiKey> {
      return apiKeys.update(actor(ctx), input);
    }),
    revoke: protectedProcedure.input(z.object({ id })).mutation(async function revokeApiKey({ ctx, input }): Promise<void> {
      await apiKeys.revoke(actor(ctx), input.id);
    }),
  });
}
